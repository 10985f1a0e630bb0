// netcheck's alerts as a configurable mixin (kubernetes-mixin conventions): one config object, from
// which tools/generate.ts renders the rule file, the PrometheusRule, their promtool tests, the
// runbook pages and the Alertmanager inhibitions. Per-check alerts live in each check's file; the
// alerts about the agent itself and the generic ones live here.

import { CHECKS } from '../src/checks';
import type { AlertQuery, AlertSpec } from '../src/core/check';
import type { Status } from '../src/core/model';

export interface MixinConfig {
  /** Selects the agents' series (as a label matcher); kube-prometheus' PodMonitor gives job="netcheck-agent". */
  selector: string;
  /** kube-state-metrics' series, for NetcheckAgentAbsent (it compares with kube_node_info). */
  kubeStateMetricsSelector: string;
  /** The label that names the cluster in a multi-cluster Prometheus (Thanos, Mimir); kept by every aggregation and join. */
  clusterLabel: string;
  runbookUrlBase: string;
  /** How long a condition must hold before an alert fires: long enough that a restart does not page. */
  for: { fast: string; slow: string; slowest: string; unknown: string; agent: string };
  /** Seconds without a finished check cycle after which an agent is stale (5 × a 30 s interval, with margin). */
  staleSeconds: number;
}

export const DEFAULT_CONFIG: MixinConfig = {
  selector: 'job="netcheck-agent"',
  kubeStateMetricsSelector: 'job="kube-state-metrics"',
  clusterLabel: 'cluster',
  runbookUrlBase: 'https://github.com/netcheck/netcheck/blob/main/docs/runbooks',
  for: { fast: '5m', slow: '15m', slowest: '30m', unknown: '30m', agent: '10m' },
  staleSeconds: 300,
};

export interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

/** An alert as rendered, with what its test needs and where its runbook comes from. */
export interface RenderedAlert {
  rule: Rule;
  spec: AlertSpec;
  /** The check it is about (its label `check`), or undefined for the agent's own alerts. */
  check?: string;
  /** Markdown for the runbook page: the check's runbook, or the mixin's. */
  runbook: { check?: string; file?: string };
}

export function alertQuery(cfg: MixinConfig): AlertQuery {
  const sel = (metric: string, extra = '') => `${metric}{${[cfg.selector, extra].filter(Boolean).join(',')}}`;
  return {
    sel,
    status: (check: string, status: Status) => `${sel('netcheck_check_status', `check="${check}",status="${status}"`)} == 1`,
    by: `${cfg.clusterLabel}, node`,
  };
}

