// The shapes every front shares: what a check returns and how reports are assembled.
import type { Params } from './params';
import type { PeerProbe } from './probes';

export const STATUSES = ['ok', 'warn', 'fail', 'unknown', 'skip'] as const;
export type Status = (typeof STATUSES)[number];

/** The id of a check: one of the registry's (src/checks/index.ts CHECK_IDS), stable across releases. */
export type CheckId = string;

export interface CheckResult {
  id: CheckId;
  status: Status;
  /** One line a person reads first. */
  summary: string;
  /** Each fact that led here, with where it came from. */
  evidence: string[];
  /** What to do, with the exact command where one exists. */
  remedy?: string;
  /** The commands of the remedy, each one pasteable line, and where it runs. */
  steps?: Step[];
  /** The finding, from the check's catalogue (stable): what a NodeReport carries instead of prose. */
  code?: string;
  /** The finding's values (names and numbers), from which summary, remedy and steps are rendered. */
  params?: Params;
}

/**
 * One command of a remedy: `on` is a node name ("as root on that node") or `cluster` ("with
 * kubectl, from a workstation"). Every value from outside in `run` went through shq().
 */
export interface Step {
  on: string;
  run: string;
}

export interface NodeReport {
  apiVersion: 'netcheck/v1';
  kind: 'NodeReport';
  node: string;
  status: Status;
  /** The failing check that explains the others (causes before symptoms); absent when none fails. */
  rootCause?: CheckId;
  /**
   * Every independent failure, most urgent first (live before latent, causes before symptoms):
   * a failing check explained by another failing one is not among them. rootCause is the first.
   */
  rootCauses?: CheckId[];
  checks: CheckResult[];
  /** The agent's peer probes of its last round (peer, path, error class; no RTTs), bounded. */
  probes?: PeerProbe[];
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

export function nodeReport(node: string, checks: CheckResult[], rootCauses: CheckId[] = []): NodeReport {
  return {
    apiVersion: 'netcheck/v1',
    kind: 'NodeReport',
    node,
    status: worstStatus(checks.map((c) => c.status)),
    ...(rootCauses.length ? { rootCause: rootCauses[0], rootCauses } : {}),
    checks,
  };
}

export function clusterReport(nodes: NodeReport[]): ClusterReport {
  return { apiVersion: 'netcheck/v1', kind: 'ClusterReport', status: worstStatus(nodes.map((n) => n.status)), nodes };
}
