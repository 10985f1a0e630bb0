import { type Check, unavailableEvidence } from '../check';
import { contains, firstFreeSubnet, parseCidr } from '../cidr';
import { cluesOf } from '../clues';
import { KCM_MANIFEST, allocatesNodeCidrs, nodeCidrMaskSize, podNetworkClaims } from '../cluster-network';
import { nodeCni } from '../cni';
import type { NodeFacts } from '../facts';
import { podCIDRs } from '../kube-objects';
import { type Finding, finding, measured } from '../model';
import { peerIndex } from '../peers';

function patchCommand(node: string, cidr: string): string {
  return `kubectl patch node ${node} -p '{"spec":{"podCIDR":"${cidr}","podCIDRs":["${cidr}"]}}'`;
}

/** The remedy for a node without podCIDR: a free subnet now, and the controller-manager fix that lasts. */
function assignRemedy(facts: NodeFacts, pool: string | undefined, lastingCidr: string | undefined): string {
  const peers = facts.cluster?.peers;
  let now: string;
  if (pool && peers) {
    const cidr = parseCidr(pool);
    const taken = peerIndex(peers).podCidrs();
    const free = firstFreeSubnet(cidr, nodeCidrMaskSize(facts.cluster, cidr.bits === 128), taken);
    now = free
      ? `Now: ${patchCommand(facts.nodeName, free)} (the first /${nodeCidrMaskSize(facts.cluster, cidr.bits === 128)} in ${pool} no other node uses)`
      : `${pool} has no free /${nodeCidrMaskSize(facts.cluster, cidr.bits === 128)} left: widen the cluster CIDR or shrink --node-cidr-mask-size`;
  } else {
    now = `Now: ${patchCommand(facts.nodeName, '<a /24 inside the pod network that no node uses>')} (list used ones: kubectl get nodes -o custom-columns=NAME:.metadata.name,CIDR:.spec.podCIDR)`;
  }
  const network = lastingCidr ?? '<pod network CIDR>';
  return `${now}. Lasting: set --allocate-node-cidrs=true and --cluster-cidr=${network} in ${KCM_MANIFEST} on every control-plane node (kubeadm: networking.podSubnet, i.e. kubeadm init --pod-network-cidr=${network}).`;
}

export const podCidrAssigned: Check = {
  id: 'pod-cidr-assigned',
  title: 'The node has a podCIDR inside the cluster CIDR, overlapping no other node',
  needs: ['node', 'controllerManager', 'kubeadm', 'flannel', 'peers'],
  seenBest: 'api',
  evaluate(facts) {
    const f = evaluateAssignment(facts);
    return f.status === 'skip' || f.status === 'unknown' ? f : measured(f, { assigned: podCIDRs(facts.node).length ? 1 : 0 });
  },
};

