// The Node condition the agent sets with deploy/components/node-condition: `NetcheckPodNetwork`,
// False with the root cause as reason and message, the way node-problem-detector sets its own.
// The kubelet's NetworkReady gates only a node's first Ready, and Calico sets NetworkUnavailable
// only at start: without this a node stays Ready while its pod network is dead.
import type { NodeReport } from '../core/model';

export const CONDITION_TYPE = 'NetcheckPodNetwork';

export interface NodeConditionValue {
  type: typeof CONDITION_TYPE;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** A check id in CamelCase (default-route becomes DefaultRoute): a condition reason is CamelCase. */
const camel = (id: string) => id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

export function podNetworkCondition(report: NodeReport): NodeConditionValue {
  const cause = report.rootCause ? report.checks.find((c) => c.id === report.rootCause) : undefined;
  if (report.status === 'fail' && cause) {
    return { type: CONDITION_TYPE, status: 'False', reason: camel(cause.id), message: `${cause.id}: ${cause.summary}`.slice(0, 1024) };
  }
  if (report.status === 'fail') return { type: CONDITION_TYPE, status: 'False', reason: 'CheckFailing', message: 'a netcheck check fails: kubectl netcheck node' };
  return { type: CONDITION_TYPE, status: 'True', reason: 'PodNetworkHealthy', message: 'every netcheck check that applies passes or cannot tell' };
}
