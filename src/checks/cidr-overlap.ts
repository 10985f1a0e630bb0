import { defineCheck, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { isVirtualLink } from '../host/network';
import { isDefaultRoute } from '../parsers/proc-net-route';
import { hostFactRemedy } from '../remedy/agent';
import { type Cidr, containsAddress, overlaps, parseCidr } from '../util/cidr';

interface Block {
  cidr: string;
  what: string;
}

/** The cluster's pod and Service ranges, from wherever this node's facts show them. */
function clusterBlocks(facts: NodeFacts): Block[] {
  const out: Block[] = [];
  const add = (cidr: string | undefined, what: string) => {
    for (const c of (cidr ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      if (!out.some((b) => b.cidr === c)) out.push({ cidr: c, what });
  };
  const cm = facts.cluster?.controllerManager;
  add(cm?.flags['cluster-cidr'], 'pod CIDR (controller-manager --cluster-cidr)');
  add(cm?.flags['service-cluster-ip-range'], 'Service CIDR (controller-manager --service-cluster-ip-range)');
  add(facts.cluster?.kubeadm?.podSubnet, 'pod CIDR (kubeadm podSubnet)');
  add(facts.cluster?.flannel?.network, 'pod CIDR (flannel net-conf Network)');
  add(facts.cluster?.calicoPool?.cidr, 'pod CIDR (Calico IPPool)');
  add(facts.host?.subnetEnv?.network, 'pod CIDR (FLANNEL_NETWORK, /run/flannel/subnet.env)');
  for (const c of facts.node?.spec?.podCIDRs ?? (facts.node?.spec?.podCIDR ? [facts.node.spec.podCIDR] : [])) add(c, 'podCIDR (node spec)');
  return out;
}

interface Overlap {
  host: string;
  where: string;
  block: string;
  what: string;
}

const findings = {
  clear: { status: 'ok', summary: (a: { blocks: string }) => `${a.blocks} overlap none of the node's networks or DNS servers` },
  network: {
    status: 'fail',
    summary: (a: Overlap) => `the ${a.what} ${a.block} overlaps the node's own network ${a.host} (${a.where}): traffic to those addresses goes to the wrong place`,
    remedy: (a: Overlap) =>
      `Renumber one of them: the ${a.what} is fixed when the cluster is created (a new pod network range means a new CNI config, and for kubeadm a new podSubnet), so it is usually the cheaper fix to move the node off ${a.host}, or to pick a pod range that overlaps no host or VPC network before the next cluster. Until then, pods cannot reach the hosts in ${a.host}.`,
  },
  dns: {
    status: 'fail',
    summary: (a: Overlap) => `the node's DNS server ${a.host} (${a.where}) is inside the ${a.what} ${a.block}: pods that use it reach a pod or Service address instead`,
    remedy: (a: Overlap) =>
      `Point the node at a DNS server outside ${a.block} (in the kubelet's resolvConf file, ${a.where}), or renumber the ${a.what}; then restart CoreDNS (kubectl -n kube-system rollout restart deployment coredns, cluster-wide).`,
  },
  noCidrs: { status: 'unknown', summary: () => 'no pod or Service CIDR is known for this node (no podCIDR, no flannel network, no cluster config)' },
  unreadable: { status: 'unknown', summary: () => "the node's networks could not be read on the host" },
  notVisible: { status: 'unknown', summary: () => "the node's own networks are not visible through the API", remedy: (a: { hint?: string }) => a.hint },
} as const;

export const cidrOverlap = defineCheck({
  id: 'cidr-overlap',
  title: "The pod and Service CIDRs stay clear of the node's own networks",
  question: "Do the pod or service CIDRs overlap the node's own networks, routes or DNS servers?",
  column: 'CIDR-OVERLAP',
  wide: true,
  rank: 42,
  explains: ['cni-ready', 'node-address'],
  needs: ['node', 'controllerManager', 'kubeadm', 'flannel', 'routes', 'ipv6Addresses', 'resolvConfs', 'kubeletConfig', 'subnetEnv', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const blocks = clusterBlocks(facts);
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    if (!host.routes) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['routes']));
    if (!blocks.length) return found(findings, 'noCidrs', {}, unavailableEvidence(facts, ['node', 'subnetEnv']));
    const parsed: (Block & { c: Cidr })[] = [];
    for (const b of blocks) {
      try {
        parsed.push({ ...b, c: parseCidr(b.cidr) });
      } catch {
        // a malformed range is cluster-cidr's to report
      }
    }
    const evidence = [`cluster ranges: ${blocks.map((b) => `${b.cidr} (${b.what})`).join(', ')}`];
    // The node's own networks: the connected routes of links that carry node traffic (a CNI's routes
    // to pod subnets, over eth0 with flannel host-gw or Calico BGP, have a gateway and are left out).
    const networks: { cidr: string; where: string }[] = [
      ...host.routes
        .filter((r) => !isDefaultRoute(r) && r.gateway === '0.0.0.0' && r.iface !== '*' && !isVirtualLink(r.iface))
        .map((r) => ({ cidr: `${r.destination}/${r.prefix}`, where: `route on ${r.iface}, /proc/net/route` })),
      ...(host.ipv6Addresses ?? [])
        .filter((a) => !isVirtualLink(a.iface) && !/^fe[89ab]/i.test(a.cidr) && !/\/128$/.test(a.cidr))
        .map((a) => ({ cidr: a.cidr, where: `address on ${a.iface}, /proc/net/if_inet6` })),
    ];
    evidence.push(`node networks: ${networks.map((n) => `${n.cidr} (${n.where})`).join(', ') || 'none'}`);
    const measures = { overlaps: 0 };
    for (const n of networks) {
      let c: Cidr;
      try {
        c = parseCidr(n.cidr);
      } catch {
        continue;
      }
      // The node's own podCIDR sits inside the cluster range by design; a host network must not.
      const hit = parsed.find((b) => overlaps(b.c, c));
      if (hit) return found(findings, 'network', { host: n.cidr, where: n.where, block: hit.cidr, what: hit.what }, evidence, { overlaps: 1 });
    }
    const resolv = host.kubeletConfig?.resolvConf || '/etc/resolv.conf';
    const entry = host.resolvConfs?.[resolv];
    const servers = Array.isArray(entry) ? entry : [];
    if (servers.length) evidence.push(`${resolv}: nameserver ${servers.join(', ')}`);
    for (const s of servers) {
      let hit: (typeof parsed)[number] | undefined;
      try {
        hit = parsed.find((b) => containsAddress(b.c, s));
      } catch {
        continue;
      }
      if (hit) return found(findings, 'dns', { host: s, where: resolv, block: hit.cidr, what: hit.what }, evidence, { overlaps: 1 });
    }
    return found(findings, 'clear', { blocks: parsed.map((b) => b.cidr).join(', ') }, evidence, measures);
  },
  metrics: [{ name: 'netcheck_cidr_overlap', help: "1 when a pod or Service CIDR overlaps the node's own networks or DNS servers, 0 when not", measure: 'overlaps' }],
  alerts: [
    {
      name: 'NetcheckCIDROverlap',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_cidr_overlap')} == 1`,
      summary: "A pod or Service CIDR overlaps a node's own network.",
      description: 'A pod or Service CIDR overlaps a network or DNS server of node {{ $labels.node }}: traffic to those addresses goes to the wrong place.',
      fires: { netcheck_cidr_overlap: 1 },
      coversFailure: true,
    },
  ],
});
