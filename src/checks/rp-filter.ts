import { nodeCni } from '../cni/cni';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { hostFactRemedy } from '../remedy/agent';
import { shq } from '../remedy/shell';
import { type SysctlFix, sysctlFix, sysctlProse, sysctlSteps } from '../remedy/sysctl';

const ALL = 'net.ipv4.conf.all.rp_filter';
const MODE = { '0': 'off', '1': 'strict', '2': 'loose' } as Record<string, string>;
/** Calico's Felix (before v3.12, felix#2189) refuses to start when the kernel's RPF is loose. */
const CALICO_IPTABLES_RPF = [3, 12];

/** The kernel uses max(conf/all, conf/IFACE) when it validates a packet's source on IFACE. */
export function effectiveRpFilter(values: Record<string, string>, iface: string): number {
  return Math.max(Number(values.all ?? 0) || 0, Number(values[iface] ?? values.default ?? 0) || 0);
}

/** Drops the kernel's reverse-path filter counted per second since the agent's previous reading. */
export function rpDropsPerSecond(facts: NodeFacts): number | undefined {
  const h = facts.host?.netCounters;
  const now = h?.now.ipReversePathFilter;
  const before = h?.previous?.ipReversePathFilter;
  if (!h?.previous || now === undefined || before === undefined || h.now.at <= h.previous.at || now < before) return undefined;
  return (now - before) / ((h.now.at - h.previous.at) / 1000);
}

interface Strict {
  node: string;
  cni: string;
  ifaces: string[];
  /** The change to net.ipv4.conf.all.rp_filter; absent: set each of `ifaces` to `value` instead. */
  sysctl?: SysctlFix;
  value: string;
  drops?: number;
}

/** Set `all` now and at boot (through the sysctl.d files), or each interface now. */
const rpSetting = (iface: string, value: string) => `net.ipv4.conf.${iface}.rp_filter=${value}`;
const rpSteps = (a: Strict): FindingStep[] => (a.sysctl ? sysctlSteps(a.sysctl) : a.ifaces.map((i) => ({ on: 'node', run: `sysctl -w ${shq(rpSetting(i, a.value))}` })));
const rpProse = (a: Strict) => (a.sysctl ? sysctlProse(a.sysctl) : `set rp_filter to ${a.value} on those interfaces (the steps name them)`);