/** The alerts about the agent itself and the catch-alls over every check. */
function mixinAlerts(cfg: MixinConfig): { spec: AlertSpec; file: string }[] {
  const q = alertQuery(cfg);
  const by = q.by;
  const covered = CHECKS.filter((c) => c.alerts.some((a) => a.coversFailure)).map((c) => c.id);
  // For the tests: a check that only the generic alert covers, and any check.
  const uncovered = CHECKS.find((c) => !covered.includes(c.id))!.id;
  return [
    {
      file: 'NetcheckCheckFailing',
      spec: {
        name: 'NetcheckCheckFailing',
        severity: 'warning',
        for: 'slow',
        // Every failing check that no dedicated alert covers.
        expr: () => `${q.sel('netcheck_check_status', `status="fail",check!~"${covered.join('|')}"`)} == 1`,
        summary: 'A netcheck check fails on a node.',
        description: 'The check {{ $labels.check }} fails on node {{ $labels.node }}. Run kubectl netcheck node {{ $labels.node }} for the cause and the fix.',
        fires: { [`netcheck_check_status{check="${uncovered}",status="fail"}`]: 1 },
      },
    },
    {
      file: 'NetcheckCheckUnknown',
      spec: {
        name: 'NetcheckCheckUnknown',
        severity: 'warning',
        for: 'slowest',
        // A check that cannot tell for long is a blind spot, not a healthy node.
        expr: () => `${q.sel('netcheck_check_status', 'status="unknown"')} == 1`,
        summary: 'A netcheck check cannot tell whether a node is healthy.',
        description: 'The check {{ $labels.check }} has been unknown on node {{ $labels.node }} for a while: a fact it needs cannot be read (see netcheck_fact_unavailable and the agent log).',
        fires: { [`netcheck_check_status{check="${CHECKS[0].id}",status="unknown"}`]: 1 },
      },
    },
    {
      file: 'NetcheckAgentDown',
      spec: {
        name: 'NetcheckAgentDown',
        severity: 'warning',
        for: 'slow',
        expr: () => `${q.sel('up')} == 0`,
        summary: 'A netcheck agent cannot be scraped.',
        description: 'Prometheus cannot scrape the netcheck agent at {{ $labels.instance }}; its node is not being checked.',
        fires: { up: 0 },
      },
    },
    {
      file: 'NetcheckAgentAbsent',
      spec: {
        name: 'NetcheckAgentAbsent',
        severity: 'warning',
        for: 'slow',
        // Needs kube-state-metrics (kube_node_info): a node without any agent series at all.
        expr: () => `count by (${by}) (kube_node_info{${cfg.kubeStateMetricsSelector}}) unless on (${by}) count by (${by}) (${q.sel('netcheck_last_cycle_timestamp_seconds')})`,
        summary: 'A node has no netcheck agent reporting.',
        description: 'Node {{ $labels.node }} has no netcheck agent reporting (DaemonSet pod missing, Pending or unscheduled).',
        fires: { kube_node_info: 1 },
      },
    },
    {
      file: 'NetcheckChecksStale',
      spec: {
        name: 'NetcheckChecksStale',
        severity: 'warning',
        for: 'fast',
        expr: () => `time() - ${q.sel('netcheck_last_cycle_timestamp_seconds')} > ${cfg.staleSeconds}`,
        summary: "A netcheck agent's checks have stopped running.",
        description: 'The last check cycle on node {{ $labels.node }} finished {{ $value | humanizeDuration }} ago; its metrics describe the past.',
        fires: { netcheck_last_cycle_timestamp_seconds: 0 },
      },
    },
    {
      file: 'NetcheckReportNotPublished',
      spec: {
        name: 'NetcheckReportNotPublished',
        severity: 'warning',
        for: 'slow',
        expr: () => `increase(${q.sel('netcheck_report_writes_total', 'result="error"')}[15m]) > 0 unless on (${by}) increase(${q.sel('netcheck_report_writes_total', 'result="ok"')}[15m]) > 0`,
        summary: "A netcheck agent cannot publish its node's report to the API.",
        description: 'The agent on node {{ $labels.node }} fails to write its NodeReport (CRD not installed, RBAC, admission policy): kubectl netcheck sees that node only through the API.',
        fires: { 'netcheck_report_writes_total{result="error"}': '0+1x60' },
      },
    },
  ];
}

/** Every alert, rendered for `cfg`: the checks' (from the registry), then the mixin's own. */
export function renderAlerts(cfg: MixinConfig = DEFAULT_CONFIG): RenderedAlert[] {
  const q = alertQuery(cfg);
  const rule = (spec: AlertSpec, check?: string): Rule => ({
    alert: spec.name,
    expr: spec.expr(q),
    for: cfg.for[spec.for],
    labels: { severity: spec.severity, ...(check ? { check } : {}) },
    annotations: { summary: spec.summary, description: spec.description, runbook_url: `${cfg.runbookUrlBase}/${spec.name}.md` },
  });
  return [
    ...CHECKS.flatMap((c) => c.alerts.map((spec) => ({ rule: rule(spec, c.id), spec, check: c.id, runbook: { check: c.id } }))),
    ...mixinAlerts(cfg).map(({ spec, file }) => ({ rule: rule(spec), spec, runbook: { file } })),
  ];
}

export function ruleGroups(cfg: MixinConfig = DEFAULT_CONFIG) {
  const alerts = renderAlerts(cfg);
  return [
    { name: 'netcheck-checks', rules: alerts.filter((a) => a.check).map((a) => a.rule) },
    { name: 'netcheck-agent', rules: alerts.filter((a) => !a.check).map((a) => a.rule) },
  ];
}

/**
 * Root causes inhibit their symptoms on the same node (in the same cluster): an alert about a check
 * inhibits the alerts about checks it explains (higher rank). KubeNodeNotReady, from
 * kubernetes-mixin, inhibits them all on its node.
 */
export function inhibitRules(cfg: MixinConfig = DEFAULT_CONFIG) {
  const byRank = [...CHECKS].sort((a, b) => a.rank - b.rank);
  const equal = [cfg.clusterLabel, 'node'];
  // A check that is only unknown explains nothing.
  const rules = byRank.slice(0, -1).map((cause, i) => ({
    source_matchers: [`check="${cause.id}"`, 'alertname!="NetcheckCheckUnknown"'],
    target_matchers: [
      `check=~"${byRank
        .slice(i + 1)
        .map((c) => c.id)
        .join('|')}"`,
    ],
    equal,
  }));
  return [{ source_matchers: ['alertname="KubeNodeNotReady"'], target_matchers: ['check=~".+"'], equal }, ...rules];
}
