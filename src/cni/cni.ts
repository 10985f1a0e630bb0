// The CNIs netcheck knows, one row each: how its node agent is found (namespace, pod name, label)
// and judged, whether it uses the node's podCIDR, which host facts apply (subnet.env, BIRD, the
// overlay device whose MTU matters, a Linux bridge) and how it is recognised without its pod (node
// annotations, the CNI config dir of the host's runtime, /etc/cni/net.d unless its config names another). Adding a CNI is adding a row. A CNI that is not here is
// "not understood": the checks that need to know it say `unknown`, never `fail`.
//
// Names and labels are those of the upstream manifests and the platforms' own DaemonSets: flannel's
// kube-flannel.yml (app=flannel in kube-flannel), Calico's calico.yaml and the tigera-operator's
// calico-system (k8s-app=calico-node), RKE2's rke2-canal chart (k8s-app=canal), Cilium's Helm chart
// (k8s-app=cilium; GKE Dataplane V2 runs it as anetd with the same label), amazon-vpc-cni-k8s
// (aws-node, k8s-app=aws-node), AKS's azure-cns (k8s-app=azure-cns), kind's kindnetd (app=kindnet),
// kube-router's daemonset (k8s-app=kube-router), Antrea's antrea.yml (app=antrea,
// component=antrea-agent), OpenShift's ovnkube-node (app=ovnkube-node in openshift-ovn-kubernetes),
// Weave Net (name=weave-net) and Multus (app=multus).
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { NodeFacts } from '../core/facts';
import { DEFAULT_CNI_CONF, platformOf } from './platform';

/** The families the checks tell apart (flannel's subnet.env, Calico's BIRD, Cilium's agent); the rest is `other`. */
export type CniKind = 'flannel' | 'calico' | 'cilium' | 'other';

/**
 * Whether pods get their addresses from the node's spec.podCIDR: `uses` (host-local IPAM on it),
 * `own` (the CNI's own IPAM: VPC or VNet addresses, pools, OVN's node-subnets), `depends` (Calico and
 * Cilium: their own pools unless configured for the podCIDR, i.e. unless the controller-manager
 * allocates them).
 */
export type PodCidrUse = 'uses' | 'own' | 'depends';

export interface CniRow {
  /** Stable id of the row ("aws-vpc-cni"). */
  id: string;
  kind: CniKind;
  /** How people name it. */
  name: string;
  /**
   * How its node agent runs: a DaemonSet `pod` (judged by the pod's readiness), or `builtin` (in the
   * distribution's own process, as k3s's flannel, or a plain binary, as kubenet): judged only by the
   * kubelet's NetworkReady, NetworkUnavailable and the CNI config.
   */
  agent: 'pod' | 'builtin';
  /** Its node agent pod, by its app label's value or its pod name. */
  agentPod?: RegExp;
  /** The label that lists its agent pods cluster-wide (one list per label key: see CNI_POD_SELECTORS). */
  label?: { key: string; value: string };
  /** The same label as a selector ("k8s-app=calico-node"). */
  selector?: string;
  /** Where its agent pods run, for the evidence and for the remedy's commands. */
  namespaces?: readonly string[];
  /** Its file in the runtime's CNI config dir (/etc/cni/net.d by default). */
  configFile: RegExp;
  /** Pods attach to a Linux bridge (flannel's cni0, weave, kube-router, kubenet's cbr0): br_netfilter matters. */
  bridge: boolean;
  podCidr: PodCidrUse;
  /** The host facts that apply to it: files and sockets it writes, and its overlay device (for the MTU). */
  hostFacts: readonly string[];
  /** A meta-plugin (Multus): it delegates to another CNI, which is the one judged. */
  meta?: boolean;
  /** Recognised from the Node object when no pod of it is listed (a built-in CNI leaves only annotations). */
  fromNode?: (node: V1Node) => boolean;
  /** fromNode is a guess from the platform's default: taken only when the node's pods were read. */
  guess?: boolean;
}

const annotated = (node: V1Node, prefix: string) => Object.keys(node.metadata?.annotations ?? {}).some((k) => k.startsWith(prefix));
const labelled = (node: V1Node, key: string, value?: string) => (value === undefined ? key in (node.metadata?.labels ?? {}) : node.metadata?.labels?.[key] === value);

