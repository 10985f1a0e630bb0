// The NodeReport custom resource (netcheck.io/v1alpha1): how a node's report leaves the node.
// One object per node, named after it, cluster-scoped; the report is its status. The CRD in
// deploy/base is generated from this file (make generate), so the schema the API server enforces,
// the bounds the agent clips to and the reader the plugin uses cannot drift apart.
import { type CheckResult, type NodeReport, STATUSES, type Status } from '../core/model';
import { PARAM_BOUNDS, PARAM_KEY, type Params, readParams } from '../core/params';
import { ERROR_CLASSES, type PeerProbe } from '../core/probes';
import { assemble, renderReported } from '../engine';

export const GROUP = 'netcheck.io';
export const VERSION = 'v1alpha1';
export const KIND = 'NodeReport';
export const PLURAL = 'nodereports';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The field manager of the agent's server-side applies. */
export const FIELD_MANAGER = 'netcheck-agent';

/** What the API server accepts; the agent clips its report to fit before writing. */
export const BOUNDS = { checks: 64, evidence: 32, text: 1024, remedy: 4096, name: 253, probes: 64 } as const;

/** A check as a report carries it: data, no prose (the reader renders the words from its catalogue). */
export interface ReportCheck {
  id: string;
  status: Status;
  code?: string;
  params?: ReportParam[];
  evidence: string[];
}

/** One param in the object: its name and its one typed value. */
export interface ReportParam {
  name: string;
  string?: string;
  number?: number;
  boolean?: boolean;
  strings?: string[];
}

const toReportParams = (params: Params): ReportParam[] =>
  Object.entries(params).map(([name, v]) =>
    typeof v === 'string' ? { name, string: v } : typeof v === 'number' ? { name, number: v } : typeof v === 'boolean' ? { name, boolean: v } : { name, strings: v },
  );

/** A report's params, as outside input: malformed entries are dropped, the rest bounded (readParams). */
function fromReportParams(raw: unknown): Params {
  if (!Array.isArray(raw)) return {};
  const flat: Record<string, unknown> = {};
  for (const p of raw.slice(0, PARAM_BOUNDS.count)) {
    if (!p || typeof p !== 'object' || typeof p.name !== 'string') continue;
    const values = [p.string, p.number, p.boolean, p.strings].filter((v) => v !== undefined);
    if (values.length === 1) flat[p.name] = values[0];
  }
  return readParams(flat);
}

