// Runs the checks of the registry on one node's facts and assembles the report.

import { CHECKS } from './checks';
import type { Check, Outcome } from './core/check';
import { unavailableEvidence } from './core/check';
import type { NodeFacts } from './core/facts';
import { type CheckId, type CheckResult, type NodeReport, nodeReport, severity } from './core/model';
import { argsOfParams, type Params, paramsOf } from './core/params';
import { VERSION } from './version';

/** What each check measured, for its metrics: named values, and labelled series. */
export type Measures = Partial<Record<CheckId, Pick<Outcome, 'measures' | 'series'>>>;

const BY_ID = new Map<string, Check>(CHECKS.map((c) => [c.id, c]));

/**
 * A check's outcome in words: its finding's status, summary, remedy and steps, from the catalogue.
 * A step `on: 'node'` runs as root on `node`, the node diagnosed.
 */
export function render(check: Check, outcome: Outcome, node: string): CheckResult {
  if (!check.findings[outcome.code]) throw new Error(`${check.id} returned the finding "${outcome.code}", which its catalogue does not have`);
  return { ...renderFinding(check, outcome.code, paramsOf(outcome.args), node), evidence: outcome.evidence };
}

/**
 * A finding in words from its code and params: what the agent does with its own outcome and what
 * the plugin does with a report's, so both say the same. The templates get the params rebuilt
 * (src/core/params.ts) with `node` set to the node diagnosed, whatever the params say.
 */
export function renderFinding(check: Check, code: string, params: Params, node: string): Omit<CheckResult, 'evidence'> {
  const spec = check.findings[code];
  if ('node' in params) params = { ...params, node };
  // Every template may name the node: always the one diagnosed, even where a report left it out.
  const args = { ...argsOfParams(params), node };
  const remedy = spec.remedy?.(args);
  const steps = spec.steps?.(args)?.map((s) => ({ on: s.on === 'node' ? node : 'cluster', run: s.run }));
  return {
    id: check.id,
    status: spec.status,
    summary: spec.summary(args),
    ...(remedy ? { remedy } : {}),
    ...(steps?.length ? { steps } : {}),
    code,
    ...(Object.keys(params).length ? { params } : {}),
  };
}

/** A check as a NodeReport carries it: data only. */
export interface ReportedCheck {
  id: string;
  status: CheckResult['status'];
  code?: string;
  params: Params;
  evidence: string[];
}

/**
 * A check read from an agent's report, in the plugin's own words: its catalogue renders the code
 * and params; nothing the report says in prose is used. A check or code this catalogue does not
 * have (a newer agent), or a report without codes (an agent older than codes), is `unknown`.
 */
export function renderReported(reported: ReportedCheck, node: string, agentVersion: string): CheckResult {
  const check = BY_ID.get(reported.id);
  const unknown = (summary: string): CheckResult => ({ id: reported.id, status: 'unknown', summary, evidence: reported.evidence });
  if (!reported.code && reported.status === 'unknown') return unknown(`agent ${agentVersion} could not evaluate this check`);
  if (!reported.code) return unknown(`agent ${agentVersion} is too old to say what it found in a form kubectl-netcheck ${VERSION} reads (no finding code): upgrade the agent`);
  if (!check || !check.findings[reported.code]) {
    return unknown(`agent ${agentVersion} reports ${check ? `a finding (${reported.code})` : `a check (${reported.id})`} kubectl-netcheck ${VERSION} does not know: upgrade kubectl-netcheck`);
  }
  try {
    const rendered = renderFinding(check, reported.code, reported.params, node);
    // An agent's "could not tell" is said by its evidence; what the plugin advises then comes from
    // its own view (a finding such as notVisible takes its advice as a value: never from a report).
    if (rendered.status === 'unknown') {
      const { remedy: _r, steps: _s, ...rest } = rendered;
      return { ...rest, evidence: reported.evidence };
    }
    return { ...rendered, evidence: reported.evidence };
  } catch {
    // Params that do not fit the finding's templates: the report is not one this catalogue wrote.
    return unknown(`agent ${agentVersion} reports ${reported.code} with values kubectl-netcheck ${VERSION} cannot read: upgrade kubectl-netcheck, or the agent`);
  }
}

/** One check on one node's facts, in words (for tests and tools; reports come from evaluateNode). */
export function evaluateCheck(check: Check, facts: NodeFacts): CheckResult & Pick<Outcome, 'measures'> {
  const outcome = check.evaluate(facts);
  return { ...render(check, outcome, facts.nodeName), ...(outcome.measures ? { measures: outcome.measures } : {}) };
}

