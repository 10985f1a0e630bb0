// The Grafana dashboards, built with Grafana's Foundation SDK (typed builders generated from
// Grafana's own dashboard schema). Panels for check metrics come from the check registry; the
// agent's families from exporter/metrics.ts. tools/generate.ts writes dashboards/*.json and the
// ConfigMap Grafana's dashboard sidecar loads.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dash from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as stateTimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DEFAULT_CONFIG, type MixinConfig } from '../alerts/mixin';
import { AGENT_FAMILIES, CHECK_FAMILIES } from '../exporter/metrics';
import { CHECKS } from '../src/checks';

// Grafana's own variable syntax, not a template literal.
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable reference
const DS = { type: 'prometheus', uid: '${datasource}' };
const STATUS = AGENT_FAMILIES.status.name;
const ROOT_CAUSE = AGENT_FAMILIES.rootCause.name;

const query = (expr: string, legend = '', instant = false) => {
  const q = new DataqueryBuilder().expr(expr).legendFormat(legend).datasource(DS);
  return instant ? q.instant().format('table' as never) : q.range().format('time_series' as never);
};

const STATUS_CODES: dash.ValueMapping[] = [
  {
    type: dash.MappingType.ValueToText,
    options: {
      '0': { text: 'ok', color: 'green', index: 0 },
      '1': { text: 'unknown', color: 'purple', index: 1 },
      '2': { text: 'warn', color: 'orange', index: 2 },
      '3': { text: 'fail', color: 'red', index: 3 },
    },
  },
];
const STATUS_NAMES: dash.ValueMapping[] = [
  {
    type: dash.MappingType.ValueToText,
    options: { ok: { color: 'green', index: 0 }, warn: { color: 'orange', index: 1 }, fail: { color: 'red', index: 2 }, unknown: { color: 'purple', index: 3 }, skip: { color: 'text', index: 4 } },
  },
];
const thresholds = (steps: { value: number | null; color: string }[]) => new dash.ThresholdsConfigBuilder().mode(dash.ThresholdsMode.Absolute).steps(steps as dash.Threshold[]);
/** The labels the PodMonitor's scrape adds, hidden from tables. */
const SCRAPE_LABELS = { Time: true, job: true, instance: true, namespace: true, pod: true, container: true, endpoint: true };

