import { type Check, hostFactRemedy, unavailableEvidence } from '../check';
import { contains, parseCidr, sameCidr } from '../cidr';
import { cluesOf } from '../clues';
import { usableDefaultRoute } from '../host-network';
import { nodeCni } from '../cni';
import { podCIDRs, podReady, podRef } from '../kube-objects';
import { finding, measured } from '../model';

export const flannelSubnetEnv: Check = {
  id: 'flannel-subnet-env',
  title: '/run/flannel/subnet.env is present and consistent',
  needs: ['pods', 'events', 'subnetEnv', 'flannel', 'agent'],
  seenBest: 'host',
  evaluate(facts) {
    const cni = nodeCni(facts);
    if (cni.kind && cni.kind !== 'flannel') return finding.skip(`not a flannel node (${cni.agent?.name ?? cni.kind})`);
    if (!cni.kind) return finding.unknown('could not tell which CNI runs on this node', unavailableEvidence(facts, ['pods']));
    const clues = cluesOf(facts);
    const restart = cni.agent ? `kubectl -n ${cni.agent.pod.metadata?.namespace} delete pod ${cni.agent.pod.metadata?.name}` : 'restart the flannel pod on this node';
    // flanneld writes subnet.env only after it has leased the node's subnet through the API, so a
    // node that cannot reach the API (NIC down, no route, no podCIDR) never gets the file.
    const noRouteOnHost = facts.host?.routes !== undefined && !usableDefaultRoute(facts.host);
    const cause = clues.apiUnreachable
      ? `flannel cannot reach the API service ${clues.apiUnreachable} (see default-route)`
      : noRouteOnHost
        ? 'the host has no usable default route, so flannel cannot reach the API service (see default-route)'
      : clues.noDefaultRoute
        ? 'flannel finds no default route (see default-route)'
        : clues.podCidrNotAssigned
          ? 'the node has no podCIDR (see pod-cidr-assigned)'
          : undefined;
    const causeEvidence = [clues.evidence.apiUnreachable, clues.evidence.noDefaultRoute, clues.evidence.podCidrNotAssigned].filter((e): e is string => !!e);
    const missingRemedy = `${cause ? `Fix the cause first: ${cause}; then ` : ''}${restart} so flanneld rewrites the file; pods stuck in ContainerCreating recover by themselves.`;

    const host = facts.host;
    if (host && host.subnetEnv !== undefined) {
      if (host.subnetEnv === null) {
        const evidence = [`${facts.agent ?? 'host'}: /run/flannel/subnet.env does not exist`, ...causeEvidence];
        if (clues.evidence.subnetEnvMissing) evidence.push(clues.evidence.subnetEnvMissing);
        return measured(finding.fail(`/run/flannel/subnet.env is missing${cause ? `: ${cause}` : ''}`, evidence, missingRemedy), { present: 0 });
      }
      const env = host.subnetEnv;
      const evidence = [`/run/flannel/subnet.env: FLANNEL_NETWORK=${env.network ?? '(unset)'} FLANNEL_SUBNET=${env.subnet}`];
      const problems: string[] = [];
      const nodeCidr = podCIDRs(facts.node)[0];
      if (nodeCidr) {
        if (!contains(parseCidr(nodeCidr), parseCidr(env.subnet))) problems.push(`FLANNEL_SUBNET ${env.subnet} is not inside the node's podCIDR ${nodeCidr}`);
        else evidence.push(`inside the node's podCIDR ${nodeCidr}`);
      }
      const network = facts.cluster?.flannel?.network;
      if (network && env.network && !sameCidr(parseCidr(network), parseCidr(env.network))) {
        problems.push(`FLANNEL_NETWORK ${env.network} differs from net-conf.json Network ${network}`);
      }
      if (problems.length) {
        return measured(finding.fail(`subnet.env is stale: ${problems[0]}`, [...evidence, ...problems], `${restart} so flanneld rewrites it from the current lease.`), { present: 1 });
      }
      return measured(finding.ok(`present, FLANNEL_SUBNET=${env.subnet}`, evidence), { present: 1 });
    }
    if (host && facts.unavailable.subnetEnv) {
      return finding.unknown('subnet.env could not be read on the host', unavailableEvidence(facts, ['subnetEnv']));
    }
    // No agent: infer from what the API shows.
    if (clues.subnetEnvMissing) {
      return measured(
        finding.fail(`/run/flannel/subnet.env is missing: pod sandboxes fail${cause ? `; ${cause}` : ''}`, [clues.evidence.subnetEnvMissing!, ...causeEvidence], missingRemedy),
        { present: 0 },
      );
    }
    if (cni.agent && podReady(cni.agent.pod)) {
      return finding.ok('present (inferred: flanneld is Ready, and it writes the file before it becomes Ready)', [`${podRef(cni.agent.pod)} is Ready`]);
    }
    return finding.unknown(`flannel is not Ready${cause ? `: ${cause}` : ''}; subnet.env itself is not visible through the API`, causeEvidence, hostFactRemedy(facts));
  },
};
