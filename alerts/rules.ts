// The alert rules, written once: tools/generate.ts renders them as a Prometheus rule file
// (alerts/netcheck.rules.yaml) and as a PrometheusRule for prometheus-operator (deploy/).

export const RUNBOOK_BASE = 'https://github.com/netcheck/netcheck/blob/main/docs/runbooks';

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  severity: 'critical' | 'warning';
  summary: string;
  description: string;
}

const onNode = 'on node {{ $labels.node }}';

// `for` durations: long enough that a CNI pod restarting or a reboot does not page anyone.
export const ALERTS: AlertRule[] = [
  {
    alert: 'NetcheckKubeletNotReady',
    expr: 'netcheck_check_status{check="kubelet-ready",status="fail"} == 1',
    for: '5m',
    severity: 'critical',
    summary: 'The kubelet has stopped posting node status.',
    description: `The kubelet ${onNode} is not posting status; pods there are not managed. Run kubectl netcheck node {{ $labels.node }}.`,
  },
  {
    alert: 'NetcheckCNINotReady',
    expr: 'netcheck_cni_ready == 0',
    for: '5m',
    severity: 'critical',
    summary: "A node's pod network is not working.",
    description: `The CNI ${onNode} is not ready: new pods there cannot get a network. Run kubectl netcheck node {{ $labels.node }} for the root cause.`,
  },
  {
    alert: 'NetcheckFlannelSubnetEnvMissing',
    expr: 'netcheck_flannel_subnet_env_present == 0',
    for: '5m',
    severity: 'critical',
    summary: 'flannel has not written /run/flannel/subnet.env.',
    description: `/run/flannel/subnet.env is missing ${onNode}: every pod sandbox there fails with "open /run/flannel/subnet.env: no such file or directory".`,
  },
  {
    alert: 'NetcheckBGPSessionsDown',
    expr: 'netcheck_bgp_sessions_established < netcheck_bgp_sessions and netcheck_bgp_sessions_established > 0',
    for: '10m',
    severity: 'warning',
    summary: 'Some BGP sessions are not Established.',
    description: `{{ $value }} of the BGP sessions ${onNode} are Established; routes to the other peers' pods are missing.`,
  },
  {
    alert: 'NetcheckBGPNoSessionEstablished',
    expr: 'netcheck_bgp_sessions > 0 and netcheck_bgp_sessions_established == 0',
    for: '5m',
    severity: 'critical',
    summary: 'No BGP session is Established.',
    description: `None of the BGP sessions ${onNode} is Established: its pods are cut off from every other node.`,
  },
  {
    alert: 'NetcheckSwapEnabled',
    expr: 'netcheck_swap_enabled == 1 and on (node) netcheck_check_status{check="swap",status="fail"} == 1',
    for: '5m',
    severity: 'critical',
    summary: 'Swap is on where the kubelet refuses to run with it.',
    description: "Node {{ $labels.node }} has swap on and its kubelet runs with failSwapOn: true, so the kubelet will not (re)start there.",
  },
  {
    alert: 'NetcheckPodCIDRUnassigned',
    expr: 'netcheck_pod_cidr_assigned == 0',
    for: '10m',
    severity: 'critical',
    summary: 'A node has no podCIDR.',
    description: `Node {{ $labels.node }} has no spec.podCIDR; flannel there fails with "pod cidr not assigned".`,
  },
  {
    alert: 'NetcheckDefaultRouteMissing',
    expr: 'netcheck_default_route_present == 0',
    for: '5m',
    severity: 'critical',
    summary: 'A node has no default route on an interface that is up.',
    description: `The host ${onNode} has no usable default route; its CNI cannot reach the API service.`,
  },
  {
    alert: 'NetcheckNodeAddressMismatch',
    expr: 'netcheck_check_status{check="node-address",status="fail"} == 1',
    for: '15m',
    severity: 'warning',
    summary: "The CNI uses an address that is not the node's InternalIP, or one another node uses too.",
    description: `The address flannel or Calico chose ${onNode} is wrong; cross-node pod traffic to it fails.`,
  },
  {
    alert: 'NetcheckClusterCIDRInconsistent',
    expr: 'netcheck_check_status{check="cluster-cidr",status="fail"} == 1',
    for: '30m',
    severity: 'warning',
    summary: 'The pod network is declared differently in different places.',
    description: 'kube-controller-manager, kubeadm, flannel or Calico disagree on the pod network (seen from node {{ $labels.node }}); new nodes may get no podCIDR.',
  },
  {
    alert: 'NetcheckAgentDown',
    expr: 'up{job=~".*netcheck-agent.*"} == 0',
    for: '10m',
    severity: 'warning',
    summary: 'A netcheck agent cannot be scraped.',
    description: 'Prometheus cannot scrape the netcheck agent at {{ $labels.instance }}; its node is not being checked.',
  },
  {
    alert: 'NetcheckAgentAbsent',
    expr: 'count by (node) (kube_node_info) unless on (node) count by (node) (netcheck_last_cycle_timestamp_seconds)',
    for: '15m',
    severity: 'warning',
    summary: 'A node has no netcheck agent reporting.',
    description: 'Node {{ $labels.node }} has no netcheck agent reporting (DaemonSet pod missing, Pending or unscheduled).',
  },
  {
    alert: 'NetcheckChecksStale',
    expr: 'time() - netcheck_last_cycle_timestamp_seconds > 300',
    for: '5m',
    severity: 'warning',
    summary: "A netcheck agent's checks have stopped running.",
    description: `The last check cycle ${onNode} finished {{ $value | humanizeDuration }} ago.`,
  },
];

export function ruleGroups() {
  return [
    {
      name: 'netcheck',
      rules: ALERTS.map((a) => ({
        alert: a.alert,
        expr: a.expr,
        for: a.for,
        labels: { severity: a.severity },
        annotations: { summary: a.summary, description: a.description, runbook_url: `${RUNBOOK_BASE}/${a.alert}.md` },
      })),
    },
  ];
}