/**
 * Runs every check on one node's facts. A check that throws becomes `unknown`; the rest still run.
 * `settled` holds results already known better than these facts could tell (see evaluateWithAgent).
 */
export function evaluateNodeMeasured(facts: NodeFacts, settled?: Map<string, CheckResult>): { report: NodeReport; measures: Measures } {
  const measures: Measures = {};
  const results: CheckResult[] = CHECKS.map((check) => {
    const known = settled?.get(check.id);
    if (known) return known;
    try {
      const outcome = check.evaluate(facts);
      const result = render(check, outcome, facts.nodeName);
      if (outcome.measures || outcome.series) measures[check.id as CheckId] = { measures: outcome.measures, series: outcome.series };
      // An unknown says why: every needed fact that could not be gathered, with its reason.
      if (result.status === 'unknown') result.evidence = [...new Set([...result.evidence, ...unavailableEvidence(facts, check.needs)])];
      return result;
    } catch (e) {
      return { id: check.id as CheckId, status: 'unknown', summary: `could not evaluate: ${(e as Error).message}`, evidence: [] };
    }
  });
  return { report: assemble(facts.nodeName, results), measures };
}

export function evaluateNode(facts: NodeFacts): NodeReport {
  return evaluateNodeMeasured(facts).report;
}

/**
 * The plugin's view of a node joined with its agent's report. Checks the host sees best, which the
 * agent could answer, are taken from the agent without evaluating the API view at all (the merge
 * would discard it): half the work of `nodes` on a cluster where every node reports.
 */
export function evaluateWithAgent(facts: NodeFacts, agent: NodeReport | undefined): NodeReport {
  if (!agent) return evaluateNode(facts);
  const settled = new Map(agent.checks.filter((c) => c.status !== 'unknown' && BY_ID.get(c.id)?.seenBest === 'host').map((c) => [c.id, c]));
  return mergeAgentReport(evaluateNodeMeasured(facts, settled).report, agent);
}

/**
 * Joins the plugin's API view of a node with the agent's host view of it, check by check: the view
 * the check trusts (`seenBest`) wins when it could answer; for checks both views can judge, the worse.
 */
export function mergeAgentReport(api: NodeReport, agent: NodeReport): NodeReport {
  const fromAgent = new Map(agent.checks.map((c) => [c.id, c]));
  const merged = api.checks.map((apiResult): CheckResult => {
    const hostResult = fromAgent.get(apiResult.id);
    if (!hostResult) return apiResult;
    // Neither could tell: the agent's reason (a file it could not read, a finding this plugin is
    // too old to know) says more than the API's "not visible here".
    if (apiResult.status === 'unknown') return hostResult;
    if (hostResult.status === 'unknown') return apiResult;
    const seenBest = BY_ID.get(apiResult.id)?.seenBest ?? 'both';
    if (seenBest === 'host') return hostResult;
    if (seenBest === 'api') return apiResult;
    return severity(hostResult.status) > severity(apiResult.status) ? hostResult : apiResult;
  });
  return assemble(api.node, merged);
}

/** A report from its check results, with the root causes named. */
export function assemble(node: string, checks: CheckResult[]): NodeReport {
  return nodeReport(
    node,
    checks,
    rootCauses(checks).map((c) => c.id),
  );
}

// Causes before symptoms: each check's rank says where it sits (src/core/check.ts).
const RANK = new Map(CHECKS.map((c) => [c.id as string, c.rank]));
const EXPLAINS = new Map(CHECKS.map((c) => [c.id as string, new Set<string>('explains' in c ? (c.explains ?? []) : [])]));

/** A failure that is a risk, not harm now (its finding says `latent`). */
function latent(result: CheckResult): boolean {
  return !!(result.code && BY_ID.get(result.id)?.findings[result.code]?.latent);
}

/**
 * Every independent failure, most urgent first: a failing check explained (`explains`) by another
 * failing check is a symptom, not a cause. Live failures come before latent ones (a full conntrack
 * table dropping connections now before swap that stops the kubelet at its next restart), then
 * causes before symptoms by rank.
 */
export function rootCauses(checks: CheckResult[]): CheckResult[] {
  const failing = checks.filter((c) => c.status === 'fail');
  const explained = (c: CheckResult) => failing.some((o) => o !== c && EXPLAINS.get(o.id)?.has(c.id));
  return failing.filter((c) => !explained(c)).sort((a, b) => Number(latent(a)) - Number(latent(b)) || (RANK.get(a.id) ?? 1000) - (RANK.get(b.id) ?? 1000));
}

/** The failing check to look at first. */
export function rootCause(checks: CheckResult[]): CheckResult | undefined {
  return rootCauses(checks)[0];
}
