import type { FactKey, NodeFacts } from './facts';
import { INSTALL_AGENT } from './report-resource';
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

/**
 * What to do when a fact only the host has is missing. Seen from the API: about the agent (install
 * it only when no agent pod exists; otherwise its pod, its logs, its report's age). On the agent
 * itself: nothing to add, the evidence names the file or socket and why it could not be read.
 */
export function hostFactRemedy(facts: NodeFacts): string | undefined {
  if (facts.host) return undefined;
  return facts.agentRemedy ?? `This is only visible on the host: install the netcheck agent (${INSTALL_AGENT}) and run again.`;
}
