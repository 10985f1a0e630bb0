// netcheck's alerts as a configurable mixin (kubernetes-mixin conventions): one config object, from
// which tools/generate.ts renders the rule file (alerts and recording rules), the PrometheusRule,
// their promtool tests, the runbook pages, the Alertmanager routing and inhibitions (plain and as an
// AlertmanagerConfig) and, through alerts/jsonnet.ts, the jsonnet mixin. Per-check alerts live in
// each check's file; the alerts about the agent itself and the generic ones live here. Causes and
// effects come from the checks' `explains` only (docs/alerting.md).
import { CHECKS } from '../src/checks';
import { cniReady } from '../src/checks/cni-ready';
import { kubeletReady } from '../src/checks/kubelet-ready';
import type { AlertQuery, AlertSpec, Check } from '../src/core/check';
import type { Status } from '../src/core/model';

export interface MixinConfig {
  /** Selects the agents' series (as a label matcher); kube-prometheus' PodMonitor gives job="netcheck-agent". */
  selector: string;
  /** kube-state-metrics' series, for NetcheckAgentAbsent and NetcheckNodeUnreachable. */
  kubeStateMetricsSelector: string;
  /**
   * kube_node_info matchers for the nodes that should run an agent: Linux and not virtual, as the
   * DaemonSet's nodeSelector and affinity schedule it (Windows, virtual-kubelet and Fargate nodes never
   * get one). kube_node_info has no node labels, so this reads its os_image, kubelet_version and name.
   */
  agentNodeSelector: string;
  /** The label that names the cluster in a multi-cluster Prometheus (Thanos, Mimir); kept by every aggregation and join. */
  clusterLabel: string;
  runbookUrlBase: string;
  /** Where each check's runbook (src/checks/<id>.md) is read: the dashboards link a check to it. */
  checkDocsUrlBase: string;
  /** How long a condition must hold before an alert fires: long enough that a restart does not page. */
  for: { fast: string; slow: string; slowest: string };
  /** Seconds without a finished check cycle after which an agent is stale (5 × a 30 s interval, with margin). */
  staleSeconds: number;
  /** Labels added to every alert (the PrometheusRule adds namespace="netcheck", which an AlertmanagerConfig matches on). */
  extraAlertLabels: Record<string, string>;
  /** Alertmanager timings of the routing netcheck ships. */
  alertmanager: { groupWait: string; groupInterval: string; repeatInterval: string; pageRepeatInterval: string };
}

export const DEFAULT_CONFIG: MixinConfig = {
  selector: 'job="netcheck-agent"',
  kubeStateMetricsSelector: 'job="kube-state-metrics"',
  agentNodeSelector: 'os_image!~"(?i)windows.*",kubelet_version!~".*-vk-.*",node!~"fargate-.*"',
  clusterLabel: 'cluster',
  runbookUrlBase: 'https://github.com/netcheck/netcheck/blob/main/docs/runbooks',
  checkDocsUrlBase: 'https://github.com/netcheck/netcheck/blob/main/src/checks',
  for: { fast: '5m', slow: '15m', slowest: '30m' },
  staleSeconds: 300,
  extraAlertLabels: {},
  alertmanager: { groupWait: '30s', groupInterval: '5m', repeatInterval: '4h', pageRepeatInterval: '1h' },
};

export interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RecordingRule {
  record: string;
  expr: string;
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

// The causal links between checks (each check's `explains`), closed under "explains what it explains".
const BY_ID = new Map<string, Check>(CHECKS.map((c) => [c.id, c]));

/** Every check whose failure `id`'s failure explains on the same node, directly or through another. */
export function effectsOf(id: string): string[] {
  const seen = new Set<string>();
  const walk = (from: string) => {
    for (const e of BY_ID.get(from)?.explains ?? []) {
      if (seen.has(e) || !BY_ID.has(e)) continue;
      seen.add(e);
      walk(e);
    }
  };
  walk(id);
  seen.delete(id);
  return CHECKS.map((c) => c.id).filter((c) => seen.has(c));
}

/** Every check whose failure explains `id`'s. */
export function causesOf(id: string): string[] {
  return CHECKS.map((c) => c.id).filter((c) => effectsOf(c).includes(id));
}

/**
 * Alerts from outside netcheck that a netcheck finding explains, with the checks whose failure is
 * their cause: a node is NotReady because its kubelet stopped or its CNI is not ready.
 * kubernetes-mixin's KubeNodeNotReady is a warning; the netcheck alert that says why replaces it.
 */
export const EXTERNAL_EFFECTS: Record<string, { checks: string[]; severity: 'warning' | 'critical' }> = {
  KubeNodeNotReady: { checks: [kubeletReady.id, cniReady.id], severity: 'warning' },
};

const MORE_SEVERE = { critical: 2, warning: 1 } as const;

/** The alerts that mean "check `id` fails": its own that cover failure, else the generic one. */
function failureAlerts(id: string): { name: string; severity: 'critical' | 'warning' }[] {
  const own = BY_ID.get(id)!.alerts.filter((a) => a.coversFailure);
  return own.length ? own.map((a) => ({ name: a.name, severity: a.severity })) : [{ name: 'NetcheckCheckFailing', severity: 'warning' }];
}

/**
 * The conditions of the alerts that explain an alert of check `id` with `severity`: its causes'
 * failure alerts of at least that severity (a warning never holds back a page). The alert's
 * expression leaves out the nodes where one holds, so a symptom never races its cause to
 * Alertmanager (after a Prometheus restart both come back at the first evaluation, and Alertmanager
 * may notify for whichever it gets first before the inhibition sees the other: docs/alerting.md);
 * the inhibitions (inhibitRules) say the same for what reaches Alertmanager from elsewhere.
 */
export function explainedBy(id: string, severity: 'critical' | 'warning'): { check: string; spec?: AlertSpec }[] {
  return causesOf(id).flatMap((c) => {
    const covering = BY_ID.get(c)!.alerts.filter((a) => a.coversFailure);
    if (covering.length) return covering.filter((a) => MORE_SEVERE[a.severity] >= MORE_SEVERE[severity]).map((spec) => ({ check: c, spec }));
    // A cause only the generic alert covers (a warning): its failing status.
    return MORE_SEVERE.warning >= MORE_SEVERE[severity] ? [{ check: c }] : [];
  });
}

function causeConditions(q: AlertQuery, id: string, severity: 'critical' | 'warning'): string[] {
  return explainedBy(id, severity).map((e) => (e.spec ? e.spec.expr(q) : q.status(e.check, 'fail')));
}

/** The alerts about the agent itself and the catch-alls over every check. */
function mixinAlerts(cfg: MixinConfig): { spec: AlertSpec; file: string; check?: string }[] {
  const q = alertQuery(cfg);
  const by = q.by;
  const covered = CHECKS.filter((c) => c.alerts.some((a) => a.coversFailure)).map((c) => c.id);
  // For the tests: a check that only the generic alert covers, and any check.
  const uncovered = CHECKS.find((c) => !covered.includes(c.id))!.id;
  const ksm = (metric: string, extra = '') => `${metric}{${[cfg.kubeStateMetricsSelector, extra].filter(Boolean).join(',')}}`;
  // The kubelet stopped posting status: Ready is Unknown (kube-state-metrics' state set).
  const readyUnknown = `${ksm('kube_node_status_condition', 'condition="Ready",status="unknown"')} == 1`;
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
      file: 'NetcheckNodeUnreachable',
      spec: {
        name: 'NetcheckNodeUnreachable',
        severity: 'critical',
        for: 'fast',
        // The agent is scraped over the node's own network (hostNetwork, the InternalIP): when the
        // NIC or the route is what broke, the agent cannot say so. The API shows the other half: the
        // kubelet stopped posting status too. Both silent is the node's network (or the node) down.
        expr: () => `${q.sel('up')} == 0 and on (${by}) ${readyUnknown}`,
        summary: 'Neither the netcheck agent nor the kubelet of a node can be reached.',
        description:
          "Prometheus cannot scrape the netcheck agent on node {{ $labels.node }} and its kubelet stopped posting status: the node's network (its NIC, its route, a firewall) or the node itself is down. kubectl netcheck node {{ $labels.node }} shows what the API still knows (its last NodeReport, events, conditions).",
        fires: { up: 0, 'kube_node_status_condition{condition="Ready",status="unknown"}': 1 },
      },
    },
    {
      file: 'NetcheckAgentDown',
      spec: {
        name: 'NetcheckAgentDown',
        severity: 'warning',
        for: 'slow',
        // The node itself is up (its kubelet posts status): the agent is what is down.
        expr: () => `${q.sel('up')} == 0 unless on (${by}) ${readyUnknown}`,
        summary: 'A netcheck agent cannot be scraped.',
        description:
          'Prometheus cannot scrape the netcheck agent on node {{ $labels.node }} ({{ $labels.instance }}) while its kubelet posts status: the agent is down, its node is not being checked.',
        fires: { up: 0 },
      },
    },
    {
      file: 'NetcheckAgentAbsent',
      spec: {
        name: 'NetcheckAgentAbsent',
        severity: 'warning',
        for: 'slow',
        // Needs kube-state-metrics (kube_node_info): a node that should run an agent (Linux, not
        // virtual) and has no agent at all: no series, and no scrape target either (an agent pod that
        // cannot be scraped is NetcheckAgentDown or NetcheckNodeUnreachable, not absent).
        expr: () =>
          `count by (${by}) (${ksm('kube_node_info', cfg.agentNodeSelector)}) unless on (${by}) (count by (${by}) (${q.sel('netcheck_last_cycle_timestamp_seconds')}) or count by (${by}) (${q.sel('up')}))`,
        summary: 'A Linux node has no netcheck agent reporting.',
        description: 'Node {{ $labels.node }} should run the netcheck agent and none reports from it (DaemonSet pod missing, Pending or unscheduled).',
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
  const rule = (spec: AlertSpec, check?: string): Rule => {
    const causes = check ? causeConditions(q, check, spec.severity) : [];
    return {
      alert: spec.name,
      expr: causes.length ? `(${spec.expr(q)}) unless on (${q.by}) (${causes.map((c) => `(${c})`).join(' or ')})` : spec.expr(q),
      for: cfg.for[spec.for],
      labels: { severity: spec.severity, ...(check ? { check } : {}), ...cfg.extraAlertLabels },
      annotations: { summary: spec.summary, description: spec.description, runbook_url: `${cfg.runbookUrlBase}/${spec.name}.md` },
    };
  };
  return [
    ...CHECKS.flatMap((c) => c.alerts.map((spec) => ({ rule: rule(spec, c.id), spec, check: c.id, runbook: { check: c.id } }))),
    ...mixinAlerts(cfg).map(({ spec, file }) => ({ rule: rule(spec), spec, runbook: { file } })),
  ];
}

/** Cluster-level series the overview dashboard reads: a thousand nodes summed once per evaluation, not per panel refresh. */
export function recordingRules(cfg: MixinConfig = DEFAULT_CONFIG): RecordingRule[] {
  const q = alertQuery(cfg);
  const c = cfg.clusterLabel;
  return [
    // Every check has a row, 0 when no node fails it.
    { record: `${c}:netcheck_nodes_failing:sum`, expr: `sum by (${c}, check) (${q.sel('netcheck_check_status', 'status="fail"')})` },
    { record: `${c}:netcheck_nodes_by_status:sum`, expr: `sum by (${c}, check, status) (${q.sel('netcheck_check_status')})` },
    { record: `${c}:netcheck_root_cause_nodes:sum`, expr: `sum by (${c}, check) (${q.sel('netcheck_root_cause')})` },
    { record: `${c}:netcheck_agents_reporting:count`, expr: `count by (${c}) (time() - ${q.sel('netcheck_last_cycle_timestamp_seconds')} < ${cfg.staleSeconds})` },
  ];
}

export function ruleGroups(cfg: MixinConfig = DEFAULT_CONFIG) {
  const alerts = renderAlerts(cfg);
  return [
    { name: 'netcheck-cluster', rules: recordingRules(cfg) as (RecordingRule | Rule)[] },
    { name: 'netcheck-checks', rules: alerts.filter((a) => a.check).map((a) => a.rule) },
    { name: 'netcheck-agent', rules: alerts.filter((a) => !a.check).map((a) => a.rule) },
  ];
}

export interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

const anyOf = (names: string[]) => (names.length === 1 ? `"${names[0]}"` : `~"${names.join('|')}"`);

/**
 * Causes inhibit their effects, along the checks' causal links only (`explains`), on the same node
 * of the same cluster (equal: cluster, node; never cluster-wide). A critical cause mutes its
 * effects whatever their severity; a warning mutes only warnings, never a page. A check that is only
 * unknown explains nothing (the sources are the alerts that mean "fails"). Outside alerts a netcheck
 * finding explains (KubeNodeNotReady) are muted by it, never the other way round.
 */
export function inhibitRules(cfg: MixinConfig = DEFAULT_CONFIG): InhibitRule[] {
  const equal = [cfg.clusterLabel, 'node'];
  const rules: InhibitRule[] = [];
  const bySeverity = (id: string) =>
    (['critical', 'warning'] as const)
      .map((severity) => ({
        severity,
        names: [
          ...new Set(
            failureAlerts(id)
              .filter((a) => a.severity === severity)
              .map((a) => a.name),
          ),
        ],
      }))
      .filter((g) => g.names.length);
  for (const cause of CHECKS) {
    const effects = effectsOf(cause.id);
    if (!effects.length) continue;
    for (const { severity, names } of bySeverity(cause.id)) {
      rules.push({
        source_matchers: [`alertname=${anyOf(names)}`, `check="${cause.id}"`, `severity="${severity}"`],
        target_matchers: [`check=${anyOf(effects)}`, ...(severity === 'warning' ? ['severity="warning"'] : [])],
        equal,
      });
    }
  }
  for (const [alertname, { checks, severity: targetSeverity }] of Object.entries(EXTERNAL_EFFECTS)) {
    // The checks the outside alert is about (the kubelet, the CNI) mute it whatever their severity;
    // their causes only with a page (an outage now that stops the node): a latent risk (swap while the
    // kubelet still runs) must not hide a node NotReady for another reason (disk pressure, say).
    const upstream = CHECKS.map((c) => c.id).filter((id) => !checks.includes(id) && checks.some((e) => effectsOf(id).includes(e)));
    const target = (severity: 'critical' | 'warning') => [`alertname="${alertname}"`, ...(severity === 'warning' ? ['severity="warning"'] : [])];
    for (const severity of ['critical', 'warning'] as const) {
      if (MORE_SEVERE[severity] < MORE_SEVERE[targetSeverity]) continue;
      const causes = CHECKS.map((c) => c.id).filter((id) => checks.includes(id) || (severity === 'critical' && upstream.includes(id)));
      const names = [
        ...new Set(
          causes.flatMap((id) =>
            failureAlerts(id)
              .filter((a) => a.severity === severity)
              .map((a) => a.name),
          ),
        ),
      ];
      if (!names.length) continue;
      rules.push({ source_matchers: [`alertname=${anyOf(names)}`, `check=${anyOf(causes)}`, `severity="${severity}"`], target_matchers: target(severity), equal });
    }
    // The node cannot be reached at all: netcheck's page says so, and what the API still knows.
    rules.push({ source_matchers: ['alertname="NetcheckNodeUnreachable"', 'severity="critical"'], target_matchers: target('critical'), equal });
  }
  return rules;
}

/**
 * The routing netcheck ships: one page per alert and cluster, listing its nodes (group_by cluster,
 * alertname: a cluster-wide failure is one page, not one per node); critical pages, warning opens a
 * ticket.
 */
export function alertmanagerRoute(cfg: MixinConfig = DEFAULT_CONFIG, receivers = { page: 'oncall-pager', ticket: 'ticket' }) {
  const am = cfg.alertmanager;
  return {
    receiver: receivers.ticket,
    group_by: [cfg.clusterLabel, 'alertname'],
    group_wait: am.groupWait,
    group_interval: am.groupInterval,
    repeat_interval: am.repeatInterval,
    routes: [
      { matchers: ['severity="critical"'], receiver: receivers.page, repeat_interval: am.pageRepeatInterval },
      { matchers: ['severity="warning"'], receiver: receivers.ticket },
    ],
  };
}

/** "name op value" matchers as the AlertmanagerConfig CRD spells them. */
function crdMatchers(matchers: string[]) {
  return matchers.map((m) => {
    const [, name, op, value] = /^(\w+)(=~|!~|!=|=)"(.*)"$/.exec(m)!;
    return { name, value, matchType: op };
  });
}

/**
 * The same routing and inhibitions as a Prometheus Operator AlertmanagerConfig (v1alpha1). The
 * operator adds namespace="<its namespace>" to this route and to both sides of each inhibition:
 * only alerts labelled namespace="netcheck" (every netcheck alert, see extraAlertLabels) are routed
 * and muted here, and an alert from elsewhere (KubeNodeNotReady carries kube-state-metrics'
 * namespace) can be neither source nor target. The KubeNodeNotReady inhibition is therefore left to
 * the main Alertmanager configuration (alerts/alertmanager.yml).
 */
export function alertmanagerConfigResource(cfg: MixinConfig = DEFAULT_CONFIG) {
  const route = alertmanagerRoute(cfg, { page: 'netcheck-page', ticket: 'netcheck-ticket' });
  const crdRoute = (r: { matchers?: string[]; receiver?: string; group_wait?: string; repeat_interval?: string; routes?: unknown[] }): Record<string, unknown> => ({
    ...(r.receiver ? { receiver: r.receiver } : {}),
    ...(r.matchers ? { matchers: crdMatchers(r.matchers) } : {}),
    ...(r.group_wait ? { groupWait: r.group_wait } : {}),
    ...(r.repeat_interval ? { repeatInterval: r.repeat_interval } : {}),
    ...(r.routes ? { routes: r.routes.map((c) => crdRoute(c as typeof r)) } : {}),
  });
  const external = Object.keys(EXTERNAL_EFFECTS);
  return {
    apiVersion: 'monitoring.coreos.com/v1alpha1',
    kind: 'AlertmanagerConfig',
    metadata: { name: 'netcheck', labels: { 'app.kubernetes.io/name': 'netcheck-agent', 'app.kubernetes.io/part-of': 'netcheck' } },
    spec: {
      route: {
        receiver: route.receiver,
        groupBy: route.group_by,
        groupWait: route.group_wait,
        groupInterval: route.group_interval,
        repeatInterval: route.repeat_interval,
        routes: route.routes.map(crdRoute),
      },
      // Receivers without an integration: patch in your pager and ticket integrations (README).
      receivers: [{ name: 'netcheck-page' }, { name: 'netcheck-ticket' }],
      inhibitRules: inhibitRules(cfg)
        .filter((r) => !external.some((a) => r.target_matchers.includes(`alertname="${a}"`)))
        .map((r) => ({ sourceMatch: crdMatchers(r.source_matchers), targetMatch: crdMatchers(r.target_matchers), equal: r.equal })),
    },
  };
}
