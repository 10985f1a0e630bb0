// Grafana dashboards as code. tools/generate.ts writes them to dashboards/*.json and into the
// ConfigMap the Grafana sidecar loads (label grafana_dashboard: "1").

const DS = { type: 'prometheus', uid: '${datasource}' };
const SEL = 'cluster=~"$cluster", node=~"$node"';

interface PanelSpec {
  title: string;
  description: string;
  type: 'stat' | 'timeseries' | 'table' | 'bargauge';
  targets: { expr: string; legend?: string; instant?: boolean; format?: 'table' | 'time_series' }[];
  unit?: string;
  w: number;
  h: number;
  mappings?: object[];
  transformations?: object[];
  thresholds?: { color: string; value: number | null }[];
}

const STATUS_COLORS = [
  { type: 'value', options: { ok: { color: 'green', index: 0 }, warn: { color: 'yellow', index: 1 }, fail: { color: 'red', index: 2 }, unknown: { color: 'purple', index: 3 }, skip: { color: 'text', index: 4 } } },
];
const UP_DOWN = (up: string, down: string) => [{ type: 'value', options: { '1': { text: up, color: 'green', index: 0 }, '0': { text: down, color: 'red', index: 1 } } }];

function panels(specs: PanelSpec[]) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((p, i) => {
    if (x + p.w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w: p.w, h: p.h };
    x += p.w;
    rowHeight = Math.max(rowHeight, p.h);
    return {
      id: i + 1,
      type: p.type,
      title: p.title,
      description: p.description,
      datasource: DS,
      gridPos,
      fieldConfig: {
        defaults: {
          unit: p.unit ?? 'short',
          mappings: p.mappings ?? [],
          thresholds: { mode: 'absolute', steps: p.thresholds ?? [{ color: 'green', value: null }] },
          ...(p.type === 'table' ? { custom: { cellOptions: { type: 'color-text' } } } : {}),
        },
        overrides: [],
      },
      options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'value', graphMode: 'none' } : {},
      transformations: p.transformations ?? [],
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: DS,
        expr: t.expr,
        legendFormat: t.legend ?? '',
        instant: t.instant ?? p.type !== 'timeseries',
        range: p.type === 'timeseries',
        format: t.format ?? (p.type === 'table' ? 'table' : 'time_series'),
      })),
    };
  });
}

function variable(name: string, label: string, query: string) {
  return { name, label, type: 'query', datasource: DS, query: { query, refId: name }, definition: query, refresh: 2, includeAll: true, multi: true, allValue: '.*', current: { text: 'All', value: '$__all' }, sort: 1 };
}

function dashboard(uid: string, title: string, description: string, specs: PanelSpec[]) {
  return {
    uid,
    title,
    description,
    tags: ['netcheck', 'kubernetes', 'network'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        variable('cluster', 'Cluster', 'label_values(netcheck_build_info, cluster)'),
        variable('node', 'Node', 'label_values(netcheck_check_status{cluster=~"$cluster"}, node)'),
      ],
    },
    links: [],
    panels: panels(specs),
  };
}

const statusTable = (expr: string): Pick<PanelSpec, 'targets' | 'transformations' | 'mappings'> => ({
  targets: [{ expr, format: 'table' }],
  transformations: [
    { id: 'groupingToMatrix', options: { rowField: 'node', columnField: 'check', valueField: 'status' } },
    { id: 'organize', options: { renameByName: { 'node\\check': 'node' } } },
  ],
  mappings: STATUS_COLORS,
});

