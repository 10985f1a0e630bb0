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

/** kubectl-style age: 45s, 3m20s, 5h, 2d4h. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 && m < 10 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 && h < 8 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 && d < 8 ? `${d}d${h % 24}h` : `${d}d`;
}
