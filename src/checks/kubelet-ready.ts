import { type Check, unavailableEvidence } from '../check';
import { formatAge } from '../util/time';
import { networkNotReady, nodeCondition } from '../kube-objects';
import { finding } from '../model';


export const kubeletReady: Check = {
  id: 'kubelet-ready',
  title: 'Kubelet is running and posting status',
  needs: ['node', 'swaps', 'kubeletConfig'],
  seenBest: 'api',
  evaluate(facts) {
    const ready = nodeCondition(facts.node, 'Ready');
    if (!facts.node) return finding.unknown(`node ${facts.nodeName} could not be read`, unavailableEvidence(facts, ['node']));
    if (!ready) return finding.unknown('the node has no Ready condition yet', ['status.conditions has no Ready entry']);
    const heartbeat = ready.lastHeartbeatTime ? formatAge(facts.now - new Date(ready.lastHeartbeatTime).getTime()) : 'unknown';
    // Summaries say what does not change from one cycle to the next (the agent writes its report
    // when a summary changes); ages go in the evidence.
    const since = ready.lastHeartbeatTime ? ` (last heartbeat ${new Date(ready.lastHeartbeatTime).toISOString().replace(/\.\d+Z$/, 'Z')})` : '';
    const evidence = [`node condition Ready=${ready.status} (${ready.reason ?? 'no reason'}: ${ready.message ?? ''}), last heartbeat ${heartbeat} ago`];
    if (ready.status === 'True') return finding.ok('kubelet is Ready and posting status', evidence);
    if (ready.status === 'False') {
      if (networkNotReady(facts.node)) {
        // The kubelet itself is healthy; the network is the cause, and cni-ready reports it.
        return finding.warn('kubelet is posting status; the node is NotReady only because the network plugin is not ready', evidence, 'Fix the CNI (see cni-ready).');
      }
      return finding.fail(`kubelet reports NotReady: ${ready.message ?? ready.reason}`, evidence, `On ${facts.nodeName}: journalctl -u kubelet -n 50 --no-pager`);
    }
    // Unknown: the node lifecycle controller gave up on the kubelet's heartbeats.
    const network = nodeCondition(facts.node, 'NetworkUnavailable');
    if (network?.lastHeartbeatTime) {
      evidence.push(
        `NetworkUnavailable=${network.status} (${network.reason}) was last set ${formatAge(facts.now - new Date(network.lastHeartbeatTime).getTime())} ago by the CNI and may be stale while the kubelet is down`,
      );
    }
    const swaps = facts.host?.swaps;
    const failSwapOn = facts.host?.kubeletConfig?.failSwapOn ?? true;
    if (swaps?.length && failSwapOn) {
      evidence.push(`swap is on (${swaps.map((s) => s.filename).join(', ')}) and the kubelet runs with failSwapOn: true`);
      return finding.fail(
        'kubelet stopped posting node status: it refuses to start with swap on',
        evidence,
        `On ${facts.nodeName}: swapoff -a && systemctl restart kubelet; then make it last (see swap).`,
      );
    }
    return finding.fail(
      `kubelet stopped posting node status${since}`,
      evidence,
      `On ${facts.nodeName}: systemctl status kubelet; journalctl -u kubelet -n 50 --no-pager. ` +
        'A common cause after a reboot is swap turned back on ("running with swap on is not supported"): swapoff -a && systemctl restart kubelet.',
    );
  },
};
