// The NodeReport custom resource (netcheck.io/v1alpha1): how a node's report leaves the node.
// One object per node, named after it, cluster-scoped; the report is its status. The CRD in
// deploy/base is generated from this file (make generate), so the schema the API server enforces,
// the bounds the agent clips to and the reader the plugin uses cannot drift apart.
import { type CheckResult, type NodeReport, nodeReport, STATUSES, type Status } from '../core/model';
import { ERROR_CLASSES, type PeerProbe } from '../core/probes';

export const GROUP = 'netcheck.io';
export const VERSION = 'v1alpha1';
export const KIND = 'NodeReport';
export const PLURAL = 'nodereports';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The field manager of the agent's server-side applies. */
export const FIELD_MANAGER = 'netcheck-agent';

/** What the API server accepts; the agent clips its report to fit before writing. */
export const BOUNDS = { checks: 64, evidence: 32, text: 1024, remedy: 4096, name: 253, probes: 64 } as const;

/** The status of a NodeReport object: the report, when it was observed, by whom, and how often. */
export interface ReportStatus {
  node: string;
  status: Status;
  rootCause?: string;
  /** Failing check ids, comma-separated: the FAILING printer column. */
  failing: string;
  checks: CheckResult[];
  /** The agent's last peer probes: which peer, which path, the error class (no RTTs: no rewrite when one moves). */
  probes?: PeerProbe[];
  observedAt: string; // RFC 3339
  agentVersion: string;
  /** The agent rewrites the report at least this often, and checks this often. */
  heartbeatSeconds: number;
  intervalSeconds: number;
}

export interface ReportObject {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: { name: string; uid?: string; resourceVersion?: string; ownerReferences?: object[]; labels?: Record<string, string> };
  status?: ReportStatus;
}

const str = (maxLength: number, extra: object = {}) => ({ type: 'string', maxLength, ...extra });
const CHECK_ID = { type: 'string', maxLength: 63, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' };

/** The status schema (OpenAPI v3, structural: every field typed, nothing preserved unknown). */
export const STATUS_SCHEMA = {
  type: 'object',
  required: ['node', 'status', 'checks', 'observedAt', 'agentVersion', 'heartbeatSeconds', 'intervalSeconds'],
  properties: {
    node: str(BOUNDS.name, { description: 'The node this report is about.' }),
    status: { type: 'string', enum: [...STATUSES], description: 'The worst status among the checks.' },
    rootCause: { ...CHECK_ID, description: 'The failing check that explains the others (causes before symptoms).' },
    failing: str(BOUNDS.checks * 64, { description: 'Failing check ids, comma-separated.' }),
    checks: {
      type: 'array',
      maxItems: BOUNDS.checks,
      description: 'Every check, in report order; `skip` where it does not apply.',
      items: {
        type: 'object',
        required: ['id', 'status', 'summary', 'evidence'],
        properties: {
          id: CHECK_ID,
          status: { type: 'string', enum: [...STATUSES] },
          summary: str(BOUNDS.text, { description: 'One line a person reads first.' }),
          evidence: { type: 'array', maxItems: BOUNDS.evidence, items: str(BOUNDS.text), description: 'Each fact that led here, with where it came from.' },
          remedy: str(BOUNDS.remedy, { description: 'What to do, with the exact command where one exists.' }),
          code: str(64, { pattern: '^[A-Za-z][A-Za-z0-9]*$', description: "The finding's code in the check's catalogue." }),
        },
      },
    },
    probes: {
      type: 'array',
      maxItems: BOUNDS.probes,
      description: "The agent's last peer probes: peer, path and error class (the plugin names the node its probers cannot reach).",
      items: {
        type: 'object',
        required: ['peer', 'path', 'ok'],
        properties: {
          peer: str(BOUNDS.name),
          path: { type: 'string', enum: ['underlay', 'pod-network'] },
          target: str(64),
          ok: { type: 'boolean' },
          error: { type: 'string', enum: [...ERROR_CLASSES] },
        },
      },
    },
    observedAt: { type: 'string', format: 'date-time', description: 'When the agent finished the check cycle this report comes from.' },
    agentVersion: str(64, { description: 'The netcheck agent version that wrote it.' }),
    heartbeatSeconds: { type: 'integer', minimum: 1, description: 'The agent rewrites an unchanged report at least this often.' },
    intervalSeconds: { type: 'integer', minimum: 1, description: 'The agent runs its checks this often.' },
  },
} as const;

export function nodeReportCrd(): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'netcheck' } },
    spec: {
      group: GROUP,
      scope: 'Cluster',
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: 'nodereport', shortNames: ['nr'], categories: ['netcheck'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Status', type: 'string', jsonPath: '.status.status', description: 'The worst status among the checks' },
            { name: 'Root-Cause', type: 'string', jsonPath: '.status.rootCause', description: 'The failing check that explains the others' },
            { name: 'Failing', type: 'string', jsonPath: '.status.failing', description: 'Failing checks' },
            { name: 'Agent', type: 'string', jsonPath: '.status.agentVersion', priority: 1, description: 'The agent version that wrote the report' },
            { name: 'Age', type: 'date', jsonPath: '.status.observedAt', description: 'How long ago the agent observed this' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: "A node's pod-network diagnosis, written by the netcheck agent on that node (kubectl netcheck node NAME reads it).",
              properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, status: STATUS_SCHEMA },
            },
          },
        },
      ],
    },
  };
}

