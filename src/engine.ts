import { unavailableEvidence } from './check';
import { CHECKS } from './checks';
import type { NodeFacts } from './facts';
import { type CheckId, type CheckResult, type NodeReport, nodeReport, severity } from './model';

export type Measures = Partial<Record<CheckId, Record<string, number>>>;

/** Runs every check on one node's facts. A check that throws becomes `unknown`; the rest still run. */
export function evaluateNodeMeasured(facts: NodeFacts): { report: NodeReport; measures: Measures } {
  const measures: Measures = {};
  const results: CheckResult[] = CHECKS.map((check) => {
    try {
      const { measures: values, ...finding } = check.evaluate(facts);
      if (values) measures[check.id] = values;
      // An unknown says why: every needed fact that could not be gathered, with its reason.
      if (finding.status === 'unknown') {
        finding.evidence = [...new Set([...finding.evidence, ...unavailableEvidence(facts, check.needs)])];
      }
      return { id: check.id, ...finding };
    } catch (e) {
      return { id: check.id, status: 'unknown', summary: `could not evaluate: ${(e as Error).message}`, evidence: [] };
    }
  });
  return { report: assemble(facts.nodeName, results), measures };
}

export function evaluateNode(facts: NodeFacts): NodeReport {
  return evaluateNodeMeasured(facts).report;
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
    const seenBest = CHECKS.find((c) => c.id === apiResult.id)!.seenBest;
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

// Causes before symptoms: a down NIC explains a crashing flannel, which explains a missing
// subnet.env, which explains pods stuck in ContainerCreating.
const CAUSAL_ORDER: CheckId[] = [
  'default-route',
  'swap',
  'kubelet-ready',
  'cluster-cidr',
  'pod-cidr-assigned',
  'node-address',
  'bgp-established',
  'flannel-subnet-env',
  'cni-ready',
];

/** The failing check that explains the others: the first failure in causal order. */
export function rootCause(checks: CheckResult[]): CheckResult | undefined {
  for (const id of CAUSAL_ORDER) {
    const result = checks.find((c) => c.id === id && c.status === 'fail');
    if (result) return result;
  }
  return undefined;
}
