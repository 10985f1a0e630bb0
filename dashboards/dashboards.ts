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
import { DEFAULT_CONFIG } from '../alerts/mixin';
import { AGENT_FAMILIES, CHECK_FAMILIES } from '../exporter/metrics';
import { CHECKS } from '../src/checks';

// Grafana's own variable syntax, not a template literal.
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable reference
const DS = { type: 'prometheus', uid: '${datasource}' };
const CLUSTER = DEFAULT_CONFIG.clusterLabel;
const BY = `${CLUSTER}, node`;
/** Every selector: the agents' job, the cluster and node variables. */
const sel = (metric: string, extra = '', node = 'node=~"$node"') => `${metric}{${[DEFAULT_CONFIG.selector, `${CLUSTER}=~"$cluster"`, node, extra].filter(Boolean).join(', ')}}`;
const STATUS = AGENT_FAMILIES.status.name;

const query = (expr: string, legend = '', instant = false) => {
  const q = new DataqueryBuilder().expr(expr).legendFormat(legend).datasource(DS);
  return instant ? q.instant().format('table' as never) : q.range().format('time_series' as never);
};

/** A check's status over time as one number: 3 fail, 2 warn, 1 unknown, 0 ok or skip. */
const statusCode = (by: string, node?: string) =>
  `max by (${by}) ((${sel(STATUS, 'status="fail"', node)} * 3) or (${sel(STATUS, 'status="warn"', node)} * 2) or (${sel(STATUS, 'status="unknown"', node)} * 1))`;

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

function variables(nodeMulti: boolean) {
  return [
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
}

function base(uid: string, title: string, description: string) {
  return new dash.DashboardBuilder(title)
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
        .target(query(`ALERTS{alertname=~"Netcheck.*", alertstate="firing", ${CLUSTER}=~"$cluster"}`, '{{alertname}} {{node}}').refId('Anno')),
    );
}

/** Open the node dashboard on a table row's node, in its cluster. */
const NODE_LINK = { title: 'Node dashboard', url: `/d/netcheck-node/netcheck-node?var-${CLUSTER}=\${__data.fields.${CLUSTER}}&var-node=\${__data.fields.node}&\${__url_time_range}` };

function overview() {
  const failingNodes = `sum by (${CLUSTER}) (max by (${BY}) (${sel(STATUS, 'status="fail"')}))`;
  const unknownNodes = `sum by (${CLUSTER}) (max by (${BY}) (${sel(STATUS, 'status="unknown"')}))`;
  const b = base('netcheck-overview', 'netcheck / Overview', "Every node's pod-network checks at a glance: which nodes fail what, since when, and how the agents are doing.")
    .links([new dash.DashboardLinkBuilder('Node').type(dash.DashboardLinkType.Link).url('/d/netcheck-node/netcheck-node').includeVars(true).keepTime(true).icon('dashboard')])
    .withRow(new dash.RowBuilder('Cluster'))
    .withPanel(
      new stat.PanelBuilder()
        .title('Nodes failing a check')
        .description('Nodes where at least one check fails, per cluster. Open one in the Node dashboard, or run kubectl netcheck node NODE.')
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
        .description('Nodes whose agent finished a check cycle within the last five minutes, per cluster.')
        .withTarget(query(`count by (${CLUSTER}) (time() - ${sel(AGENT_FAMILIES.lastCycle.name)} < ${DEFAULT_CONFIG.staleSeconds})`, '{{cluster}}'))
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
        .title('Check status by node')
        .description('The current status of every check on every node (ok, warn, fail, unknown, skip). A node name opens it in the Node dashboard.')
        .withTarget(query(`${sel(STATUS)} == 1`, '', true))
        .withTransformation({ id: 'groupingToMatrix', options: { columnField: 'check', rowField: 'node', valueField: 'status' } })
        .withTransformation({ id: 'organize', options: { renameByName: { 'node\\check': 'node' } } })
        .mappings(STATUS_NAMES)
        .cellOptions({ type: 'color-text' } as never)
        .overrideByName('node', [{ id: 'links', value: [{ title: 'Node dashboard', url: `/d/netcheck-node/netcheck-node?var-node=\${__value.raw}&\${${CLUSTER}:queryparam}&\${__url_time_range}` }] }])
        .gridPos({ x: 0, y: 6, w: 24, h: 9 }),
    )
    .withPanel(
      new table.PanelBuilder()
        .title('Failing checks')
        .description('Each failing check, on which node of which cluster. kubectl netcheck node NODE prints its evidence and the fix.')
        .withTarget(query(`max by (${BY}, check) (${sel(STATUS, 'status="fail"')}) == 1`, '', true))
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true } } })
        .overrideByName('node', [{ id: 'links', value: [NODE_LINK] }])
        .gridPos({ x: 0, y: 15, w: 12, h: 8 }),
    )
    .withPanel(
      new stateTimeline.PanelBuilder()
        .title('Check status over time')
        .description('Each check that was not ok on a node, over time: red fail, orange warn, purple unknown.')
        .withTarget(query(`${statusCode(`${BY}, check`)} > 0`, '{{node}} {{check}}'))
        .mappings(STATUS_CODES)
        .showValue(common.VisibilityMode.Never)
        .mergeValues(true)
        .gridPos({ x: 12, y: 15, w: 12, h: 8 }),
    )
    .withRow(new dash.RowBuilder('Checks'));
  let y = 24;
  CHECK_FAMILIES.filter((m) => m.measure).forEach((m, i) => {
    const check = CHECKS.find((c) => c.id === m.check)!;
    b.withPanel(
      new timeseries.PanelBuilder()
        .title(`${check.column}: ${m.name.replace(/^netcheck_/, '')}`)
        .description(`${m.help} (check ${check.id}: ${check.title.toLowerCase()}). Absent where the check does not apply.`)
        .withTarget(query(`max by (${BY}) (${sel(m.name)})`, '{{cluster}} {{node}}'))
        .unit('short')
        .min(0)
        .gridPos({ x: (i % 3) * 8, y: y + Math.floor(i / 3) * 7, w: 8, h: 7 }),
    );
  });
  y += Math.ceil(CHECK_FAMILIES.filter((m) => m.measure).length / 3) * 7;
  return b
    .withRow(new dash.RowBuilder('Agents'))
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Check cycle duration')
        .description('How long each agent takes to read its facts and run every check. Each fact has a deadline (2 s by default), so a cycle is bounded.')
        .withTarget(query(`max by (${BY}) (${sel(AGENT_FAMILIES.cycleDuration.name)})`, '{{cluster}} {{node}}'))
        .unit('s')
        .gridPos({ x: 0, y: y + 1, w: 8, h: 7 }),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Facts not read')
        .description('Facts an agent could not read in its last cycle (the agent logs why, once); checks that need them are unknown.')
        .withTarget(query(`sum by (${BY}, fact) (${sel(AGENT_FAMILIES.factUnavailable.name)})`, '{{node}} {{fact}}'))
        .unit('short')
        .gridPos({ x: 8, y: y + 1, w: 8, h: 7 }),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Agent memory')
        .description('Resident memory of each agent; the DaemonSet limits it to 128 MiB.')
        .withTarget(query(`max by (${BY}) (${sel('process_resident_memory_bytes')})`, '{{cluster}} {{node}}'))
        .unit('bytes')
        .gridPos({ x: 16, y: y + 1, w: 8, h: 7 }),
    )
    .build();
}