function evaluateAssignment(facts: NodeFacts): Finding {
  if (!facts.node) return finding.unknown(`node ${facts.nodeName} could not be read`, unavailableEvidence(facts, ['node']));
  const cidrs = podCIDRs(facts.node);
  const claims = podNetworkClaims(facts.cluster);
  const allocates = allocatesNodeCidrs(facts.cluster);
  const kcm = facts.cluster?.controllerManager;
  const clusterCidr = claims.find((c) => c.who.startsWith('kube-controller-manager'))?.cidr;
  const flannelNetwork = facts.cluster?.flannel?.network;

  if (cidrs.length === 0) {
    if (nodeCni(facts).kind === 'calico' && allocates !== true) {
      return finding.skip('Calico IPAM assigns pod addresses from its IPPools; node podCIDRs are not used');
    }
    const evidence = ['spec.podCIDR is empty'];
    const clues = cluesOf(facts);
    if (clues.evidence.podCidrNotAssigned) evidence.push(clues.evidence.podCidrNotAssigned);
    let cause: string;
    if (kcm) {
      evidence.push(`kube-controller-manager flags (${kcm.source}): --allocate-node-cidrs=${kcm.flags['allocate-node-cidrs'] ?? '(unset)'} --cluster-cidr=${kcm.flags['cluster-cidr'] ?? '(unset)'}`);
      if (allocates !== true) {
        cause = 'kube-controller-manager does not allocate node CIDRs (--allocate-node-cidrs is not true)';
        // kubeadm turns --pod-network-cidr into exactly these two flags.
        if (!clusterCidr && /\/etc\/kubernetes\//.test(kcm.flags.kubeconfig ?? '')) cause += '; kubeadm init ran without --pod-network-cidr';
      } else if (!clusterCidr) cause = 'kube-controller-manager allocates node CIDRs but has no --cluster-cidr';
      else cause = `kube-controller-manager allocates from ${clusterCidr} but has not given this node one`;
    } else {
      evidence.push(...unavailableEvidence(facts, ['controllerManager']));
      cause = 'no controller-manager has assigned one';
    }
    const kubeadm = facts.cluster?.kubeadm;
    if (kubeadm) {
      evidence.push(`kubeadm-config networking.podSubnet: ${kubeadm.podSubnet ?? '(unset)'}`);
      if (!kubeadm.podSubnet && !cause.includes('kubeadm')) cause += '; kubeadm init ran without --pod-network-cidr';
    }
    if (flannelNetwork) {
      evidence.push(`flannel Network: ${flannelNetwork}`);
      if (clusterCidr && !contains(parseCidr(flannelNetwork), parseCidr(clusterCidr))) {
        cause += `; flannel's Network ${flannelNetwork} differs from --cluster-cidr ${clusterCidr}`;
      }
    }
    const pool = clusterCidr ?? kubeadm?.podSubnet ?? flannelNetwork;
    return finding.fail(`no podCIDR assigned: ${cause}`, evidence, assignRemedy(facts, pool, flannelNetwork ?? pool));
  }

  const evidence = [`spec.podCIDRs: ${cidrs.join(', ')}`];
  const problems: string[] = [];
  // Inside the controller-manager's --cluster-cidr and inside flannel's Network: flannel refuses
  // a lease for a podCIDR its Network does not contain.
  const pools = [
    { who: '--cluster-cidr', cidr: clusterCidr },
    { who: "flannel's Network", cidr: flannelNetwork },
  ].filter((p): p is { who: string; cidr: string } => !!p.cidr);
  for (const pool of pools) {
    const outside = cidrs.filter((c) => parseCidr(c).bits === parseCidr(pool.cidr).bits && !contains(parseCidr(pool.cidr), parseCidr(c)));
    if (outside.length) problems.push(`${outside.join(', ')} is outside ${pool.who} ${pool.cidr}`);
    else evidence.push(`inside ${pool.who} ${pool.cidr}`);
  }
  const peers = facts.cluster?.peers && peerIndex(facts.cluster.peers);
  if (peers) {
    const clashes = cidrs.flatMap((c) => peers.overlapping(parseCidr(c))).filter((p) => p.name !== facts.nodeName);
    for (const p of clashes) problems.push(`${p.cidr} of node ${p.name} overlaps ${cidrs.join(', ')}`);
    if (!clashes.length) evidence.push(`overlaps none of the other ${peers.count - 1} nodes' podCIDRs`);
  } else {
    evidence.push('not compared with other nodes (run kubectl netcheck nodes for overlaps)');
  }
  if (problems.length) {
    return finding.fail(
      `podCIDR ${problems[0]}`,
      [...evidence, ...problems],
      `A podCIDR cannot be changed in place: kubectl drain ${facts.nodeName} --ignore-daemonsets && kubectl delete node ${facts.nodeName}, then restart the kubelet on it so it registers again and gets a fresh podCIDR.`,
    );
  }
  return finding.ok(`podCIDR ${cidrs.join(', ')}`, evidence);
}
