import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { BgpSession } from './parsers/bird';
import type { KubeletSwapConfig } from './parsers/kubelet-config';
import type { Route } from './parsers/proc-net-route';
import type { SwapArea } from './parsers/proc-swaps';
import type { SubnetEnv } from './parsers/subnet-env';

/**
 * Everything a check may look at for one node. Each part is optional: the plugin gathers API
 * facts, the agent adds host facts; a part that could not be read is absent and its reason is in
 * `unavailable`, so checks can say `unknown` with the cause instead of guessing.
 */
export interface NodeFacts {
  nodeName: string;
  now: number; // epoch ms, passed in so evaluation stays pure
  node?: V1Node;
  pods?: V1Pod[]; // pods scheduled on this node
  events?: CoreV1Event[]; // Warning events about this node and its pods
  cniLogs?: Record<string, string>; // "namespace/pod" → tail of the log of a CNI pod that is not Ready
  cluster?: ClusterFacts;
  host?: HostFacts;
  agent?: string; // where host facts came from, e.g. "agent netcheck/netcheck-agent-x7k2p (report 40s old)"
  agentRemedy?: string; // when host facts are unavailable: what to do, filled in from what was seen
  unavailable: Partial<Record<FactKey, string>>;
}

export interface ClusterFacts {
  controllerManager?: { flags: Record<string, string>; source: string };
  kubeadm?: { podSubnet?: string; source: string };
  flannel?: { network?: string; source: string };
  calicoPool?: { cidr: string; source: string };
  peers?: PeerNode[]; // every node of the cluster (this one included), for uniqueness and overlap
}

export interface PeerNode {
  name: string;
  internalIP?: string;
  podCIDRs: string[];
  cniAddress?: string;
}

export interface HostFacts {
  subnetEnv?: SubnetEnv | null; // null: the file does not exist
  swaps?: SwapArea[];
  fstabSwaps?: string[];
  kubeletConfig?: (KubeletSwapConfig & { path?: string }) | null; // null: no config file
  routes?: Route[];
  interfaces?: Record<string, string>; // name → operstate, for links that can carry node traffic
  interfaceCount?: number; // every link in /sys/class/net, veths included
  cniConfigFiles?: string[];
  bgpSessions?: BgpSession[]; // absent: no BIRD socket on this host
}

export type FactKey =
  | 'node'
  | 'pods'
  | 'events'
  | 'cniLogs'
  | 'controllerManager'
  | 'kubeadm'
  | 'flannel'
  | 'peers'
  | 'agent'
  | 'subnetEnv'
  | 'swaps'
  | 'fstabSwaps'
  | 'kubeletConfig'
  | 'routes'
  | 'interfaces'
  | 'interfaceCount'
  | 'cniConfigFiles'
  | 'bgpSessions';

export function emptyFacts(nodeName: string, now: number): NodeFacts {
  return { nodeName, now, unavailable: {} };
}