function node() {
  // One node is chosen, but =~ keeps the selector valid if someone makes the variable multi-valued.
  const one = 'node=~"$node"';
  const peers = CHECK_FAMILIES.find((m) => m.labels?.includes('peer'))!;
  const probes = CHECK_FAMILIES.find((m) => m.labels?.includes('path'))!;
  const b = base('netcheck-node', 'netcheck / Node', "One node's pod-network checks: their status over time, the numbers behind them, its BGP peers, and its agent.")
    .links([new dash.DashboardLinkBuilder('Overview').type(dash.DashboardLinkType.Link).url('/d/netcheck-overview/netcheck-overview').includeVars(true).keepTime(true).icon('dashboard')])
    .withRow(new dash.RowBuilder('Status'))
    .withPanel(
      new table.PanelBuilder()
        .title('Checks')
        .description('The current status of each check on this node. kubectl netcheck node NODE prints its evidence and the fix.')
        .withTarget(query(`${sel(STATUS, '', one)} == 1`, '', true))
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true, job: true, instance: true, namespace: true, pod: true, container: true, endpoint: true } } })
        .mappings(STATUS_NAMES)
        .cellOptions({ type: 'color-text' } as never)
        .gridPos({ x: 0, y: 1, w: 8, h: 10 }),
    )
    .withPanel(
      new stateTimeline.PanelBuilder()
        .title('Check status over time')
        .description('Each check on this node over time: green ok (or skip), purple unknown, orange warn, red fail.')
        .withTarget(query(statusCode(`${BY}, check`, one), '{{check}}'))
        .mappings(STATUS_CODES)
        .showValue(common.VisibilityMode.Never)
        .mergeValues(true)
        .gridPos({ x: 8, y: 1, w: 16, h: 10 }),
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
        .gridPos({ x: (i % 4) * 6, y: 12 + Math.floor(i / 4) * 6, w: 6, h: 6 }),
    );
  });
  const y = 12 + Math.ceil(CHECK_FAMILIES.filter((m) => m.measure).length / 4) * 6;
  return b
    .withRow(new dash.RowBuilder('BGP'))
    .withPanel(
      new table.PanelBuilder()
        .title('BGP peers')
        .description("Each BGP session in BIRD on this node (Calico): the peer's address, BIRD's protocol name, its state, and 1 when Established. Empty on nodes without BGP.")
        .withTarget(query(sel(peers.name, '', one), '', true))
        .withTransformation({
          id: 'organize',
          options: { excludeByName: { Time: true, job: true, instance: true, namespace: true, pod: true, container: true, endpoint: true }, renameByName: { Value: 'established' } },
        })
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
        .description('Resident memory of the agent (its limit is 128 MiB), and process restarts (start time changes).')
        .withTarget(query(sel('process_resident_memory_bytes', '', one), 'resident memory'))
        .withTarget(query(`changes(${sel('process_start_time_seconds', '', one)}[1h])`, 'restarts in the last hour').refId('B'))
        .unit('bytes')
        .overrideByName('restarts in the last hour', [{ id: 'unit', value: 'short' }])
        .gridPos({ x: 16, y: y + 10, w: 8, h: 7 }),
    )
    .build();
}

/** The variables, and each query's refId (A, B, ...) within its panel, as Grafana keeps them. */
function finish(d: dash.Dashboard, nodeMulti: boolean): dash.Dashboard {
  for (const p of d.panels ?? []) {
    if (!('targets' in p)) continue;
    for (const [i, t] of ((p.targets as { refId?: string }[] | undefined) ?? []).entries()) t.refId ??= String.fromCharCode(65 + i);
  }
  return { ...d, templating: { list: variables(nodeMulti).map((v) => v.build()) } };
}

export const DASHBOARDS = [finish(overview(), true), finish(node(), false)];
