import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { IpamNetwork, NodeFacts } from '../core/facts';
import { hostFactRemedy } from '../remedy/agent';
import { shq } from '../remedy/shell';
import { parseCidr } from '../util/cidr';

const WARN = 0.8;
const FAIL = 0.95;
/** Leases held by no pod, past which the leak is worth saying even with room left. */
const LEAK_WARN = 10;

interface Leak {
  node: string;
  network: string;
  dir: string;
  leases: number;
  capacity: number;
  percent: number;
  leaked: number;
  /** The pods on the node were known, so leaked is counted. */
  counted: boolean;
  leakedIps: string[];
  podCidr: string;
}

/** Removes the leases whose sandbox the runtime no longer has: a live pod's lease is never touched. */
const sweep = (a: Leak) =>
  `cd ${shq(a.dir)} && for f in *; do case "$f" in lock|last_reserved_ip*) continue;; esac; id=$(head -n1 "$f" | tr -d '\\r'); crictl pods -q --no-trunc | grep -qx "$id" || rm -v -- "$f"; done`;

const findings = {
  ok: {
    status: 'ok',
    summary: (a: { leases: number; capacity: number; network: string; percent: number }) => `host-local reservations in ${a.network} use ${a.percent}% of the podCIDR's ${a.capacity} addresses`,
  },
  exhausted: {
    status: 'fail',
    summary: (a: Leak) =>
      `host-local has ${a.leases} of ${a.capacity} addresses of ${a.podCidr} reserved (${a.percent}%)${a.counted ? `, ${a.leaked} by no pod` : ''}: new pods get "no IP addresses available in range set"`,
    remedy: (a: Leak) =>
      `On ${a.node}, remove the reservations whose pod sandbox is gone (${a.dir}; the loop keeps every lease a sandbox still holds). Pods stuck in ContainerCreating then get addresses.`,
    steps: (a: Leak): FindingStep[] => [{ on: 'node', run: sweep(a) }],
  },
  filling: {
    status: 'warn',
    summary: (a: Leak) => `host-local has ${a.leases} of ${a.capacity} addresses of ${a.podCidr} reserved (${a.percent}%), ${a.leaked} by no pod`,
    remedy: (a: Leak) => `On ${a.node}, remove the reservations whose pod sandbox is gone (${a.dir}); the loop keeps every lease a sandbox still holds.`,
    steps: (a: Leak): FindingStep[] => [{ on: 'node', run: sweep(a) }],
  },
  leaking: {
    status: 'warn',
    summary: (a: Leak) =>
      `${a.leaked} host-local reservations in ${a.network} belong to no pod on this node (leaked, e.g. ${a.leakedIps.slice(0, 3).join(', ')}): they accumulate until the podCIDR is full`,
    remedy: (a: Leak) => `On ${a.node}, remove the reservations whose pod sandbox is gone (${a.dir}); the loop keeps every lease a sandbox still holds.`,
    steps: (a: Leak): FindingStep[] => [{ on: 'node', run: sweep(a) }],
  },
  noHostLocal: { status: 'skip', summary: () => 'no host-local IPAM reservations on this node (/var/lib/cni/networks is empty or absent)' },
  noPodCidr: {
    status: 'unknown',
    summary: (a: { network: string; leases: number }) => `${a.leases} host-local reservations in ${a.network}, but the node's podCIDR is not known to size them against`,
  },
  unreadable: { status: 'unknown', summary: () => 'the host-local IPAM reservations could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'host-local IPAM reservations are not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

/** Addresses host-local can hand out of a range: all but the network, gateway and broadcast addresses. */
function capacity(cidr: string): number {
  const c = parseCidr(cidr);
  const size = 2 ** Math.min(c.bits - c.prefix, 52);
  return Math.max(1, size - (c.bits === 32 ? 3 : 2));
}

export const ipamLeases = defineCheck({
  id: 'ipam-leases',
  title: 'host-local IPAM reservations match the pods on the node',
  question: "Are the node's host-local IPAM reservations (/var/lib/cni/networks/*) leaking or exhausting the podCIDR, compared with the pods that run there?",
  column: 'IPAM',
  wide: true,
  rank: 85,
  explains: ['cni-ready'],
  needs: ['ipamLeases', 'cniPlugins', 'node', 'pods', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    const networks = host.ipamLeases;
    if (!networks) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['ipamLeases']));
    const active = host.cniPlugins?.network;
    const net: IpamNetwork | undefined = networks.find((n) => n.network === active) ?? [...networks].sort((a, b) => b.leases.length - a.leases.length)[0];
    if (!net) return found(findings, 'noHostLocal', {}, ['/var/lib/cni/networks: no network directory']);
    const dir = `/var/lib/cni/networks/${net.network}`;
    const v4 = net.leases.filter((l) => !l.ip.includes(':'));
    const podCidr = facts.node?.spec?.podCIDRs?.find((c) => !c.includes(':')) ?? facts.node?.spec?.podCIDR ?? host.subnetEnv?.subnet;
    const evidence = [`${dir}: ${net.leases.length} reservations${active ? ` (network ${active} of ${host.cniPlugins?.file})` : ''}`];
    if (!podCidr) return found(findings, 'noPodCidr', { network: net.network, leases: net.leases.length }, evidence);
    let cap: number;
    try {
      cap = capacity(podCidr);
    } catch {
      return found(findings, 'noPodCidr', { network: net.network, leases: net.leases.length }, [...evidence, `podCIDR ${podCidr}: not a CIDR`]);
    }
    const percent = Math.floor((v4.length / cap) * 100);
    evidence.push(`podCIDR ${podCidr}: ${cap} addresses for pods`);
    // A lease is held when a pod on the node has its address; without the pod list, no leak is judged.
    const pods = facts.pods;
    const held = new Set(
      (pods ?? [])
        .filter((p) => !p.spec?.hostNetwork && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
        .flatMap((p) => (p.status?.podIPs ?? []).map((i) => i.ip).concat(p.status?.podIP ? [p.status.podIP] : [])),
    );
    const leaked = pods ? net.leases.filter((l) => !held.has(l.ip)) : [];
    if (pods)
      evidence.push(
        `${held.size} pod addresses on the node; ${leaked.length} reservations held by no pod${
          leaked.length
            ? `: ${leaked
                .slice(0, 5)
                .map((l) => `${l.ip} (${l.containerId.slice(0, 12)})`)
                .join(', ')}${leaked.length > 5 ? ', ...' : ''}`
            : ''
        }`,
      );
    else evidence.push(`pods on the node: ${facts.unavailable.pods ?? 'not known'}, so leaks are not counted`);
    const measures = { leases: v4.length, capacity: cap, leaked: leaked.length };
    const args: Leak = {
      node: facts.nodeName,
      network: net.network,
      dir,
      leases: v4.length,
      capacity: cap,
      percent,
      leaked: leaked.length,
      counted: !!pods,
      leakedIps: leaked.map((l) => l.ip),
      podCidr,
    };
    const ratio = v4.length / cap;
    if (ratio >= FAIL) return found(findings, 'exhausted', args, evidence, measures);
    if (ratio >= WARN && leaked.length) return found(findings, 'filling', args, evidence, measures);
    if (leaked.length >= Math.max(LEAK_WARN, cap * 0.1)) return found(findings, 'leaking', args, evidence, measures);
    return found(findings, 'ok', { leases: v4.length, capacity: cap, network: net.network, percent }, evidence, measures);
  },
  metrics: [
    { name: 'netcheck_ipam_leases', help: 'host-local IPAM reservations of the node (IPv4)', measure: 'leases' },
    { name: 'netcheck_ipam_capacity', help: "Addresses host-local can hand out of the node's podCIDR", measure: 'capacity' },
    { name: 'netcheck_ipam_leases_leaked', help: 'host-local reservations whose address no pod on the node has', measure: 'leaked' },
  ],
  alerts: [
    {
      name: 'NetcheckIPAMExhausted',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_ipam_leases')} / ${q.sel('netcheck_ipam_capacity')} >= ${FAIL} and ${q.sel('netcheck_ipam_leases_leaked')} > 0`,
      summary: "A node's host-local IPAM range is exhausted by leaked reservations.",
      description: 'host-local on node {{ $labels.node }} has {{ $value | humanizePercentage }} of its podCIDR reserved, some by pods that are gone: new pods there get no address.',
      fires: { netcheck_ipam_leases: 250, netcheck_ipam_capacity: 253, netcheck_ipam_leases_leaked: 200 },
      testValue: 250 / 253,
    },
    {
      name: 'NetcheckIPAMLeaking',
      severity: 'warning',
      for: 'slowest',
      expr: (q) => `${q.sel('netcheck_ipam_leases_leaked')} >= ${LEAK_WARN}`,
      summary: 'host-local IPAM reservations are leaking.',
      description: '{{ $value }} host-local reservations on node {{ $labels.node }} belong to no pod: they accumulate until the podCIDR is full.',
      fires: { netcheck_ipam_leases_leaked: 40 },
    },
  ],
});
