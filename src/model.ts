// The shapes every front shares: what a check returns and how reports are assembled.

export const STATUSES = ['ok', 'warn', 'fail', 'unknown', 'skip'] as const;
export type Status = (typeof STATUSES)[number];

export const CHECK_IDS = [
  'kubelet-ready',
  'cni-ready',
  'flannel-subnet-env',
  'bgp-established',
  'swap',
  'pod-cidr-assigned',
  'default-route',
  'node-address',
  'cluster-cidr',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface Finding {
  status: Status;
  summary: string;
  evidence: string[];
  remedy?: string;
  /** Numbers behind the finding (e.g. BGP sessions established), exported as metrics; not in reports. */
  measures?: Record<string, number>;
}

export interface CheckResult extends Omit<Finding, 'measures'> {
  id: CheckId;
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

export function measured(f: Finding, measures: Record<string, number>): Finding {
  return { ...f, measures };
}

export const finding = {
  ok: (summary: string, evidence: string[] = []): Finding => ({ status: 'ok', summary, evidence }),
  skip: (summary: string, evidence: string[] = []): Finding => ({ status: 'skip', summary, evidence }),
  unknown: (summary: string, evidence: string[] = [], remedy?: string): Finding => ({ status: 'unknown', summary, evidence, remedy }),
  warn: (summary: string, evidence: string[], remedy: string): Finding => ({ status: 'warn', summary, evidence, remedy }),
  fail: (summary: string, evidence: string[], remedy: string): Finding => ({ status: 'fail', summary, evidence, remedy }),
};
