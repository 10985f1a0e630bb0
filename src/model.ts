// The shapes every front shares: what a check returns and how reports are assembled.

export const STATUSES = ['ok', 'warn', 'fail', 'unknown', 'skip'] as const;
export type Status = (typeof STATUSES)[number];

/** The id of a check in the registry (src/checks/index.ts). */
export type { CheckId } from './checks';

import type { CheckId } from './checks';

export interface CheckResult {
  id: CheckId;
  status: Status;
  /** The finding's code in its check's catalogue (absent where no check answered). */
  code?: string;
  /** One line a person reads first. */
  summary: string;
  /** Each fact that led here, with where it came from. */
  evidence: string[];
  /** What to do, with the exact command where one exists. */
  remedy?: string;
}

export interface NodeReport {
  apiVersion: 'netcheck/v1';
  kind: 'NodeReport';
  node: string;
  status: Status;
  /** The failing check that explains the others (causes before symptoms); absent when none fails. */
  rootCause?: CheckId;
  checks: CheckResult[];
}

export interface ClusterReport {
  apiVersion: 'netcheck/v1';
  kind: 'ClusterReport';
  status: Status;
  nodes: NodeReport[];
}

// Severity order used to pick a report's headline status. `unknown` ranks above `ok`:
// a report we could not complete must not read as healthy.
const SEVERITY: Record<Status, number> = { skip: 0, ok: 1, unknown: 2, warn: 3, fail: 4 };

export function worstStatus(statuses: Status[]): Status {
  return statuses.reduce<Status>((worst, s) => (SEVERITY[s] > SEVERITY[worst] ? s : worst), 'skip');
}

export function severity(status: Status): number {
  return SEVERITY[status];
}

export function nodeReport(node: string, checks: CheckResult[], rootCause?: CheckId): NodeReport {
  return { apiVersion: 'netcheck/v1', kind: 'NodeReport', node, status: worstStatus(checks.map((c) => c.status)), ...(rootCause ? { rootCause } : {}), checks };
}

export function clusterReport(nodes: NodeReport[]): ClusterReport {
  return { apiVersion: 'netcheck/v1', kind: 'ClusterReport', status: worstStatus(nodes.map((n) => n.status)), nodes };
}