/** The status of a NodeReport object: the report, when it was observed, by whom, and how often. */
export interface ReportStatus {
  node: string;
  status: Status;
  rootCause?: string;
  rootCauses?: string[];
  /** Failing check ids, comma-separated: the FAILING printer column. */
  failing: string;
  checks: ReportCheck[];
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

const clipText = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const str = (maxLength: number, extra: object = {}) => ({ type: 'string', maxLength, ...extra });
const CHECK_ID = { type: 'string', maxLength: 63, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' };

/** The status schema (OpenAPI v3, structural: every field typed, nothing preserved unknown). */
export const STATUS_SCHEMA = {
  type: 'object',
  required: ['node', 'status', 'checks', 'observedAt', 'agentVersion', 'heartbeatSeconds', 'intervalSeconds'],
  properties: {
    node: str(BOUNDS.name, { description: 'The node this report is about.' }),
    status: { type: 'string', enum: [...STATUSES], description: 'The worst status among the checks.' },
    rootCause: { ...CHECK_ID, description: 'The failing check to look at first: rootCauses[0].' },
    rootCauses: {
      type: 'array',
      maxItems: BOUNDS.checks,
      items: CHECK_ID,
      description: 'Every independent failure, most urgent first: live before latent, causes before symptoms; a failure another failing check explains is not listed.',
    },
    failing: str(BOUNDS.checks * 64, { description: 'Failing check ids, comma-separated.' }),
    checks: {
      type: 'array',
      maxItems: BOUNDS.checks,
      description: 'Every check, in report order; `skip` where it does not apply.',
      items: {
        type: 'object',
        description:
          "A check's finding as data: `code` names the finding in the check's catalogue and `params` hold its values. Readers render the summary, remedy and steps from their own catalogue; nothing here is prose to print as a fix. A check without a code (written by an agent older than codes: its summary and remedy fields are not part of this schema and are pruned) reads as unknown, 'agent too old'; a code the reader does not know (a newer agent) reads as unknown, 'upgrade kubectl-netcheck'.",
        required: ['id', 'status', 'evidence'],
        properties: {
          id: CHECK_ID,
          status: { type: 'string', enum: [...STATUSES] },
          code: str(64, { pattern: '^[A-Za-z][A-Za-z0-9]*$', description: "The finding's code in the check's catalogue." }),
          params: {
            type: 'array',
            maxItems: PARAM_BOUNDS.count,
            description:
              'The names and numbers the finding is about (an interface, a file, a count), flattened to dotted names; each holds one typed value: string, number, boolean or strings (a short list).',
            items: {
              type: 'object',
              required: ['name'],
              properties: {
                name: str(PARAM_BOUNDS.key, { pattern: PARAM_KEY }),
                string: str(PARAM_BOUNDS.text),
                number: { type: 'number' },
                boolean: { type: 'boolean' },
                strings: { type: 'array', maxItems: PARAM_BOUNDS.list, items: str(PARAM_BOUNDS.text) },
              },
            },
          },
          evidence: {
            type: 'array',
            maxItems: BOUNDS.evidence,
            items: str(BOUNDS.text),
            description: 'Each fact that led here, with where it came from. Shown sanitised as evidence, never as a command.',
          },
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

/** The object the agent applies: its report as status, clipped to the schema's bounds. */
export function reportObject(
  report: NodeReport,
  meta: { observedAt: number; agentVersion: string; heartbeatSeconds: number; intervalSeconds: number; rootCause?: string },
): ReportObject & { status: ReportStatus } {
  const checks: ReportCheck[] = report.checks.slice(0, BOUNDS.checks).map((c) => ({
    id: c.id,
    status: c.status,
    ...(c.code ? { code: c.code } : {}),
    ...(c.params && Object.keys(c.params).length ? { params: toReportParams(readParams(c.params)) } : {}),
    evidence: c.evidence.slice(0, BOUNDS.evidence).map((e) => clipText(e, BOUNDS.text)),
  }));
  const rootCauses = report.rootCauses ?? (meta.rootCause ? [meta.rootCause] : []);
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: report.node },
    status: {
      node: report.node,
      status: report.status,
      ...(rootCauses.length ? { rootCause: rootCauses[0], rootCauses: rootCauses.slice(0, BOUNDS.checks) } : {}),
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
  const agentVersion = typeof status.agentVersion === 'string' ? status.agentVersion.slice(0, 64).replace(/[^\w.+-]/g, '?') : 'unknown';
  // The node is the object's name (the API server checked it), never what the status says; every
  // word shown comes from this plugin's catalogue, rendered from the report's code and params.
  const checks: CheckResult[] = status.checks.slice(0, BOUNDS.checks).map((c, i) => {
    if (!c || typeof c.id !== 'string' || !STATUSES.includes(c.status)) throw fail(`status.checks[${i}] is not a check result`);
    const evidence = Array.isArray(c.evidence)
      ? c.evidence
          .slice(0, BOUNDS.evidence)
          .filter((e): e is string => typeof e === 'string')
          .map((e) => clipText(e, BOUNDS.text))
      : [];
    const code = typeof c.code === 'string' && /^[A-Za-z][A-Za-z0-9]*$/.test(c.code) ? c.code : undefined;
    return renderReported({ id: c.id.slice(0, 63), status: c.status, code, params: fromReportParams(c.params), evidence }, name, agentVersion);
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
  const report = assemble(name, checks);
  if (probes.length) report.probes = probes;
  return { report, observedAt, agentVersion, staleAt: observedAt + staleAfterMs };
}
