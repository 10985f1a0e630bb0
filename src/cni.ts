import type { NodeFacts } from './facts';
import { type CniAgent, type CniKind, cniAgent, cniFromConfigFiles } from './kube-objects';

export interface NodeCni {
  kind?: CniKind;
  agent?: CniAgent;
  source?: string;
}

/** The CNI on this node: from its agent pod, else from the host's CNI config. */
export function nodeCni(facts: NodeFacts): NodeCni {
  const agent = cniAgent(facts.pods);
  if (agent) return { kind: agent.kind, agent, source: `pod ${agent.pod.metadata?.namespace}/${agent.pod.metadata?.name}` };
  const fromConfig = cniFromConfigFiles(facts.host?.cniConfigFiles);
  if (fromConfig) return { kind: fromConfig, source: `/etc/cni/net.d/${facts.host!.cniConfigFiles![0]}` };
  return {};
}
