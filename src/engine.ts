// Runs the checks of the registry on one node's facts and assembles the report.

import { CHECKS } from './checks';
import type { Check, Outcome } from './core/check';
import { unavailableEvidence } from './core/check';
import type { NodeFacts } from './core/facts';
import { type CheckId, type CheckResult, type NodeReport, nodeReport, severity } from './core/model';

/** What each check measured, for its metrics: named values, and labelled series. */
export type Measures = Partial<Record<CheckId, Pick<Outcome, 'measures' | 'series'>>>;

const BY_ID = new Map<string, Check>(CHECKS.map((c) => [c.id, c]));

/**
 * A check's outcome in words: its finding's status, summary, remedy and steps, from the catalogue.
 * A step `on: 'node'` runs as root on `node`, the node diagnosed.
 */
export function render(check: Check, outcome: Outcome, node: string): CheckResult {
  const spec = check.findings[outcome.code];
  if (!spec) throw new Error(`${check.id} returned the finding "${outcome.code}", which its catalogue does not have`);
  const remedy = spec.remedy?.(outcome.args);
  const steps = spec.steps?.(outcome.args)?.map((s) => ({ on: s.on === 'node' ? node : 'cluster', run: s.run }));
  return {
    id: check.id,
    status: spec.status,
    summary: spec.summary(outcome.args),
    evidence: outcome.evidence,
    ...(remedy ? { remedy } : {}),
    ...(steps?.length ? { steps } : {}),
    code: outcome.code,
  };
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
    if (!hostResult || hostResult.status === 'unknown') return apiResult;
    if (apiResult.status === 'unknown') return hostResult;
    const seenBest = BY_ID.get(apiResult.id)?.seenBest ?? 'both';
    if (seenBest === 'host') return hostResult;
    if (seenBest === 'api') return apiResult;
    return severity(hostResult.status) > severity(apiResult.status) ? hostResult : apiResult;
  });
  return assemble(api.node, merged);
}

/** A report from its check results, with the root cause named. */
export function assemble(node: string, checks: CheckResult[]): NodeReport {
  return nodeReport(node, checks, rootCause(checks)?.id);
}

// Causes before symptoms: each check's rank says where it sits (src/core/check.ts).
const CAUSAL_ORDER = [...CHECKS].sort((a, b) => a.rank - b.rank).map((c) => c.id);

/** The failing check that explains the others: the failure of lowest rank. */
export function rootCause(checks: CheckResult[]): CheckResult | undefined {
  for (const id of CAUSAL_ORDER) {
    const result = checks.find((c) => c.id === id && c.status === 'fail');
    if (result) return result;
  }
  return undefined;
}
