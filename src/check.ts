import type { FactKey, NodeFacts } from './facts';
import type { CheckId, Finding } from './model';

/**
 * One diagnosis. `needs` names the facts it reads; `seenBest` says whose view wins when the plugin
 * (API, cluster-wide) and the agent (host, this node only) both answer: the host view for facts only
 * the host has, the API view for facts that need the whole cluster, the worse of the two otherwise.
 */
export interface Check {
  id: CheckId;
  title: string;
  needs: FactKey[];
  seenBest: 'host' | 'api' | 'both';
  evaluate(facts: NodeFacts): Finding;
}

/** Lines saying which needed facts could not be gathered, and why. */
export function unavailableEvidence(facts: NodeFacts, keys: FactKey[]): string[] {
  return keys.flatMap((k) => (facts.unavailable[k] ? [`${k}: ${facts.unavailable[k]}`] : []));
}

export const AGENT_HINT =
  'This is only visible on the host: install the netcheck agent (kubectl apply -k deploy/) and run again.';
