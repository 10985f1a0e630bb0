// Whether an agent's report is older than the trouble the API shows. An agent that cannot reach the
// API (the outage it exists for) keeps its last report, written before the trouble: fresh by its
// heartbeat, yet a view of a healthy host. The plugin does not merge such a view as if it were
// current: when the API shows the node's trouble began after the report was observed, the host
// checks are unknown, saying both times.
//
// The API's symptoms, each with when it began: the node's NetworkUnavailable=True or Ready not True
// (lastTransitionTime), a CNI agent pod not Ready (its Ready condition's lastTransitionTime) or
// restarted (its last termination's finishedAt), and the newest Warning event about the node or its
// pods. A symptom counts only when it began more than CLOCK_SKEW_MS after the report was observed:
// the agent's clock and the API server's need not agree to the second.
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import { cniAgent } from '../cni/cni';
import { nodeCondition } from '../kube/objects';
import type { AgentView } from '../report/agents';
import { readReportObject } from '../report/resource';
import { eventTime } from './shared';

export const CLOCK_SKEW_MS = 10_000;

export interface Symptom {
  at: number;
  what: string;
}

const time = (t: unknown): number => {
  const ms = t ? new Date(t as string).getTime() : Number.NaN;
  return Number.isFinite(ms) ? ms : 0;
};

/** The newest sign of trouble the API shows for this node, if any. */
export function newestSymptom(node: V1Node | undefined, pods: V1Pod[] | undefined, events: CoreV1Event[] | undefined): Symptom | undefined {
  const symptoms: Symptom[] = [];
  const network = nodeCondition(node, 'NetworkUnavailable');
  if (network?.status === 'True') symptoms.push({ at: time(network.lastTransitionTime), what: 'node condition NetworkUnavailable=True' });
  const ready = nodeCondition(node, 'Ready');
  if (ready && ready.status !== 'True') symptoms.push({ at: time(ready.lastTransitionTime), what: `node condition Ready=${ready.status}` });
  const cni = cniAgent(pods);
  if (cni) {
    const pod = cni.pod;
    const podReady = pod.status?.conditions?.find((c) => c.type === 'Ready');
    if (podReady && podReady.status !== 'True') symptoms.push({ at: time(podReady.lastTransitionTime), what: `${cni.name} pod ${pod.metadata?.namespace}/${pod.metadata?.name} not Ready` });
    for (const s of pod.status?.containerStatuses ?? []) {
      const finished = s.lastState?.terminated?.finishedAt;
      if (finished) symptoms.push({ at: time(finished), what: `${cni.name} pod ${pod.metadata?.namespace}/${pod.metadata?.name} restarted (${s.lastState?.terminated?.reason ?? 'terminated'})` });
    }
  }
  const newestEvent = (events ?? []).map((e) => ({ e, at: eventTime(e) })).sort((a, b) => b.at - a.at)[0];
  if (newestEvent?.at)
    symptoms.push({
      at: newestEvent.at,
      what: `${newestEvent.e.reason ?? 'Warning'} event on ${newestEvent.e.involvedObject?.kind ?? ''} ${newestEvent.e.involvedObject?.name ?? ''}`.replace(/\s+/g, ' ').trim(),
    });
  return symptoms.filter((s) => s.at > 0).sort((a, b) => b.at - a.at)[0];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * The agent's view, unless it predates the API's symptoms: then no report, and why (its host
 * checks turn unknown). Freshness by heartbeat is agentView's (src/report/agents.ts); this only
 * looks at a report agentView found fresh.
 */
export function unlessPredating(view: AgentView, object: unknown, nodeName: string, symptom: Symptom | undefined): AgentView {
  if (!view.report || !symptom || !object) return view;
  let observedAt: number;
  try {
    observedAt = readReportObject(object, nodeName).observedAt;
  } catch {
    return view;
  }
  if (symptom.at <= observedAt + CLOCK_SKEW_MS) return view;
  const pod = /^agent (\S+)\/(\S+) /.exec(view.source ?? '');
  const logs = pod && pod[2] !== '(pod' ? `kubectl -n ${pod[1]} logs ${pod[2]}` : `kubectl get nodereport ${nodeName} -o yaml`;
  return {
    unavailable: `agent's view from ${iso(observedAt)} predates the API's symptoms since ${iso(symptom.at)} (${symptom.what}): the agent has not reported since the trouble began`,
    remedy: `See whether the agent on ${nodeName} reaches the API server, and why it has not reported since: ${logs}`,
  };
}
