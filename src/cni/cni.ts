// The CNIs netcheck knows, one row each: how to recognise its node agent pod and its config file,
// how to list its pods cluster-wide, and what it is made of (a Linux bridge, an overlay). Adding a
// CNI is adding a row.
import type { V1Pod } from '@kubernetes/client-node';
import type { NodeFacts } from '../core/facts';

export type CniKind = 'flannel' | 'calico' | 'cilium' | 'other';

export interface CniRow {
  kind: CniKind;
  /** How people name it ("calico-node" for Calico's agent is "calico" here). */
  name: string;
  /** Its node agent pod, by pod name or app label. */
  agentPod: RegExp;
  /** A label selector that lists its agent pods cluster-wide. */
  selector?: string;
  /** Its file in /etc/cni/net.d. */
  configFile: RegExp;
  /** Pods attach to a Linux bridge (flannel's cni0, weave, kube-router): br_netfilter matters. */
  bridge: boolean;
}

export const CNIS: readonly CniRow[] = [
  { kind: 'flannel', name: 'flannel', agentPod: /flannel/, selector: 'app=flannel', configFile: /flannel/, bridge: true },
  { kind: 'calico', name: 'calico', agentPod: /^calico-node/, selector: 'k8s-app=calico-node', configFile: /calico/, bridge: false },
  { kind: 'cilium', name: 'cilium', agentPod: /^cilium(-agent)?$|^cilium-[a-z0-9]{5}$/, selector: 'k8s-app=cilium', configFile: /cilium/, bridge: false },
  { kind: 'other', name: 'weave', agentPod: /^weave-net/, configFile: /weave/, bridge: true },
  { kind: 'other', name: 'kube-router', agentPod: /^kube-router/, configFile: /kuberouter|kube-router/, bridge: true },
  { kind: 'other', name: 'antrea', agentPod: /^antrea-agent/, configFile: /antrea/, bridge: false },
];

/** Any other CNI, known only by a config file in /etc/cni/net.d (the reference bridge plugin, say). */
export const GENERIC_CNI: CniRow = { kind: 'other', name: 'the CNI', agentPod: /^$/, configFile: /./, bridge: true };

/** Label selectors that find each CNI's node agent pods, for cluster-wide lists. */
export const CNI_POD_SELECTORS = CNIS.flatMap((c) => (c.selector ? [c.selector] : []));

export interface CniAgent {
  kind: CniKind;
  name: string;
  row: CniRow;
  pod: V1Pod;
}

/** Which CNI runs on a node, recognised from its agent pod (by app label or pod name). */
export function cniAgent(pods: V1Pod[] | undefined): CniAgent | undefined {
  for (const pod of pods ?? []) {
    const labels = pod.metadata?.labels ?? {};
    const key = labels['k8s-app'] ?? labels.app ?? labels['app.kubernetes.io/name'] ?? '';
    const name = pod.metadata?.name ?? '';
    const row = CNIS.find((r) => r.agentPod.test(key) || r.agentPod.test(name));
    if (row) return { kind: row.kind, name: row.name, row, pod };
  }
  return undefined;
}

/** The CNI named by the first config file in /etc/cni/net.d (the one the runtime uses). */
export function cniFromConfigFiles(files: string[] | undefined): CniRow | undefined {
  const first = [...(files ?? [])].sort()[0];
  if (!first) return undefined;
  return CNIS.find((r) => r.configFile.test(first)) ?? GENERIC_CNI;
}

export interface NodeCni {
  kind?: CniKind;
  row?: CniRow;
  agent?: CniAgent;
  source?: string;
}

/** The CNI on this node: from its agent pod, else from the host's CNI config. */
export function nodeCni(facts: NodeFacts): NodeCni {
  const agent = cniAgent(facts.pods);
  if (agent) return { kind: agent.kind, row: agent.row, agent, source: `pod ${agent.pod.metadata?.namespace}/${agent.pod.metadata?.name}` };
  const files = facts.host?.cniConfigFiles;
  const fromConfig = cniFromConfigFiles(files);
  if (fromConfig) return { kind: fromConfig.kind, row: fromConfig, source: `/etc/cni/net.d/${[...files!].sort()[0]}` };
  return {};
}
