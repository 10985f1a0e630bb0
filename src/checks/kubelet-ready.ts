import { defineCheck, found, onCluster, onNode, unavailableEvidence } from '../core/check';
import { networkNotReady, nodeCondition } from '../kube/objects';
import { formatAge } from '../util/time';

const at = (time: Date | string) => new Date(time).toISOString().replace(/\.\d+Z$/, 'Z');
const since = (a: { since?: string }) => (a.since ? ` (last heartbeat ${a.since})` : '');
const JOURNAL = 'journalctl -u kubelet -n 50 --no-pager';

const findings = {
  ready: { status: 'ok', summary: () => 'kubelet is Ready and posting status' },
  networkOnly: {
    status: 'warn',
    summary: () => 'kubelet is posting status; the node is NotReady only because the network plugin is not ready',
    remedy: () => 'Fix the CNI (see cni-ready).',
  },
  notReady: {
    status: 'fail',
    summary: (a: { node: string; message: string }) => `kubelet reports NotReady: ${a.message}`,
    remedy: (a: { node: string }) => `See what the kubelet on ${a.node} says.`,
    steps: () => [onNode(JOURNAL)],
  },
  swapStopped: {
    status: 'fail',
    summary: () => 'kubelet stopped posting node status: it refuses to start with swap on',
    remedy: () => 'Turn swap off and start the kubelet again; then keep swap off across reboots (see swap).',
    steps: () => [onNode('swapoff -a'), onNode('systemctl restart kubelet')],
  },
  stopped: {
    status: 'fail',
    summary: (a: { since?: string }) => `kubelet stopped posting node status${since(a)}`,
    remedy: (a: { node: string }) =>
      `See why the kubelet on ${a.node} stopped. After a reboot, swap turned back on is a common cause: the last step finds the kubelet's words for it; if it does, turn swap off and start the kubelet (see swap).`,
    steps: () => [onNode('systemctl status kubelet --no-pager'), onNode(JOURNAL), onNode("journalctl -u kubelet --no-pager | grep -m1 'swap on is not supported'")],
  },
  stoppedCordoned: {
    status: 'warn',
    summary: (a: { since?: string }) => `kubelet stopped posting node status${since(a)} on a cordoned node (drained for maintenance?)`,
    remedy: (a: { node: string }) => `If the maintenance is over: start the kubelet on ${a.node}, then uncordon it.`,
    steps: (a: { node: string }) => [onNode('systemctl start kubelet'), onCluster(`kubectl uncordon ${a.node}`)],
  },
  noCondition: { status: 'unknown', summary: () => 'the node has no Ready condition yet' },
  nodeUnreadable: { status: 'unknown', summary: (a: { node: string }) => `node ${a.node} could not be read` },
} as const;

export const kubeletReady = defineCheck({
  id: 'kubelet-ready',
  title: 'Kubelet is running and posting status',
  question: 'Is the kubelet running and posting status (Ready condition, heartbeat age)?',
  column: 'KUBELET',
  rank: 30,
  // A kubelet that stopped posting status leaves the node's CNI pod and NetworkReady unjudged.
  explains: ['cni-ready'],
  needs: ['node', 'swaps', 'kubeletConfig'],
  seenBest: 'api',
  findings,
  evaluate(facts) {
    const node = facts.nodeName;
    if (!facts.node) return found(findings, 'nodeUnreadable', { node }, unavailableEvidence(facts, ['node']));
    const ready = nodeCondition(facts.node, 'Ready');
    if (!ready) return found(findings, 'noCondition', {}, ['status.conditions has no Ready entry']);
    // Summaries say what does not change from one cycle to the next (the agent writes its report
    // when a summary changes); ages go in the evidence.
    const heartbeat = ready.lastHeartbeatTime ? formatAge(facts.now - new Date(ready.lastHeartbeatTime).getTime()) : 'unknown';
    const since = ready.lastHeartbeatTime ? at(ready.lastHeartbeatTime) : undefined;
    const evidence = [`node condition Ready=${ready.status} (${ready.reason ?? 'no reason'}: ${ready.message ?? ''}), last heartbeat ${heartbeat} ago`];
    if (ready.status === 'True') return found(findings, 'ready', {}, evidence);
    if (ready.status === 'False') {
      // The kubelet itself is healthy; the network is the cause, and cni-ready reports it.
      if (networkNotReady(facts.node)) return found(findings, 'networkOnly', {}, evidence);
      return found(findings, 'notReady', { node, message: ready.message ?? ready.reason ?? 'no message' }, evidence);
    }
    // Unknown: the node lifecycle controller gave up on the kubelet's heartbeats.
    const network = nodeCondition(facts.node, 'NetworkUnavailable');
    if (network?.lastHeartbeatTime) {
      evidence.push(
        `NetworkUnavailable=${network.status} (${network.reason}) was last set ${formatAge(facts.now - new Date(network.lastHeartbeatTime).getTime())} ago by the CNI and may be stale while the kubelet is down`,
      );
    }
    const swaps = facts.host?.swaps;
    if (swaps?.length && (facts.host?.kubeletConfig?.failSwapOn ?? true)) {
      evidence.push(`swap is on (${swaps.map((s) => s.filename).join(', ')}) and the kubelet runs with failSwapOn: true`);
      return found(findings, 'swapStopped', { node }, evidence);
    }
    if (facts.node.spec?.unschedulable) {
      evidence.push('the node is cordoned (spec.unschedulable: true)');
      return found(findings, 'stoppedCordoned', { node, since }, evidence);
    }
    return found(findings, 'stopped', { node, since }, evidence);
  },
  metrics: [],
  // kube-prometheus's KubeNodeNotReady already covers this; netcheck's generic NetcheckCheckFailing
  // covers it too, and mutes KubeNodeNotReady on its node (alerts/alertmanager.yml).
  alerts: [],
});
