// What to do when only the agent could tell: install it, or find out why it does not report.
import type { NodeFacts } from '../core/facts';
import { VERSION as NETCHECK_VERSION } from '../version';

/** The agent as a remote kustomization pinned to this release: it works outside a checkout. */
export const INSTALL_AGENT = `kubectl apply -k 'https://github.com/netcheck/netcheck//deploy?ref=v${NETCHECK_VERSION === 'dev' ? '0.1.0' : NETCHECK_VERSION}'`;

/**
 * What to do when a fact only the host has is missing. Seen from the API: about the agent (install
 * it only when no agent pod exists; otherwise its pod, its logs, its report's age). On the agent
 * itself: the evidence names the file or socket and why it could not be read.
 */
export function hostFactRemedy(facts: NodeFacts): string | undefined {
  if (facts.host) return undefined;
  return facts.agentRemedy ?? `This is only visible on the host: install the netcheck agent (${INSTALL_AGENT}) and run again.`;
}
