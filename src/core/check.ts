// What a check is. A check file (src/checks/<id>.ts) carries its whole face: what it asks, where it
// sits among causes, the facts it needs, a pure evaluation that names a finding and its values,
// the catalogue of findings with their wording, the metrics it exports and the alerts it raises;
// its runbook is the markdown file beside it. Everything else (report columns, causal order,
// gauges, alert rules and their tests, dashboards, docs) is derived from the registry.
import type { FactKey, NodeFacts } from './facts';
import type { Status } from './model';

/** A finding a check can make: its status and its wording, templated on the values it names. */
// biome-ignore lint/suspicious/noExplicitAny: a catalogue holds findings of different argument types; found() checks each call against its own
export interface FindingSpec<A = any> {
  status: Status;
  summary: (args: A) => string;
  /** What to do, pasteable: every name filled in from `args`, or the command that finds it first. */
  remedy?: (args: A) => string | undefined;
  /**
   * The remedy's commands, one per step, in order: `on: 'node'` runs as root on the node diagnosed,
   * `on: 'cluster'` with kubectl from a workstation. Every value from the host or a report enters a
   * command through shq() (src/remedy/shell.ts); a step that reaches beyond this node says so in the
   * remedy text.
   */
  steps?: (args: A) => FindingStep[] | undefined;
}

/** A step as a finding declares it; the engine fills in the node's name. */
export interface FindingStep {
  on: 'node' | 'cluster';
  run: string;
}

export type Catalogue = Record<string, FindingSpec>;

/** The values a finding's templates take: what its summary and its remedy each ask for. */
type ArgsOf<S> = (S extends { summary: (args: infer A) => string } ? A : never) & (S extends { remedy: (args: infer B) => unknown } ? B : unknown);

/** What an evaluation returns: a finding's code and values, never prose. */
export interface Outcome {
  code: string;
  args: unknown;
  evidence: string[];
  /** Numbers behind the finding, exported as the check's metrics; absent: the metric is absent. */
  measures?: Record<string, number>;
  /** Series with labels of their own (one per BGP peer, say), by metric name; bounded by the check. */
  series?: Record<string, Series[]>;
}

export interface Series {
  labels: Record<string, string>;
  value: number;
}

/**
 * A per-check gauge, label `node`: its value is one of the outcome's measures, or, for a metric
 * with labels of its own, the outcome's series of that name.
 */
export interface MetricSpec {
  name: string;
  help: string;
  measure?: string;
  labels?: readonly string[];
}

/** How an alert reads the series: filled in from the mixin's config (alerts/mixin.ts). */
export interface AlertQuery {
  /** A series selector with the job selector, plus `extra` label matchers. */
  sel(metric: string, extra?: string): string;
  /** `netcheck_check_status{...,check="<id>",status="<status>"} == 1` */
  status(check: string, status: Status): string;
  /** Labels an aggregation or join keeps: the cluster label and node. */
  by: string;
}

export interface AlertSpec {
  /** CamelCase, prefixed Netcheck. */
  name: string;
  severity: 'critical' | 'warning';
  /** Key into the mixin's `for` durations (the config decides how long). */
  for: 'fast' | 'slow' | 'slowest';
  expr(q: AlertQuery): string;
  summary: string;
  /** Templated on the alert's labels ({{ $labels.node }}) and value. */
  description: string;
  /**
   * Series (metric{labels} → a value, or a promtool values expression such as '0+1x60') on a node
   * that fire it, for its promtool test. The first is the series the expression returns: its labels
   * and value are the alert's.
   */
  fires: Record<string, number | string>;
  /** The value the expression returns with those series, when it is not the first series' value (a ratio). */
  testValue?: number;
  /**
   * This alert (with the check's other alerts that say so) fires whenever the check fails, so the
   * generic NetcheckCheckFailing leaves the check to them.
   */
  coversFailure?: boolean;
}

export interface Check<Id extends string = string, C extends Catalogue = Catalogue> {
  id: Id;
  /** What is true when the check passes. */
  title: string;
  /** What it asks, for the README and the docs. */
  question: string;
  /** The column header in `kubectl netcheck nodes`. */
  column: string;
  /** Shown in `nodes` only with -o wide (the table keeps to the checks most incidents turn on). */
  wide?: boolean;
  /**
   * Where it sits among causes: a lower rank explains a higher one (a down NIC, 10, explains a
   * crashing flannel, 80, which explains pods stuck in ContainerCreating). The root cause of a
   * report is its failing check of lowest rank.
   */
  rank: number;
  /**
   * The causal links: the checks whose failure this check's failure explains on the same node (a
   * missing default route explains a missing subnet.env and a CNI that is not ready). Root causes
   * (src/engine.ts) and the Alertmanager inhibitions (alerts/mixin.ts, cause to effect, same node
   * only) are built from these links.
   */
  explains?: readonly string[];
  needs: readonly FactKey[];
  /** The sysctls it reads on the host (under /proc/sys), when it needs the `sysctls` fact. */
  sysctls?: readonly string[];
  /** Facts that cost a request to the API (other nodes, events, logs): fetched only when this says so. */
  fetchWhen?: Partial<Record<FactKey, (facts: NodeFacts) => boolean>>;
  /** Whose view wins when the API view and the agent's view both answer. */
  seenBest: 'host' | 'api' | 'both';
  findings: C;
  evaluate(facts: NodeFacts): Outcome;
  metrics: readonly MetricSpec[];
  alerts: readonly AlertSpec[];
}

/** Declares a check; the types tie each outcome's values to its finding's template. */
export function defineCheck<const Id extends string, C extends Catalogue>(check: Check<Id, C>): Check<Id, C> {
  return check;
}

/** An outcome: `code` is a key of the check's catalogue, `args` the values its templates take. */
export function found<C extends Catalogue, K extends keyof C & string>(_findings: C, code: K, args: ArgsOf<C[K]>, evidence: string[] = [], measures?: Record<string, number>): Outcome {
  return { code, args, evidence, ...(measures ? { measures } : {}) };
}

/** Lines saying which needed facts could not be gathered, and why. */
export function unavailableEvidence(facts: NodeFacts, keys: readonly FactKey[]): string[] {
  return keys.flatMap((k) => (facts.unavailable[k] ? [`${k}: ${facts.unavailable[k]}`] : []));
}