/** The table, in order: a row earlier wins, so the more specific (anetd before cilium, canal before calico) come first. */
const ROWS: readonly CniRow[] = [
  {
    id: 'gke-dataplane-v2',
    kind: 'cilium',
    name: 'GKE Dataplane V2 (anetd)',
    agent: 'pod',
    agentPod: /^anetd/,
    namespaces: ['kube-system'],
    configFile: /cilium|gke/,
    bridge: false,
    podCidr: 'uses',
    hostFacts: ['cilium-agent socket'],
  },
  {
    id: 'canal',
    kind: 'flannel', // flannel carries the pods' traffic (subnet.env, flannel.1); Calico only enforces policy
    name: 'canal',
    agent: 'pod',
    agentPod: /^(rke2-)?canal/,
    label: { key: 'k8s-app', value: 'canal' },
    namespaces: ['kube-system'],
    configFile: /canal/,
    bridge: false,
    podCidr: 'uses',
    hostFacts: ['/run/flannel/subnet.env', 'flannel.1 (VXLAN)'],
  },
  {
    id: 'flannel',
    kind: 'flannel',
    name: 'flannel',
    agent: 'pod',
    agentPod: /flannel/,
    label: { key: 'app', value: 'flannel' },
    namespaces: ['kube-flannel', 'kube-system'],
    configFile: /flannel/,
    bridge: true,
    podCidr: 'uses',
    hostFacts: ['/run/flannel/subnet.env', 'flannel.1 (VXLAN)', 'cni0 (bridge)'],
  },
  {
    id: 'k3s-flannel',
    kind: 'flannel',
    name: 'flannel (built into k3s)',
    agent: 'builtin',
    configFile: /flannel/,
    bridge: true,
    podCidr: 'uses',
    hostFacts: ['/run/flannel/subnet.env', 'flannel.1 (VXLAN)', 'cni0 (bridge)'],
    // k3s runs flannel in its own process: no pod, only the annotations flannel writes. k3s writes
    // them even with --flannel-backend=none (k3s-io/k3s#3932), so a CNI pod seen first wins.
    fromNode: (n) => annotated(n, 'flannel.alpha.coreos.com/') && (labelled(n, 'node.kubernetes.io/instance-type', 'k3s') || annotated(n, 'k3s.io/')),
  },
  {
    id: 'calico',
    kind: 'calico',
    name: 'calico',
    agent: 'pod',
    agentPod: /^calico-node/,
    label: { key: 'k8s-app', value: 'calico-node' },
    namespaces: ['kube-system', 'calico-system'],
    configFile: /calico/,
    bridge: false,
    podCidr: 'depends',
    hostFacts: ['BIRD socket', 'tunl0 (IPIP) or vxlan.calico'],
  },
  {
    id: 'cilium',
    kind: 'cilium',
    name: 'cilium',
    agent: 'pod',
    agentPod: /^cilium(-agent)?$|^cilium-[a-z0-9]{5}$/,
    label: { key: 'k8s-app', value: 'cilium' },
    namespaces: ['kube-system', 'cilium'],
    configFile: /cilium/,
    bridge: false,
    podCidr: 'depends',
    hostFacts: ['cilium-agent socket', 'cilium_vxlan or cilium_geneve'],
  },
  {
    id: 'aws-vpc-cni',
    kind: 'other',
    name: 'AWS VPC CNI (aws-node)',
    agent: 'pod',
    agentPod: /^aws-node/,
    label: { key: 'k8s-app', value: 'aws-node' },
    namespaces: ['kube-system'],
    configFile: /aws/,
    bridge: false,
    podCidr: 'own', // pods get secondary addresses of the node's ENIs, from the VPC subnets
    hostFacts: [],
  },
  {
    id: 'azure-cni',
    kind: 'other',
    name: 'Azure CNI (azure-cns)',
    agent: 'pod',
    agentPod: /^azure-cns/,
    label: { key: 'k8s-app', value: 'azure-cns' },
    namespaces: ['kube-system'],
    configFile: /azure/,
    bridge: false,
    // VNet addresses; in overlay mode a /24 of the pod CIDR per node, handed out by Azure's own
    // control plane (NodeNetworkConfiguration), so a node without spec.podCIDR is not judged.
    podCidr: 'depends',
    hostFacts: [],
  },
  {
    id: 'kubenet',
    kind: 'other',
    name: 'kubenet',
    agent: 'builtin',
    configFile: /kubenet|gke|containerd-net|bridge/,
    bridge: true,
    podCidr: 'uses',
    hostFacts: ['cbr0 (bridge)'],
    // AKS's kubenet and GKE's built-in CNI: no agent pod, the kubelet's bridge over the node's podCIDR.
    // Only a guess from the platform, so only once the node's pods are known to hold no other CNI's.
    guess: true,
    fromNode: (n) => {
      const platform = platformOf(n)?.id;
      return platform === 'gke' || (platform === 'aks' && !labelled(n, 'kubernetes.azure.com/podnetwork-type'));
    },
  },
  {
    id: 'kindnet',
    kind: 'other',
    name: 'kindnet',
    agent: 'pod',
    agentPod: /^kindnet/,
    label: { key: 'app', value: 'kindnet' },
    namespaces: ['kube-system'],
    configFile: /kindnet/,
    bridge: false,
    podCidr: 'uses',
    hostFacts: [],
  },
  {
    id: 'kube-router',
    kind: 'other',
    name: 'kube-router',
    agent: 'pod',
    agentPod: /^kube-router/,
    label: { key: 'k8s-app', value: 'kube-router' },
    namespaces: ['kube-system'],
    configFile: /kuberouter|kube-router/,
    bridge: true,
    podCidr: 'uses',
    hostFacts: ['kube-bridge (bridge)'],
  },
  {
    id: 'antrea',
    kind: 'other',
    name: 'antrea',
    agent: 'pod',
    agentPod: /^antrea-agent/,
    label: { key: 'component', value: 'antrea-agent' },
    namespaces: ['kube-system'],
    configFile: /antrea/,
    bridge: false,
    podCidr: 'uses',
    hostFacts: ['antrea-gw0', 'antrea-tun0'],
  },
  {
    id: 'ovn-kubernetes',
    kind: 'other',
    name: 'OVN-Kubernetes',
    agent: 'pod',
    agentPod: /^ovnkube-node/,
    label: { key: 'app', value: 'ovnkube-node' },
    namespaces: ['openshift-ovn-kubernetes', 'ovn-kubernetes'],
    configFile: /ovn/,
    bridge: false,
    podCidr: 'own', // each node's subnet is in its k8s.ovn.org/node-subnets annotation
    hostFacts: ['genev_sys_6081 (Geneve)', 'br-ex'],
  },
  {
    id: 'weave',
    kind: 'other',
    name: 'weave',
    agent: 'pod',
    agentPod: /^weave-net/,
    label: { key: 'name', value: 'weave-net' },
    namespaces: ['kube-system'],
    configFile: /weave/,
    bridge: true,
    podCidr: 'own',
    hostFacts: ['weave (bridge)'],
  },
  {
    id: 'multus',
    kind: 'other',
    name: 'Multus',
    agent: 'pod',
    agentPod: /multus/,
    label: { key: 'app', value: 'multus' },
    namespaces: ['kube-system', 'openshift-multus'],
    configFile: /multus/,
    bridge: false,
    podCidr: 'uses',
    hostFacts: [],
    meta: true,
  },
];

