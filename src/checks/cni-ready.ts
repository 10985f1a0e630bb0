import { type Check, unavailableEvidence } from '../check';
import { cluesOf } from '../clues';
import type { NodeFacts } from '../facts';
import { nodeCni } from '../cni';
import { networkNotReady, nodeCondition, podReady, podRef, podState } from '../kube-objects';
import { type Finding, finding, measured } from '../model';


export const cniReady: Check = {
  id: 'cni-ready',
  title: "The node's CNI is working",
  needs: ['node', 'pods', 'events', 'cniLogs', 'cniConfigFiles'],
  seenBest: 'both',
  evaluate(facts) {
    const f = evaluateCni(facts);
    return f.status === 'ok' || f.status === 'fail' ? measured(f, { ready: f.status === 'ok' ? 1 : 0 }) : f;
  },
};

function evaluateCni(facts: NodeFacts): Finding {
  if (!facts.node && !facts.pods && !facts.host) {
    return finding.unknown('neither the API nor the host could be read', unavailableEvidence(facts, ['node', 'pods']));
  }
  const cni = nodeCni(facts);
  const clues = cluesOf(facts);
  const evidence: string[] = [];
  const problems: string[] = [];

  const network = nodeCondition(facts.node, 'NetworkUnavailable');
  if (network) {
    evidence.push(`node condition NetworkUnavailable=${network.status} (${network.reason ?? ''})`);
    if (network.status === 'True') problems.push(`NetworkUnavailable=True: ${network.message ?? network.reason}`);
  }
  const kubeletSays = networkNotReady(facts.node);
  if (kubeletSays) {
    problems.push(`kubelet: ${kubeletSays}`);
    evidence.push(`node condition Ready=False: ${kubeletSays}`);
  }
  if (cni.agent) {
    const pod = cni.agent.pod;
    evidence.push(`${cni.agent.name} pod ${podRef(pod)}: ${podState(pod)}`);
    if (!podReady(pod)) problems.push(`${cni.agent.name} pod ${podRef(pod)} is not Ready (${podState(pod)})`);
  } else if (facts.pods) {
    if (!cni.kind) problems.push('no CNI agent pod (flannel, calico-node, cilium, ...) runs on this node');
  } else {
    evidence.push(...unavailableEvidence(facts, ['pods']));
  }
  const files = facts.host?.cniConfigFiles;
  if (files) {
    if (files.length === 0) problems.push('no CNI config in /etc/cni/net.d');
    else evidence.push(`/etc/cni/net.d: ${files.join(', ')}`);
  }
  const sandboxFailures = (facts.events ?? []).filter((e) => e.reason === 'FailedCreatePodSandBox');
  if (sandboxFailures.length && !clues.subnetEnvMissing) {
    const count = sandboxFailures.reduce((n, e) => n + (e.count ?? 1), 0);
    evidence.push(`${count} FailedCreatePodSandBox events for pods on this node`);
  }
  for (const key of ['apiUnreachable', 'apiTimeout', 'networkMismatch', 'noDefaultRoute', 'podCidrNotAssigned', 'bgpNotEstablished', 'subnetEnvMissing'] as const) {
    if (clues.evidence[key]) evidence.push(clues.evidence[key]!);
  }

  if (problems.length === 0 && (!facts.pods || (!cni.agent && !files))) {
    return finding.unknown(facts.pods ? 'no CNI agent pod seen on this node' : "the CNI pod's state could not be read", [...evidence, ...unavailableEvidence(facts, ['pods'])]);
  }
  if (problems.length === 0) {
    return finding.ok(`${cni.agent?.name ?? cni.kind} is ready`, evidence);
  }
  const name = cni.agent?.name ?? 'the CNI';
  const restart = cni.agent ? ` then restart it at once: kubectl -n ${cni.agent.pod.metadata?.namespace} delete pod ${cni.agent.pod.metadata?.name}` : '';
  if (clues.apiUnreachable) {
    return finding.fail(
      `${name} cannot reach the API service ${clues.apiUnreachable}: the node has no usable route (primary NIC down or default route missing)`,
      evidence,
      `Bring the node's primary interface up and restore its default route (see default-route),${restart}`,
    );
  }
  if (clues.apiTimeout) {
    return finding.fail(
      `${name} gets no answer from the API service ${clues.apiTimeout}: a route exists but packets are dropped (kube-proxy rules or a host firewall)`,
      evidence,
      `On ${facts.nodeName}: check its kube-proxy pod (kubectl -n kube-system get pods -o wide --field-selector spec.nodeName=${facts.nodeName}) and the host firewall (iptables -S, nft list ruleset) for the service range;${restart}`,
    );
  }
  if (clues.networkMismatch) {
    return finding.fail(`${name} rejects the node's podCIDR: its Network does not contain it`, evidence, `Make flannel's Network contain --cluster-cidr (see cluster-cidr),${restart}`);
  }
  if (clues.noDefaultRoute) {
    return finding.fail(`${name} cannot start: the host has no default route`, evidence, `Restore the default route (see default-route),${restart}`);
  }
  if (clues.podCidrNotAssigned) {
    return finding.fail(`${name} cannot start: the node has no podCIDR`, evidence, `Assign one (see pod-cidr-assigned),${restart}`);
  }
  if (clues.bgpNotEstablished) {
    return finding.fail(`${name} is not ready: BGP not established with ${clues.bgpNotEstablished.join(', ')}`, evidence, 'See bgp-established and node-address for which peer and why.');
  }
  const logs = cni.agent ? `kubectl -n ${cni.agent.pod.metadata?.namespace} logs ${cni.agent.pod.metadata?.name} --previous` : `journalctl -u kubelet on ${facts.nodeName}`;
  return finding.fail(problems[0], evidence, `Read why: ${logs}`);
}
