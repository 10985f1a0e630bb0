// What to do when only the agent could tell: install it, or find out why it does not report.
import type { NodeFacts } from '../core/facts';
import { VERSION as NETCHECK_VERSION } from '../version';
import { shq } from './shell';

/**
 * The agent's kustomize base: deploy/ of the release archive or a clone of this source (nothing
 * is fetched from a remote this project does not publish), or the base NETCHECK_DEPLOY names.
 */
export function installAgent(env: NodeJS.ProcessEnv = process.env): { from: string; command: string } {
  const base = env.NETCHECK_DEPLOY;
  if (base) return { from: 'the base NETCHECK_DEPLOY names', command: `kubectl apply -k ${shq(base)}` };
  const version = NETCHECK_VERSION === 'dev' ? '' : ` ${NETCHECK_VERSION}`;
  return { from: `in netcheck${version} unpacked from its release archive, or a clone of its source; NETCHECK_DEPLOY names another base`, command: 'kubectl apply -k deploy/' };
}

const INSTALL = installAgent();
/** Where the install command runs from, in words. */
export const INSTALL_FROM = INSTALL.from;
/** The install command alone: it ends a line, so the line pastes as it is. */
export const INSTALL_AGENT = INSTALL.command;

/**
 * What to do when a fact only the host has is missing. Seen from the API: about the agent (install
 * it only when no agent pod exists; otherwise its pod, its logs, its report's age). On the agent
 * itself: the evidence names the file or socket and why it could not be read.
 */
export function hostFactRemedy(facts: NodeFacts): string | undefined {
  if (facts.host) return undefined;
  return facts.agentRemedy ?? `This is only visible on the host: install the netcheck agent, then run again (${INSTALL_FROM}): ${INSTALL_AGENT}`;
}