export const overview = dashboard('netcheck-overview', 'netcheck / Overview', "Every node's pod network checks at a glance: what fails where.", [
  {
    title: 'Nodes failing a check',
    description: 'Nodes where at least one check is failing. Drill into one with the Node dashboard or `kubectl netcheck node <node>`.',
    type: 'stat',
    w: 6,
    h: 5,
    targets: [{ expr: `count(max by (node) (netcheck_check_status{${SEL}, status="fail"}) == 1) or vector(0)` }],
    thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
  },
  {
    title: 'Nodes with swap on',
    description: 'Nodes whose /proc/swaps lists an active area. The kubelet refuses to start there unless failSwapOn is false.',
    type: 'stat',
    w: 6,
    h: 5,
    targets: [{ expr: `sum(netcheck_swap_enabled{${SEL}}) or vector(0)` }],
    thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 1 }],
  },
  {
    title: 'Nodes without podCIDR',
    description: 'Nodes with no spec.podCIDR: flannel there cannot start ("pod cidr not assigned").',
    type: 'stat',
    w: 6,
    h: 5,
    targets: [{ expr: `count(netcheck_pod_cidr_assigned{${SEL}} == 0) or vector(0)` }],
    thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
  },
  {
    title: 'Agents reporting',
    description: 'Nodes whose netcheck agent finished a check cycle in the last 5 minutes.',
    type: 'stat',
    w: 6,
    h: 5,
    targets: [{ expr: `count(time() - netcheck_last_cycle_timestamp_seconds{${SEL}} < 300) or vector(0)` }],
  },
  {
    title: 'Nodes failing each check',
    description: 'How many nodes fail each check. A check failing on every node points to a cluster-wide cause (e.g. cluster-cidr).',
    type: 'bargauge',
    w: 12,
    h: 8,
    targets: [{ expr: `sum by (check) (netcheck_check_status{${SEL}, status="fail"})`, legend: '{{check}}' }],
    thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }],
  },
  {
    title: 'BGP sessions established vs configured',
    description: "Per Calico node: BGP sessions BIRD reports Established, and those configured. A gap is a peer whose pods this node cannot reach.",
    type: 'timeseries',
    w: 12,
    h: 8,
    targets: [
      { expr: `sum by (node) (netcheck_bgp_sessions_established{${SEL}})`, legend: '{{node}} established' },
      { expr: `sum by (node) (netcheck_bgp_sessions{${SEL}})`, legend: '{{node}} configured' },
    ],
  },
  {
    title: 'Node × check status',
    description: 'The current status of every check on every node (ok, warn, fail, unknown, skip).',
    type: 'table',
    w: 24,
    h: 10,
    ...statusTable(`label_replace(netcheck_check_status{${SEL}} == 1, "value", "$1", "status", "(.*)")`),
  },
  {
    title: 'Check cycles per second',
    description: 'How often each agent completes a check cycle; flat zero means the agent is stuck.',
    type: 'timeseries',
    w: 12,
    h: 7,
    unit: 'ops',
    targets: [{ expr: `rate(netcheck_cycles_total{${SEL}}[$__rate_interval])`, legend: '{{node}}' }],
  },
  {
    title: 'Check cycle duration',
    description: 'How long the last check cycle took on each node (reading host files, BIRD and evaluating every check).',
    type: 'timeseries',
    w: 12,
    h: 7,
    unit: 's',
    targets: [{ expr: `netcheck_cycle_duration_seconds{${SEL}}`, legend: '{{node}}' }],
  },
]);

export const node = dashboard('netcheck-node', 'netcheck / Node', "One node's pod network checks, with the host facts behind them.", [
  { title: 'CNI ready', description: "Whether the node's CNI agent pod is Ready and its config present.", type: 'stat', w: 4, h: 4, targets: [{ expr: `netcheck_cni_ready{${SEL}}`, legend: '{{node}}' }], mappings: UP_DOWN('ready', 'not ready') },
  { title: 'Default route', description: 'Whether the host has a default route on an interface that is up.', type: 'stat', w: 4, h: 4, targets: [{ expr: `netcheck_default_route_present{${SEL}}`, legend: '{{node}}' }], mappings: UP_DOWN('present', 'missing') },
  { title: 'flannel subnet.env', description: 'Whether /run/flannel/subnet.env exists (flannel nodes only).', type: 'stat', w: 4, h: 4, targets: [{ expr: `netcheck_flannel_subnet_env_present{${SEL}}`, legend: '{{node}}' }], mappings: UP_DOWN('present', 'missing') },
  { title: 'Swap', description: 'Whether swap is on; the kubelet refuses to run with it unless failSwapOn is false.', type: 'stat', w: 4, h: 4, targets: [{ expr: `netcheck_swap_enabled{${SEL}}`, legend: '{{node}}' }], mappings: [{ type: 'value', options: { '0': { text: 'off', color: 'green', index: 0 }, '1': { text: 'on', color: 'orange', index: 1 } } }] },
  { title: 'podCIDR', description: 'Whether the Node has spec.podCIDR.', type: 'stat', w: 4, h: 4, targets: [{ expr: `netcheck_pod_cidr_assigned{${SEL}}`, legend: '{{node}}' }], mappings: UP_DOWN('assigned', 'none') },
  {
    title: 'Last check cycle',
    description: 'Seconds since the agent last finished a check cycle.',
    type: 'stat',
    w: 4,
    h: 4,
    unit: 's',
    targets: [{ expr: `time() - netcheck_last_cycle_timestamp_seconds{${SEL}}`, legend: '{{node}}' }],
    thresholds: [{ color: 'green', value: null }, { color: 'red', value: 300 }],
  },
  {
    title: 'Checks',
    description: 'Every check on the selected node(s); details and the fix: kubectl netcheck node <node>.',
    type: 'table',
    w: 24,
    h: 8,
    ...statusTable(`label_replace(netcheck_check_status{${SEL}} == 1, "value", "$1", "status", "(.*)")`),
  },
  {
    title: 'BGP sessions',
    description: 'BGP sessions Established and configured in BIRD over time (Calico nodes).',
    type: 'timeseries',
    w: 12,
    h: 8,
    targets: [
      { expr: `netcheck_bgp_sessions_established{${SEL}}`, legend: '{{node}} established' },
      { expr: `netcheck_bgp_sessions{${SEL}}`, legend: '{{node}} configured' },
    ],
  },
  {
    title: 'Facts the agent could not read',
    description: 'Host or API facts unreadable in the last cycle; the agent log says why. Their checks are unknown.',
    type: 'timeseries',
    w: 12,
    h: 8,
    targets: [{ expr: `netcheck_fact_unavailable{${SEL}}`, legend: '{{node}} {{fact}}' }],
  },
]);

export const DASHBOARDS = [overview, node];