const calicoVersion = (image: string | undefined) => {
  const m = /:v?(\d+)\.(\d+)/.exec(image ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
};

const findings = {
  ok: { status: 'ok', summary: (a: { what: string }) => a.what },
  ciliumStrict: {
    status: 'fail',
    summary: (a: Strict) => `strict reverse-path filtering on ${a.ifaces.join(', ')}: Cilium's traffic arrives asymmetrically and is dropped (Cilium wants 0 or 2)`,
    remedy: (a: Strict) => `On ${a.node}: ${rpProse(a)}; Cilium's interfaces take max(all, interface), so all must not be 1.`,
    steps: rpSteps,
  },
  calicoLoose: {
    status: 'fail',
    summary: (_a: Strict) => `loose reverse-path filtering (${ALL} = 2): this Calico version's Felix refuses to start ("Kernel's RPF check is set to 'loose'")`,
    remedy: (a: Strict) =>
      `On ${a.node}: ${rpProse(a)}; or set FELIX_IGNORELOOSERPF=true on calico-node (cluster-wide: kubectl -n kube-system set env daemonset/calico-node FELIX_IGNORELOOSERPF=true), or upgrade Calico (v3.12 and later check RPF with iptables).`,
    steps: rpSteps,
  },
  dropping: {
    status: 'warn',
    summary: (a: Strict) => `strict reverse-path filtering on ${a.ifaces.join(', ')} is dropping packets (IPReversePathFilter rising): asymmetric ${a.cni} traffic is lost`,
    remedy: (a: Strict) => `On ${a.node}, see which source addresses are dropped (the first two steps log and show them); if they are pod or peer addresses, make the filter loose: ${rpProse(a)}`,
    steps: (a: Strict): FindingStep[] => [{ on: 'node', run: 'sysctl -w net.ipv4.conf.all.log_martians=1' }, { on: 'node', run: 'dmesg | grep -i martian | tail -n 20' }, ...rpSteps(a)],
  },
  unreadable: { status: 'unknown', summary: () => 'rp_filter could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'rp_filter is not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const rpFilter = defineCheck({
  id: 'rp-filter',
  title: 'Reverse-path filtering is set the way the CNI needs',
  question: 'Is reverse-path filtering set the way the CNI needs (strict breaks asymmetric CNIs), and is it dropping packets (IPReversePathFilter)?',
  column: 'RP-FILTER',
  wide: true,
  rank: 22,
  explains: ['cni-ready'],
  needs: ['rpFilter', 'netCounters', 'sysctlFiles', 'pods', 'cniConfigFiles', 'agent'],
  sysctls: [ALL],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    const values = host.rpFilter;
    if (!values) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['rpFilter']));
    const cni = nodeCni(facts);
    const name = cni.agent?.name ?? cni.row?.name ?? 'the CNI';
    const ifaces = Object.keys(values).filter((k) => k !== 'all' && k !== 'default');
    const drops = rpDropsPerSecond(facts);
    const counted = facts.host?.netCounters?.now.ipReversePathFilter;
    // Stable while nothing is dropped: a quiet node's report is the same every cycle.
    const dropsText = !counted
      ? `IPReversePathFilter: ${counted ?? 'not counted'}`
      : drops === undefined
        ? `IPReversePathFilter: ${counted} since boot; whether it rises is judged from the agent's next reading`
        : `IPReversePathFilter: ${Math.round(drops * 100) / 100} drops/s since the previous reading`;
    const evidence = [
      `rp_filter: all ${values.all}, default ${values.default ?? '?'}${ifaces.length ? `, ${ifaces.map((i) => `${i} ${values[i]}`).join(', ')}` : ''} (the kernel uses max(all, interface))`,
      dropsText,
    ];
    const measures = { drops: drops ?? 0 };
    const strictOn = ifaces.filter((i) => effectiveRpFilter(values, i) === 1);
    const all = Number(values.all);
    if (cni.kind === 'cilium') {
      const cilium = ifaces.filter((i) => /^cilium_|^lxc/.test(i));
      const strict = (cilium.length ? cilium : ['all']).filter((i) => (i === 'all' ? all === 1 : effectiveRpFilter(values, i) === 1));
      if (strict.length) {
        const sysctl = all === 1 ? sysctlFix(host, ALL, '0', 'cilium-rp-filter') : undefined;
        return found(findings, 'ciliumStrict', { node: facts.nodeName, cni: name, ifaces: strict, value: '0', ...(sysctl ? { sysctl } : {}) }, evidence, { ...measures, ok: 0 });
      }
      return found(findings, 'ok', { what: `reverse-path filtering ${MODE[String(all)] ?? values.all} on all, not strict on Cilium's interfaces` }, evidence, { ...measures, ok: 1 });
    }
    if (cni.kind === 'calico') {
      const version = calicoVersion(cni.agent?.pod.spec?.containers?.find((c) => c.name === 'calico-node')?.image);
      const old = version && (version[0] < CALICO_IPTABLES_RPF[0] || (version[0] === CALICO_IPTABLES_RPF[0] && version[1] < CALICO_IPTABLES_RPF[1]));
      if (all === 2 && old) {
        const sysctl = sysctlFix(host, ALL, '1', 'calico-rp-filter');
        return found(findings, 'calicoLoose', { node: facts.nodeName, cni: name, ifaces: ['all'], value: '1', sysctl }, [...evidence, `calico-node v${version.join('.')}`], { ...measures, ok: 0 });
      }
    }
    if (strictOn.length && drops !== undefined && drops > 0) {
      const sysctl = sysctlFix(host, ALL, '2', 'rp-filter');
      return found(findings, 'dropping', { node: facts.nodeName, cni: name, ifaces: strictOn, value: '2', sysctl, drops: Math.round(drops * 100) / 100 }, evidence, { ...measures, ok: 0 });
    }
    return found(findings, 'ok', { what: `reverse-path filtering ${MODE[String(all)] ?? values.all} on all${drops ? '' : ', no drops counted'}` }, evidence, { ...measures, ok: 1 });
  },
  metrics: [
    { name: 'netcheck_rp_filter_ok', help: "1 when reverse-path filtering suits the node's CNI and drops nothing, 0 when not", measure: 'ok' },
    { name: 'netcheck_rp_filter_drops_per_second', help: "Packets the kernel's reverse-path filter dropped per second (IPReversePathFilter), between the agent's last two readings", measure: 'drops' },
  ],
  alerts: [
    {
      name: 'NetcheckRPFilterMismatch',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_rp_filter_ok')} == 0`,
      summary: "Reverse-path filtering does not suit the node's CNI.",
      description: "rp_filter on node {{ $labels.node }} is set so the CNI's traffic is dropped (strict under Cilium, loose under an old Calico, or strict and counting drops).",
      fires: { netcheck_rp_filter_ok: 0 },
      coversFailure: true,
    },
  ],
});
