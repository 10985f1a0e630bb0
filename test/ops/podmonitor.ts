// The scrape config the Prometheus Operator generates from the shipped PodMonitor, for a Prometheus
// without Kubernetes service discovery: each agent is a static target carrying the __meta_kubernetes_*
// labels pod discovery would give it, and the relabelings are the operator's (its generated
// podMonitor job: keep on the selector's labels and the port name; namespace, container, pod, job from
// jobLabel, endpoint) followed by the PodMonitor's own relabelings and metricRelabelings. Shaped after
// prometheus-operator's pkg/prometheus/promcfg.go (generatePodMonitorConfig).
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

const ROOT = path.resolve(__dirname, '../..');

interface Relabeling {
  sourceLabels?: string[];
  targetLabel?: string;
  regex?: string;
  action?: string;
  replacement?: string;
}

interface PodMonitor {
  metadata: { name: string; namespace?: string };
  spec: {
    jobLabel?: string;
    namespaceSelector?: { matchNames?: string[] };
    selector: { matchLabels: Record<string, string> };
    podMetricsEndpoints: { port: string; relabelings?: Relabeling[]; metricRelabelings?: Relabeling[] }[];
  };
}

export const PODMONITOR = yaml.load(fs.readFileSync(path.join(ROOT, 'deploy/components/prometheus-operator/podmonitor.yaml'), 'utf8')) as PodMonitor;

/** Kubernetes label names as pod discovery spells them in __meta_ labels. */
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

const toConfig = (r: Relabeling) => ({
  ...(r.sourceLabels ? { source_labels: r.sourceLabels } : {}),
  ...(r.targetLabel ? { target_label: r.targetLabel } : {}),
  ...(r.regex ? { regex: r.regex } : {}),
  ...(r.replacement !== undefined ? { replacement: r.replacement } : {}),
  action: (r.action ?? 'replace').toLowerCase(),
});

export interface AgentTarget {
  /** host:port the agent listens on */
  address: string;
  node: string;
  pod: string;
  namespace?: string;
  labels?: Record<string, string>;
}

/** The scrape job for `targets` (agent pods), as the operator renders the PodMonitor; `extra` labels every target (cluster). */
export function podMonitorScrapeConfig(targets: AgentTarget[], extra: Record<string, string> = {}) {
  const pm = PODMONITOR;
  const endpoint = pm.spec.podMetricsEndpoints[0];
  const podLabels = { ...pm.spec.selector.matchLabels, 'app.kubernetes.io/part-of': 'netcheck' };
  const namespaces = pm.spec.namespaceSelector?.matchNames ?? [pm.metadata.namespace ?? 'default'];
  return {
    job_name: `podMonitor/${namespaces[0]}/${pm.metadata.name}/0`,
    honor_labels: false,
    static_configs: targets.map((t) => ({
      targets: [t.address],
      labels: {
        ...extra,
        __meta_kubernetes_namespace: t.namespace ?? 'netcheck',
        __meta_kubernetes_pod_name: t.pod,
        __meta_kubernetes_pod_node_name: t.node,
        __meta_kubernetes_pod_container_name: 'agent',
        __meta_kubernetes_pod_container_port_name: 'metrics',
        __meta_kubernetes_pod_phase: 'Running',
        ...Object.fromEntries(
          Object.entries(t.labels ?? podLabels).flatMap(([k, v]) => [
            [`__meta_kubernetes_pod_label_${sanitize(k)}`, v],
            [`__meta_kubernetes_pod_labelpresent_${sanitize(k)}`, 'true'],
          ]),
        ),
      },
    })),
    relabel_configs: [
      // Pod discovery lists pods of every namespace the selector names; the operator keeps those.
      { source_labels: ['__meta_kubernetes_namespace'], regex: namespaces.join('|'), action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)', action: 'drop' },
      ...Object.entries(pm.spec.selector.matchLabels).map(([k, v]) => ({
        source_labels: [`__meta_kubernetes_pod_label_${sanitize(k)}`, `__meta_kubernetes_pod_labelpresent_${sanitize(k)}`],
        regex: `(${v});true`,
        action: 'keep',
      })),
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: endpoint.port, action: 'keep' },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { target_label: 'job', replacement: `${namespaces[0]}/${pm.metadata.name}` },
      ...(pm.spec.jobLabel ? [{ source_labels: [`__meta_kubernetes_pod_label_${sanitize(pm.spec.jobLabel)}`], target_label: 'job', regex: '(.+)', replacement: '$1' }] : []),
      { target_label: 'endpoint', replacement: endpoint.port },
      ...(endpoint.relabelings ?? []).map(toConfig),
    ],
    metric_relabel_configs: (endpoint.metricRelabelings ?? []).map(toConfig),
  };
}