const clipText = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** The object the agent applies: its report as status, clipped to the schema's bounds. */
export function reportObject(
  report: NodeReport,
  meta: { observedAt: number; agentVersion: string; heartbeatSeconds: number; intervalSeconds: number; rootCause?: string },
): ReportObject & { status: ReportStatus } {
  const checks = report.checks.slice(0, BOUNDS.checks).map((c) => ({
    id: c.id,
    status: c.status,
    summary: clipText(c.summary, BOUNDS.text),
    evidence: c.evidence.slice(0, BOUNDS.evidence).map((e) => clipText(e, BOUNDS.text)),
    ...(c.remedy ? { remedy: clipText(c.remedy, BOUNDS.remedy) } : {}),
    ...(c.code ? { code: c.code } : {}),
  }));
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: report.node },
    status: {
      node: report.node,
      status: report.status,
      ...(meta.rootCause ? { rootCause: meta.rootCause } : {}),
      failing: checks
        .filter((c) => c.status === 'fail')
        .map((c) => c.id)
        .join(','),
      checks,
      ...(report.probes
        ? { probes: report.probes.slice(0, BOUNDS.probes).map((p) => ({ peer: p.peer, path: p.path, target: p.target.slice(0, 64), ok: p.ok, ...(p.error ? { error: p.error } : {}) })) }
        : {}),
      observedAt: new Date(meta.observedAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      agentVersion: meta.agentVersion,
      heartbeatSeconds: meta.heartbeatSeconds,
      intervalSeconds: meta.intervalSeconds,
    },
  };
}

export interface PublishedReport {
  report: NodeReport;
  observedAt: number;
  agentVersion: string;
  /** After this (epoch ms) the report is stale: the agent should have rewritten it by then. */
  staleAt: number;
}

/**
 * A NodeReport object as read from the API, checked field by field (it is outside input): a
 * report netcheck cannot read is an error naming the object, never a crash or a wrong answer.
 */
export function readReportObject(obj: unknown, name: string): PublishedReport {
  const fail = (why: string) => new Error(`nodereport ${name} cannot be read: ${why}`);
  const status = (obj as ReportObject | undefined)?.status as Partial<ReportStatus> | undefined;
  if (!status || typeof status !== 'object') throw fail('it has no status yet');
  if (!Array.isArray(status.checks)) throw fail('status.checks is not a list');
  const observedAt = Date.parse(String(status.observedAt));
  if (Number.isNaN(observedAt)) throw fail('status.observedAt is not a time');
  const checks: CheckResult[] = status.checks.map((c, i) => {
    if (!c || typeof c.id !== 'string' || !STATUSES.includes(c.status) || typeof c.summary !== 'string') throw fail(`status.checks[${i}] is not a check result`);
    return {
      id: c.id as CheckResult['id'],
      status: c.status,
      summary: c.summary,
      evidence: Array.isArray(c.evidence) ? c.evidence.filter((e): e is string => typeof e === 'string') : [],
      ...(typeof c.remedy === 'string' ? { remedy: c.remedy } : {}),
      ...(typeof c.code === 'string' ? { code: c.code } : {}),
    };
  });
  const probes: PeerProbe[] = Array.isArray(status.probes)
    ? status.probes
        .slice(0, BOUNDS.probes)
        .filter((p) => p && typeof p.peer === 'string' && (p.path === 'underlay' || p.path === 'pod-network') && typeof p.ok === 'boolean')
        .map((p) => ({ peer: p.peer, path: p.path, target: typeof p.target === 'string' ? p.target : '', ok: p.ok, ...(ERROR_CLASSES.includes(p.error as never) ? { error: p.error } : {}) }))
    : [];
  const seconds = (v: unknown, fallback: number) => (typeof v === 'number' && v > 0 ? v : fallback);
  // Rewritten at least every heartbeat, after a cycle of at most one interval; a cycle late and a
  // slow write are forgiven (one more interval and 30 s).
  const staleAfterMs = (seconds(status.heartbeatSeconds, 300) + 2 * seconds(status.intervalSeconds, 30) + 30) * 1000;
  const report = nodeReport(typeof status.node === 'string' ? status.node : name, checks);
  if (probes.length) report.probes = probes;
  return { report, observedAt, agentVersion: String(status.agentVersion ?? 'unknown'), staleAt: observedAt + staleAfterMs };
}