export const CNIS: readonly CniRow[] = ROWS.map((r) => (r.label ? { ...r, selector: `${r.label.key}=${r.label.value}` } : r));

/** Any other CNI, known only by a config file in the runtime's CNI config dir (the reference bridge plugin, say): not understood. */
export const GENERIC_CNI: CniRow = { id: 'unknown', kind: 'other', name: 'the CNI', agent: 'builtin', configFile: /./, bridge: true, podCidr: 'uses', hostFacts: [] };

/**
 * Label selectors that find every CNI's node agent pods cluster-wide: one set-based selector per
 * label key (`k8s-app in (aws-node,calico-node,...)`), so `nodes` makes a handful of lists, not one per CNI.
 */
export const CNI_POD_SELECTORS: readonly string[] = (() => {
  const byKey = new Map<string, string[]>();
  for (const row of CNIS) if (row.label) byKey.set(row.label.key, [...(byKey.get(row.label.key) ?? []), row.label.value]);
  return [...byKey].map(([key, values]) => (values.length === 1 ? `${key}=${values[0]}` : `${key} in (${[...new Set(values)].sort().join(',')})`));
})();

export interface CniAgent {
  kind: CniKind;
  name: string;
  row: CniRow;
  pod: V1Pod;
}

function rowOfPod(pod: V1Pod): CniRow | undefined {
  const labels = pod.metadata?.labels ?? {};
  const name = pod.metadata?.name ?? '';
  const keys = [labels['k8s-app'], labels.app, labels['app.kubernetes.io/name'], labels.component, labels.name].filter((k): k is string => !!k);
  // By pod name first (anetd carries cilium's label), then by label.
  return CNIS.find((r) => r.agentPod?.test(name)) ?? CNIS.find((r) => keys.some((k) => r.agentPod?.test(k)));
}

