// The plugin does not merge a host view older than the API's symptoms as if it were current.
import { evaluateNode } from '../../src/engine';
import { newestSymptom, unlessPredating } from '../../src/gather/predates';
import { agentView } from '../../src/report/agents';
import { reportObject } from '../../src/report/resource';
import { ago, cniPod, facts, healthyHost, NOW, node } from '../helpers/objects';

const HEARTBEAT = { agentVersion: '0.1.0', heartbeatSeconds: 300, intervalSeconds: 30 };
const agentPod = { metadata: { name: 'netcheck-agent-x7k2p', namespace: 'netcheck', labels: { 'app.kubernetes.io/name': 'netcheck-agent' } }, status: { phase: 'Running' } };

/** A report the agent observed `secondsAgo` ago, of a healthy host. */
function published(secondsAgo: number) {
  const report = evaluateNode(facts({ node: node({ podCIDR: '10.244.1.0/24' }), pods: [cniPod('flannel')], host: healthyHost }));
  return JSON.parse(JSON.stringify(reportObject(report, { ...HEARTBEAT, observedAt: NOW - secondsAgo * 1000 })));
}

/** The flannel pod crash-looping since `secondsAgo`. */
function crashing(secondsAgo: number) {
  const pod = cniPod('flannel', { ready: false, waiting: 'CrashLoopBackOff', restarts: 5 });
  pod.status!.conditions = [{ type: 'Ready', status: 'False', lastTransitionTime: ago(secondsAgo) }];
  pod.status!.containerStatuses![0].lastState = { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(secondsAgo - 5) } };
  return pod;
}

describe("an agent's view older than the API's symptoms", () => {
  test('a fresh report from before the CNI pod began failing is not used: unknown, saying both times', () => {
    const object = published(120);
    const view = agentView('n1', 'netcheck', { object }, agentPod as never, NOW);
    expect(view.report).toBeDefined(); // fresh by its heartbeat
    const symptom = newestSymptom(node({ podCIDR: '10.244.1.0/24' }), [crashing(60)], []);
    expect(symptom?.what).toBe('flannel pod kube-flannel/kube-flannel-ds-abcde restarted (Error)');
    const judged = unlessPredating(view, object, 'n1', symptom);
    expect(judged.report).toBeUndefined();
    expect(judged.unavailable).toBe(
      "agent's view from 2026-11-23T11:58:00Z predates the API's symptoms since 2026-11-23T11:59:05Z (flannel pod kube-flannel/kube-flannel-ds-abcde restarted (Error)): the agent has not reported since the trouble began",
    );
    expect(judged.remedy).toBe('See whether the agent on n1 reaches the API server, and why it has not reported since: kubectl -n netcheck logs netcheck-agent-x7k2p');
  });

  test('a report observed after the symptoms began is the current view', () => {
    const object = published(30);
    const view = agentView('n1', 'netcheck', { object }, agentPod as never, NOW);
    expect(unlessPredating(view, object, 'n1', newestSymptom(node(), [crashing(600)], [])).report).toBeDefined();
  });

  test('within the clock skew allowed, and with no symptom at all, the report is used', () => {
    const object = published(60);
    const view = agentView('n1', 'netcheck', { object }, agentPod as never, NOW);
    expect(unlessPredating(view, object, 'n1', { at: NOW - 55_000, what: 'x' }).report).toBeDefined();
    expect(unlessPredating(view, object, 'n1', newestSymptom(node(), [cniPod('flannel')], [])).report).toBeDefined();
  });

  test('the node going NotReady and the newest Warning event are symptoms too', () => {
    const n = node({ ready: 'False' });
    n.status!.conditions![1].lastTransitionTime = ago(30);
    expect(newestSymptom(n, [], [])).toEqual({ at: NOW - 30_000, what: 'node condition Ready=False' });
    const event = { metadata: {}, involvedObject: { kind: 'Pod', name: 'web-1' }, reason: 'FailedCreatePodSandBox', lastTimestamp: ago(10), type: 'Warning' };
    expect(newestSymptom(n, [], [event as never])).toEqual({ at: NOW - 10_000, what: 'FailedCreatePodSandBox event on Pod web-1' });
  });
});
