import { defineCheck, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { hostFactRemedy } from '../remedy/agent';
import { type SysctlFix, sysctlCommands, sysctlFix } from '../remedy/sysctl';

const COUNT = 'net.netfilter.nf_conntrack_count';
const MAX = 'net.netfilter.nf_conntrack_max';
/** Thresholds of the table's fill: past the first, new connections are at risk at the next burst. */
const WARN = 0.75;
const FAIL = 0.9;

interface Full {
  node: string;
  count: number;
  max: number;
  percent: number;
  /** Twice the current limit: room for a burst like the one that filled it. */
  raise: SysctlFix;
}

const TOP_TALKERS = "conntrack -L 2>/dev/null | grep -o 'dst=[0-9a-f.:]*' | sort | uniq -c | sort -rn | head";

const grow = (a: Full) =>
  `On ${a.node}: ${sysctlCommands(a.raise)}. kube-proxy sets the limit again when it starts, from its config: raise conntrack.maxPerCore (or conntrack.min) with kubectl -n kube-system edit configmap kube-proxy, then kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${a.node}. See what fills the table: ${TOP_TALKERS}`;

const findings = {
  room: { status: 'ok', summary: (a: { count: number; max: number; percent: number }) => `${a.count} of ${a.max} conntrack entries used (${a.percent}%)` },
  filling: { status: 'warn', summary: (a: Full) => `the conntrack table is ${a.percent}% full (${a.count} of ${a.max}): past 100% new connections are dropped`, remedy: grow },
  full: { status: 'fail', summary: (a: Full) => `the conntrack table is ${a.percent}% full (${a.count} of ${a.max}): new connections are being dropped or soon will be`, remedy: grow },
  notLoaded: { status: 'skip', summary: () => 'no connection tracking on this node (nf_conntrack is not loaded)' },
  unreadable: { status: 'unknown', summary: () => 'the conntrack table could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'the conntrack table is not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const conntrack = defineCheck({
  id: 'conntrack',
  title: 'The conntrack table has room',
  question: 'How full is the conntrack table (nf_conntrack_count / nf_conntrack_max)?',
  column: 'CONNTRACK',
  wide: true,
  rank: 78,
  needs: ['sysctls', 'sysctlFiles', 'agent'],
  sysctls: [COUNT, MAX],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const sysctls = facts.host?.sysctls;
    if (!sysctls) return facts.host ? found(findings, 'unreadable', {}, unavailableEvidence(facts, ['sysctls'])) : found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    if (sysctls[COUNT] === null && sysctls[MAX] === null) return found(findings, 'notLoaded', {}, ['/proc/sys/net/netfilter/nf_conntrack_count does not exist']);
    const count = Number(sysctls[COUNT]);
    const max = Number(sysctls[MAX]);
    if (!Number.isInteger(count) || !Number.isInteger(max) || max <= 0) return found(findings, 'unreadable', {}, [`${COUNT} = ${sysctls[COUNT]}, ${MAX} = ${sysctls[MAX]}: not numbers`]);
    const ratio = count / max;
    const percent = Math.floor(ratio * 100);
    const evidence = [`${COUNT} = ${count}`, `${MAX} = ${max}`];
    const measures = { entries: count, limit: max };
    const args: Full = { node: facts.nodeName, count, max, percent, raise: sysctlFix(facts.host, MAX, String(max * 2), 'conntrack') };
    if (ratio >= FAIL) return found(findings, 'full', args, evidence, measures);
    if (ratio >= WARN) return found(findings, 'filling', args, evidence, measures);
    return found(findings, 'room', { count, max, percent }, evidence, measures);
  },
  metrics: [
    { name: 'netcheck_conntrack_entries', help: 'Entries in the conntrack table (nf_conntrack_count); absent where nf_conntrack is not loaded', measure: 'entries' },
    { name: 'netcheck_conntrack_limit', help: 'Size of the conntrack table (nf_conntrack_max)', measure: 'limit' },
  ],
  alerts: [
    {
      name: 'NetcheckConntrackTableFilling',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_conntrack_entries')} / ${q.sel('netcheck_conntrack_limit')} >= ${WARN} < ${FAIL}`,
      summary: "A node's conntrack table is filling up.",
      description: 'The conntrack table on node {{ $labels.node }} is {{ $value | humanizePercentage }} full; at 100% new connections are dropped.',
      fires: { netcheck_conntrack_entries: 80, netcheck_conntrack_limit: 100 },
      testValue: 0.8,
    },
    {
      name: 'NetcheckConntrackTableFull',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_conntrack_entries')} / ${q.sel('netcheck_conntrack_limit')} >= ${FAIL}`,
      summary: "A node's conntrack table is full or nearly.",
      description:
        'The conntrack table on node {{ $labels.node }} is {{ $value | humanizePercentage }} full: new connections through it are being dropped ("nf_conntrack: table full, dropping packet").',
      fires: { netcheck_conntrack_entries: 95, netcheck_conntrack_limit: 100 },
      testValue: 0.95,
      coversFailure: true,
    },
  ],
});