/** The dashboards for `cfg` (the mixin's config: selector, cluster label, runbook links). */
export function dashboards(cfg: MixinConfig = DEFAULT_CONFIG): dash.Dashboard[] {
  const CLUSTER = cfg.clusterLabel;
  const BY = `${CLUSTER}, node`;
  /** Every selector: the agents' job, the cluster and node variables. */
  const sel = (metric: string, extra = '', node = 'node=~"$node"') => `${metric}{${[cfg.selector, `${CLUSTER}=~"$cluster"`, node, extra].filter(Boolean).join(', ')}}`;
  /** A recording rule's series (alerts/mixin.ts recordingRules), for the cluster. */
  const recorded = (name: string) => `${CLUSTER}:${name}{${CLUSTER}=~"$cluster"}`;
  /** A check's status over time as one number: 3 fail, 2 warn, 1 unknown, 0 ok or skip. */
  const statusCode = (by: string, node?: string) =>
    `max by (${by}) ((${sel(STATUS, 'status="fail"', node)} * 3) or (${sel(STATUS, 'status="warn"', node)} * 2) or (${sel(STATUS, 'status="unknown"', node)} * 1))`;
  /** The check's runbook (its markdown beside the check), from a table cell or a series label. */
  const RUNBOOK = (field: string) => ({ title: 'Runbook', url: `${cfg.checkDocsUrlBase}/\${${field}}.md`, targetBlank: true });
  /** Open the node dashboard on a table row's node, in its cluster. */
  const NODE_LINK = { title: 'Node dashboard', url: `/d/netcheck-node/netcheck-node?var-cluster=\${__data.fields.${CLUSTER}}&var-node=\${__data.fields.node}&\${__url_time_range}` };

  const variables = (nodeMulti: boolean) => [
    new dash.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    new dash.QueryVariableBuilder('cluster')
      .label('Cluster')
      .datasource(DS)
      .query(`label_values(${AGENT_FAMILIES.buildInfo.name}, ${CLUSTER})`)
      .refresh(dash.VariableRefresh.OnTimeRangeChanged)
      .sort(dash.VariableSort.AlphabeticalAsc)
      .includeAll(true)
      .multi(true)
      .allValue('.*')
      .current({ text: 'All', value: '$__all' }),
    new dash.QueryVariableBuilder('node')
      .label('Node')
      .datasource(DS)
      .query(`label_values(${STATUS}{${CLUSTER}=~"$cluster"}, node)`)
      .refresh(dash.VariableRefresh.OnTimeRangeChanged)
      .sort(dash.VariableSort.AlphabeticalAsc)
      .includeAll(nodeMulti)
      .multi(nodeMulti)
      .allValue('.*'),
  ];

  const base = (uid: string, title: string, description: string, node: string) =>
    new dash.DashboardBuilder(title)
      .uid(uid)
      .description(description)
      .tags(['netcheck', 'kubernetes', 'network'])
      .timezone('browser')
      .editable()
      .tooltip(dash.DashboardCursorSync.Crosshair)
      .refresh('1m')
      .time({ from: 'now-6h', to: 'now' })
      .annotation(
        new dash.AnnotationQueryBuilder()
          .name('Annotations & Alerts')
          .builtIn(1)
          .enable(true)
          .hide(true)
          .iconColor('rgba(0, 211, 255, 1)')
          .datasource({ type: 'grafana', uid: '-- Grafana --' })
          .type('dashboard'),
      )
      .annotation(
        new dash.AnnotationQueryBuilder()
          .name('netcheck alerts')
          .enable(true)
          .iconColor('red')
          .datasource(DS)
          .target(query(`ALERTS{alertname=~"Netcheck.*", alertstate="firing", ${CLUSTER}=~"$cluster", ${node}}`, '{{alertname}} {{node}}').refId('Anno')),
      )
      .annotation(
        // When a node's root cause became this check (it was another, or none, a minute before).
        new dash.AnnotationQueryBuilder()
          .name('Root cause changes')
          .enable(true)
          .iconColor('orange')
          .datasource(DS)
          .target(query(`(${sel(ROOT_CAUSE, '', node)} == 1) unless (${sel(ROOT_CAUSE, '', node)} offset 1m == 1)`, '{{node}}: root cause {{check}}').refId('Root')),
      );

  function overview() {
    const failingNodes = `sum by (${CLUSTER}) (max by (${BY}) (${sel(STATUS, 'status="fail"')}))`;
    const unknownNodes = `sum by (${CLUSTER}) (max by (${BY}) (${sel(STATUS, 'status="unknown"')}))`;
    // Nodes ranked by how many checks fail, each with its root cause (the check to fix first).
    const worst = `topk(25, sum by (${BY}) (${sel(STATUS, 'status="fail"')}) * on (${BY}) group_left (check) (max by (${BY}, check) (${sel(ROOT_CAUSE)}) == 1))`;
    return base(
      'netcheck-overview',
      'netcheck / Overview',
      'A cluster of a thousand nodes at a glance: how many nodes fail each check, the worst nodes with their root cause, and how the agents are doing.',
      'node=~".*"',
    )
      .links([new dash.DashboardLinkBuilder('Node').type(dash.DashboardLinkType.Link).url('/d/netcheck-node/netcheck-node').includeVars(true).keepTime(true).icon('dashboard')])
      .withRow(new dash.RowBuilder('Cluster'))
      .withPanel(
        new stat.PanelBuilder()
          .title('Nodes failing a check')
          .description('Nodes where at least one check fails, per cluster. The table below names them, worst first, with their root cause.')
          .withTarget(query(failingNodes, '{{cluster}}'))
          .unit('short')
          .thresholds(
            thresholds([
              { value: null, color: 'green' },
              { value: 1, color: 'red' },
            ]),
          )
          .gridPos({ x: 0, y: 1, w: 6, h: 5 }),
      )
      .withPanel(
        new stat.PanelBuilder()
          .title('Nodes with an unknown check')
          .description('Nodes where a check cannot tell (a fact unreadable, BIRD silent, the API away): a blind spot, not a healthy node.')
          .withTarget(query(unknownNodes, '{{cluster}}'))
          .unit('short')
          .thresholds(
            thresholds([
              { value: null, color: 'green' },
              { value: 1, color: 'purple' },
            ]),
          )
          .gridPos({ x: 6, y: 1, w: 6, h: 5 }),
      )
      .withPanel(
        new stat.PanelBuilder()
          .title('Agents reporting')
          .description('Nodes whose agent finished a check cycle within the last five minutes, per cluster (a recording rule).')
          .withTarget(query(recorded('netcheck_agents_reporting:count'), '{{cluster}}'))
          .unit('short')
          .gridPos({ x: 12, y: 1, w: 6, h: 5 }),
      )
      .withPanel(
        new stat.PanelBuilder()
          .title('Agent restarts (1h)')
          .description('Agent process restarts in the last hour, from process_start_time_seconds: an agent killed for memory or by its liveness probe shows here.')
          .withTarget(query(`sum by (${CLUSTER}) (changes(${sel('process_start_time_seconds')}[1h]))`, '{{cluster}}'))
          .unit('short')
          .thresholds(
            thresholds([
              { value: null, color: 'green' },
              { value: 1, color: 'orange' },
            ]),
          )
          .gridPos({ x: 18, y: 1, w: 6, h: 5 }),
      )
      .withPanel(
        new table.PanelBuilder()
          .title('Failing nodes per check')
          .description("How many nodes fail each check, and how many have it as their root cause (recording rules, so a thousand nodes cost one series per check). A check's name opens its runbook.")
          .withTarget(query(recorded('netcheck_nodes_failing:sum'), '', true))
          .withTarget(query(recorded('netcheck_root_cause_nodes:sum'), '', true).refId('B'))
          .withTransformation({ id: 'merge', options: {} })
          .withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { 'Value #A': 'failing nodes', 'Value #B': 'root cause on' } } })
          .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'failing nodes', desc: true }] } })
          .overrideByName('check', [{ id: 'links', value: [RUNBOOK('__value.raw')] }])
          .gridPos({ x: 0, y: 6, w: 10, h: 11 }),
      )
      .withPanel(
        new table.PanelBuilder()
          .title('Worst nodes, with their root cause')
          .description(
            'The 25 nodes with the most failing checks, and the check that explains the others there (fix it first). A node opens its dashboard; a root cause opens its runbook; kubectl netcheck node NODE prints the evidence and the fix.',
          )
          .withTarget(query(worst, '', true))
          .withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { check: 'root cause', Value: 'failing checks' } } })
          .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'failing checks', desc: true }] } })
          .overrideByName('node', [{ id: 'links', value: [NODE_LINK] }])
          .overrideByName('root cause', [{ id: 'links', value: [RUNBOOK('__value.raw')] }])
          .gridPos({ x: 10, y: 6, w: 14, h: 11 }),
      )
      .withPanel(
        new timeseries.PanelBuilder()
          .title('Failing nodes per check over time')
          .description('How many nodes fail each check, over time: a cluster-wide failure is one line climbing, not a thousand.')
          .withTarget(query(`max by (${CLUSTER}, check) (${recorded('netcheck_nodes_failing:sum')})`, '{{cluster}} {{check}}'))
          .unit('short')
          .min(0)
          .gridPos({ x: 0, y: 17, w: 12, h: 8 }),
      )
      .withPanel(
        new table.PanelBuilder()
          .title('Nodes by status, per check')
          .description('For each check, how many nodes are ok, warn, fail, unknown or skip (where it does not apply); one cluster at a time (pick it above).')
          .withTarget(query(`sum by (${CLUSTER}, check, status) (${recorded('netcheck_nodes_by_status:sum')})`, '', true))
          .withTransformation({ id: 'groupingToMatrix', options: { columnField: 'status', rowField: 'check', valueField: 'Value' } })
          .withTransformation({ id: 'organize', options: { renameByName: { 'check\\status': 'check' } } })
          .overrideByName('check', [{ id: 'links', value: [RUNBOOK('__value.raw')] }])
          .gridPos({ x: 12, y: 17, w: 12, h: 8 }),
      )
      .withRow(new dash.RowBuilder('Agents'))
      .withPanel(
        new timeseries.PanelBuilder()
          .title('Check cycle duration')
          .description('How long agents take to read their facts and run every check: the slowest and the median per cluster. Each fact has a deadline (2 s by default), so a cycle is bounded.')
          .withTarget(query(`max by (${CLUSTER}) (${sel(AGENT_FAMILIES.cycleDuration.name)})`, '{{cluster}} slowest'))
          .withTarget(query(`quantile by (${CLUSTER}) (0.5, ${sel(AGENT_FAMILIES.cycleDuration.name)})`, '{{cluster}} median'))
          .unit('s')
          .gridPos({ x: 0, y: 26, w: 8, h: 7 }),
      )
      .withPanel(
        new timeseries.PanelBuilder()
          .title('Facts not read')
          .description('How many agents could not read each fact in their last cycle (the agent logs why, once); checks that need it are unknown there.')
          .withTarget(query(`sum by (${CLUSTER}, fact) (${sel(AGENT_FAMILIES.factUnavailable.name)})`, '{{cluster}} {{fact}}'))
          .unit('short')
          .gridPos({ x: 8, y: 26, w: 8, h: 7 }),
      )
      .withPanel(
        new timeseries.PanelBuilder()
          .title('Agent memory')
          .description('Resident memory of the agents, the largest and the median per cluster; the DaemonSet limits each to 128 MiB.')
          .withTarget(query(`max by (${CLUSTER}) (${sel('process_resident_memory_bytes')})`, '{{cluster}} largest'))
          .withTarget(query(`quantile by (${CLUSTER}) (0.5, ${sel('process_resident_memory_bytes')})`, '{{cluster}} median'))
          .unit('bytes')
          .gridPos({ x: 16, y: 26, w: 8, h: 7 }),
      )
      .build();
  }

  function node() {
    // One node is chosen, but =~ keeps the selector valid if someone makes the variable multi-valued.
    const one = 'node=~"$node"';
    const peers = CHECK_FAMILIES.find((m) => m.labels?.includes('peer'))!;
    const probes = CHECK_FAMILIES.find((m) => m.labels?.includes('path'))!;
    const b = base('netcheck-node', 'netcheck / Node', "One node's pod-network checks: its root cause, each check's status over time, the numbers behind them, its BGP peers, and its agent.", one)
      .links([new dash.DashboardLinkBuilder('Overview').type(dash.DashboardLinkType.Link).url('/d/netcheck-overview/netcheck-overview').includeVars(true).keepTime(true).icon('dashboard')])
      .withRow(new dash.RowBuilder('Status'))
      .withPanel(
        new stat.PanelBuilder()
          .title('Root cause')
          .description(
            'The failing check that explains the others on this node: fix it first (kubectl netcheck node NODE prints its evidence and the fix). Empty when no check fails. Opens its runbook.',
          )
          .withTarget(query(`max by (${BY}, check) (${sel(ROOT_CAUSE, '', one)}) == 1`, '{{check}}', true))
          .textMode('name' as never)
          .colorMode('background' as never)
          .noValue('none')
          .unit('short')
          .thresholds(thresholds([{ value: null, color: 'red' }]))
          .dataLinks([new dash.DashboardLinkBuilder('Runbook').url(`${cfg.checkDocsUrlBase}/\${__field.labels.check}.md`).targetBlank(true)])
          .gridPos({ x: 0, y: 1, w: 8, h: 4 }),
      )
      .withPanel(
        new table.PanelBuilder()
          .title('Checks')
          .description("The current status of each check on this node. A check's name opens its runbook.")
          .withTarget(query(`${sel(STATUS, '', one)} == 1`, '', true))
          .withTransformation({ id: 'organize', options: { excludeByName: { ...SCRAPE_LABELS, Value: true } } })
          .mappings(STATUS_NAMES)
          .cellOptions({ type: 'color-text' } as never)
          .overrideByName('check', [{ id: 'links', value: [RUNBOOK('__value.raw')] }])
          .gridPos({ x: 0, y: 5, w: 8, h: 10 }),
      )
      .withPanel(
        new stateTimeline.PanelBuilder()
          .title('Check status over time')
          .description('Each check on this node over time: green ok (or skip), purple unknown, orange warn, red fail.')
          .withTarget(query(statusCode(`${BY}, check`, one), '{{check}}'))
          .mappings(STATUS_CODES)
          .showValue(common.VisibilityMode.Never)
          .mergeValues(true)
          .gridPos({ x: 8, y: 1, w: 16, h: 14 }),
      )
      .withRow(new dash.RowBuilder('Numbers'));
    CHECK_FAMILIES.filter((m) => m.measure).forEach((m, i) => {
      const check = CHECKS.find((c) => c.id === m.check)!;
      b.withPanel(
        new timeseries.PanelBuilder()
          .title(`${check.column}: ${m.name.replace(/^netcheck_/, '')}`)
          .description(`${m.help} (check ${check.id}). Absent where the check does not apply on this node.`)
          .withTarget(query(sel(m.name, '', one), '{{node}}'))
          .unit('short')
          .min(0)
          .gridPos({ x: (i % 4) * 6, y: 16 + Math.floor(i / 4) * 6, w: 6, h: 6 }),
      );
    });
    const y = 16 + Math.ceil(CHECK_FAMILIES.filter((m) => m.measure).length / 4) * 6;
    return b
      .withRow(new dash.RowBuilder('BGP'))
      .withPanel(
        new table.PanelBuilder()
          .title('BGP peers')
          .description("Each BGP session in BIRD on this node (Calico): the peer's address, BIRD's protocol name, its state, and 1 when Established. Empty on nodes without BGP.")
          .withTarget(query(sel(peers.name, '', one), '', true))
          .withTransformation({ id: 'organize', options: { excludeByName: SCRAPE_LABELS, renameByName: { Value: 'established' } } })
          .gridPos({ x: 0, y: y + 1, w: 12, h: 8 }),
      )
      .withPanel(
        new timeseries.PanelBuilder()
          .title('Peers probed, by path and result')
          .description(`${probes.help}. Per node, never per peer: which peer fails is in kubectl netcheck node NODE.`)
          .withTarget(query(sel(probes.name, '', one), '{{path}} {{result}}'))
          .unit('short')
          .min(0)
          .gridPos({ x: 12, y: y + 1, w: 12, h: 8 }),
      )
      .withRow(new dash.RowBuilder('Agent'))
      .withPanel(
        new timeseries.PanelBuilder()
          .title('Last check cycle, seconds ago')
          .description('How long ago the agent finished a check cycle. It should stay under two intervals; the NetcheckChecksStale alert fires past five minutes.')
          .withTarget(query(`time() - ${sel(AGENT_FAMILIES.lastCycle.name, '', one)}`, '{{node}}'))
          .unit('s')
          .gridPos({ x: 0, y: y + 10, w: 8, h: 7 }),
      )
      .withPanel(
        new timeseries.PanelBuilder()
          .title('NodeReport writes')
          .description("Writes of this node's NodeReport to the API, by result: one per change, otherwise one per heartbeat (5 minutes).")
          .withTarget(query(`sum by (${BY}, result) (increase(${sel(AGENT_FAMILIES.reportWrites.name, '', one)}[$__rate_interval]))`, '{{result}}'))
          .unit('short')
          .gridPos({ x: 8, y: y + 10, w: 8, h: 7 }),
      )
      .withPanel(
        new timeseries.PanelBuilder()
          .title('Agent memory and restarts')
          .description("Resident memory of the agent (its limit is 128 MiB), and process restarts (start time changes). process_* series carry the node from the PodMonitor's relabeling.")
          .withTarget(query(sel('process_resident_memory_bytes', '', one), 'resident memory'))
          .withTarget(query(`changes(${sel('process_start_time_seconds', '', one)}[1h])`, 'restarts in the last hour').refId('B'))
          .unit('bytes')
          .overrideByName('restarts in the last hour', [{ id: 'unit', value: 'short' }])
          .gridPos({ x: 16, y: y + 10, w: 8, h: 7 }),
      )
      .build();
  }

  /** The variables, and each query's refId (A, B, ...) within its panel, as Grafana keeps them. */
  const finish = (d: dash.Dashboard, nodeMulti: boolean): dash.Dashboard => {
    for (const p of d.panels ?? []) {
      if (!('targets' in p)) continue;
      for (const [i, t] of ((p.targets as { refId?: string }[] | undefined) ?? []).entries()) t.refId ??= String.fromCharCode(65 + i);
    }
    return { ...d, templating: { list: variables(nodeMulti).map((v) => v.build()) } };
  };

  return [finish(overview(), true), finish(node(), false)];
}

export const DASHBOARDS = dashboards();