/** Which CNI runs on a node, recognised from its agent pod (by pod name or app label); a meta-plugin only when nothing else is. */
export function cniAgent(pods: V1Pod[] | undefined): CniAgent | undefined {
  let meta: CniAgent | undefined;
  for (const pod of pods ?? []) {
    const row = rowOfPod(pod);
    if (!row) continue;
    if (!row.meta) return { kind: row.kind, name: row.name, row, pod };
    meta ??= { kind: row.kind, name: row.name, row, pod };
  }
  return meta;
}

/** The first config file in the runtime's CNI config dir that is not a meta-plugin's: the network the runtime sets up. */
function primaryConfigFile(files: string[] | undefined): string | undefined {
  const sorted = [...(files ?? [])].sort();
  const multus = CNIS.find((r) => r.meta)!;
  return sorted.find((f) => !multus.configFile.test(f)) ?? sorted[0];
}

/** The CNI named by the first config file in the runtime's CNI config dir (the one the runtime uses), past Multus's. */
export function cniFromConfigFiles(files: string[] | undefined): CniRow | undefined {
  const first = primaryConfigFile(files);
  if (!first) return undefined;
  return CNIS.find((r) => r.agent === 'pod' && r.configFile.test(first)) ?? CNIS.find((r) => r.configFile.test(first)) ?? GENERIC_CNI;
}

export interface NodeCni {
  kind?: CniKind;
  row?: CniRow;
  agent?: CniAgent;
  source?: string;
  /** The CNI was seen (a config file) but is not in the table: what it is called there. */
  notUnderstood?: string;
}

/** The CNI on this node: from its agent pod, else the Node's annotations and platform, else the host's CNI config. */
export function nodeCni(facts: Pick<NodeFacts, 'pods' | 'node' | 'host'>): NodeCni {
  const agent = cniAgent(facts.pods);
  if (agent && !agent.row.meta) return { kind: agent.kind, row: agent.row, agent, source: `pod ${agent.pod.metadata?.namespace}/${agent.pod.metadata?.name}` };
  const node = facts.node;
  const builtin = node && CNIS.find((r) => r.fromNode?.(node) && (!r.guess || !!facts.pods));
  if (builtin) return { kind: builtin.kind, row: builtin, source: `node ${node.metadata?.name}'s labels and annotations` };
  const files = facts.host?.cniConfigFiles;
  const fromConfig = cniFromConfigFiles(files);
  const file = primaryConfigFile(files);
  if (fromConfig && !fromConfig.meta) {
    const source = `${facts.host?.cniConfigDir ?? DEFAULT_CNI_CONF}/${file}`;
    if (fromConfig === GENERIC_CNI) return { kind: 'other', row: GENERIC_CNI, source, notUnderstood: file!.replace(/\.(conflist|conf|json)$/, '').replace(/^\d+-/, '') };
    return { kind: fromConfig.kind, row: fromConfig, source };
  }
  if (agent) return { kind: agent.kind, row: agent.row, agent, source: `pod ${agent.pod.metadata?.namespace}/${agent.pod.metadata?.name}` };
  return {};
}

/** Whether pods on this node get their addresses from its podCIDR, as far as the CNI and the node say. */
export function usesPodCidr(cni: NodeCni, allocates: boolean | undefined): boolean | undefined {
  const row = cni.row;
  if (!row || row === GENERIC_CNI) return undefined;
  if (row.podCidr === 'uses') return true;
  if (row.podCidr === 'own') return false;
  // Calico and Cilium use the podCIDR when configured to (Calico's host-local IPAM, Cilium's
  // ipam.mode=kubernetes): what a controller-manager handing podCIDRs out suggests.
  return allocates === true ? true : undefined;
}
