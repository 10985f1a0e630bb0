import { allocatesNodeCidrs, KCM_MANIFEST, nodeCidrMaskSize, podNetworkClaims } from '../cni/cluster-network';
import { nodeCni, usesPodCidr } from '../cni/cni';
import { type Platform, platformOf } from '../cni/platform';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { cluesOf } from '../kube/clues';
import { podCIDRs } from '../kube/objects';
import { peerIndex } from '../kube/peers';
import { shq, word } from '../remedy/shell';
import { contains, firstFreeSubnet, parseCidr } from '../util/cidr';

interface Unassigned {
  node: string;
  cause: string;
  /** A block no node uses, when the pool and the other nodes are known. */
  free?: string;
  mask: number;
  pool?: string;
  /** The pool is full. */
  exhausted: boolean;
  /** The controller-manager already allocates from a --cluster-cidr: the lasting fix is in place. */
  allocating: boolean;
  /** The network to declare for the lasting fix, when the cluster says which. */
  network?: string;
  /** The controller-manager pod, for its log. */
  kcmPod?: string;
}

const patch = (node: string, cidr: string) => `kubectl patch node ${node} -p ${shq(JSON.stringify({ spec: { podCIDR: cidr, podCIDRs: [cidr] } }))}`;
const LIST_USED = 'kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR';
const FIND_NETWORK = "kubectl -n kube-system get cm kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' | grep podSubnet";

/** The steps of the fix: the patch when a free block is known; the controller-manager's log when it allocates. */
function assignSteps(a: Unassigned): FindingStep[] {
  const steps: FindingStep[] = [];
  if (a.free) steps.push({ on: 'cluster', run: patch(a.node, a.free) });
  else if (!a.exhausted) steps.push({ on: 'cluster', run: LIST_USED });
  if (a.allocating)
    steps.push({ on: 'cluster', run: a.kcmPod ? `kubectl -n kube-system logs ${shq(a.kcmPod)} | grep -i cidr` : 'kubectl -n kube-system logs -l component=kube-controller-manager | grep -i cidr' });
  return steps;
}

interface OnPlatform {
  node: string;
  platform: string;
  cause: string;
  /** The platform's own fix, and the command that starts it. */
  fix: string;
  run: string;
}

/** Where a platform's podCIDRs come from, and what to do when a node has none: never a manifest that is not there. */
function platformFix(p: Platform, node: string): { cause: string; fix: string; run: string } {
  switch (p.id) {
    case 'gke': {
      const run =
        p.instance && p.zone && p.project && [p.instance, p.zone, p.project].every((v) => /^[a-z0-9][a-z0-9:.-]{0,62}$/.test(v))
          ? `gcloud compute instances describe ${p.instance} --zone ${p.zone} --project ${p.project} --format='value(metadata.items.cluster-name)'`
          : `kubectl get node ${node} -o jsonpath='{.spec.providerID}'`;
      return {
        cause: "GKE assigns a node's podCIDR from the cluster's Pod secondary range when it creates the node: the range is exhausted (or the node pool's range is)",
        fix: `Find the cluster (${run}), then give it more Pod addresses: gcloud container clusters update with --additional-pod-ipv4-ranges (discontiguous multi-Pod CIDR), or a new node pool with its own --pod-ipv4-range; then replace this node (its node pool recreates it).`,
        run,
      };
    }
    case 'aks': {
      // The resource group comes from the Node: quoted, and only when it looks like one.
      const rg = p.resourceGroup && /^[\w.()-]{1,90}$/.test(p.resourceGroup) ? p.resourceGroup : undefined;
      const run = rg
        ? `az aks list --query ${shq(`[?nodeResourceGroup=='${rg}'].{name:name,resourceGroup:resourceGroup,podCidr:networkProfile.podCidr}`)} -o table`
        : "az aks list --query '[].{name:name,resourceGroup:resourceGroup,nodeResourceGroup:nodeResourceGroup,podCidr:networkProfile.podCidr}' -o table";
      return {
        cause: "AKS (kubenet, Azure CNI overlay) assigns a node's podCIDR from the cluster's --pod-cidr: the range is exhausted",
        fix: `See the cluster's pod CIDR and size (az aks list -o table; az aks show --query networkProfile), then scale down, or move to a cluster with a larger --pod-cidr; AKS replaces a node you delete (kubectl delete node ${node}) with one that gets a podCIDR.`,
        run,
      };
    }
    case 'k3s':
    case 'rke2':
      return {
        cause: `${p.name} allocates podCIDRs from its server's --cluster-cidr (default 10.42.0.0/16): it is exhausted or the server has not given this node one`,
        fix: `On a server node: check cluster-cidr and the node mask size in /etc/rancher/${p.id}/config.yaml and the server's log (journalctl -u ${p.id === 'k3s' ? 'k3s' : 'rke2-server'} | grep -i cidr); restart ${p.id === 'k3s' ? 'k3s-agent' : 'rke2-agent'} on ${node} after a fix.`,
        run: `journalctl -u ${shq(p.id === 'k3s' ? 'k3s' : 'rke2-server')} --no-pager | grep -i cidr`,
      };
    default:
      return {
        cause: `${p.name} runs the controller-manager: this node was given no podCIDR`,
        fix: `The ${p.name} control plane assigns podCIDRs; see its documentation for the pod network range, and replace this node (kubectl delete node ${node}).`,
        run: `kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR`,
      };
  }
}

/** A free subnet now, and the controller-manager fix that lasts (unless it is already in place). */
function assign(a: Unassigned): string {
  let now: string;
  if (a.free) now = `Now: ${patch(a.node, a.free)} (the first /${a.mask} in ${a.pool} that no other node uses)`;
  else if (a.exhausted) now = `${a.pool} has no free /${a.mask} left: widen the cluster CIDR or raise --node-cidr-mask-size`;
  else now = `Find a /${a.mask} of the pod network that no node uses (${LIST_USED}; the network: ${FIND_NETWORK}), then: kubectl patch node ${a.node} -p with spec.podCIDR and spec.podCIDRs set to it`;
  if (a.allocating) {
    return `${now}. The controller-manager already allocates from ${word(a.pool, 'its --cluster-cidr')}; see why it skipped ${a.node} in its log (the last step).`;
  }
  const network = a.network ?? 'the pod network your CNI uses (its config names it)';
  return `${now}. Lasting: set --allocate-node-cidrs=true and --cluster-cidr=${network} in ${KCM_MANIFEST} on every control-plane node${a.network ? ` (kubeadm: networking.podSubnet, i.e. kubeadm init --pod-network-cidr=${a.network})` : ''}.`;
}

const findings = {
  assigned: { status: 'ok', summary: (a: { cidrs: string }) => `podCIDR ${a.cidrs}` },
  unassigned: { status: 'fail', summary: (a: Unassigned) => `no podCIDR assigned: ${a.cause}`, remedy: assign, steps: assignSteps },
  unassignedOnPlatform: {
    status: 'fail',
    summary: (a: OnPlatform) => `no podCIDR assigned: ${a.cause}`,
    remedy: (a: OnPlatform) => a.fix,
    steps: (a: OnPlatform): FindingStep[] => [{ on: a.run.startsWith('journalctl') ? 'node' : 'cluster', run: a.run }],
  },
  cniNotUnderstood: {
    status: 'unknown',
    summary: (a: { cni: string }) => `no podCIDR, and ${a.cni}: whether it needs one cannot be told`,
  },
  conflict: {
    status: 'fail',
    summary: (a: { node: string; problem: string }) => `podCIDR ${a.problem}`,
    remedy: (a: { node: string }) =>
      `A podCIDR cannot be changed in place: kubectl drain ${a.node} --ignore-daemonsets --delete-emptydir-data && kubectl delete node ${a.node}, then restart the kubelet on ${a.node} (systemctl restart kubelet) so it registers again and gets a fresh podCIDR.`,
  },
  ownIpam: { status: 'skip', summary: (a: { cni: string }) => `${a.cni} IPAM assigns pod addresses from its own pools; node podCIDRs are not used` },
  nodeUnreadable: { status: 'unknown', summary: (a: { node: string }) => `node ${a.node} could not be read` },
} as const;

export const podCidrAssigned = defineCheck({
  id: 'pod-cidr-assigned',
  title: 'The node has a podCIDR inside the cluster CIDR, overlapping no other node',
  question: "Does the node have spec.podCIDR(s), inside the cluster CIDR, not overlapping another node's?",
  column: 'POD-CIDR',
  rank: 50,
  explains: ['flannel-subnet-env', 'cni-ready'],
  needs: ['node', 'controllerManager', 'kubeadm', 'flannel', 'peers'],
  // Other nodes are listed to find a free podCIDR for a node without one.
  fetchWhen: { peers: (f) => !!f.node && podCIDRs(f.node).length === 0 },
  seenBest: 'api',
  findings,
  evaluate(facts: NodeFacts) {
    const node = facts.nodeName;
    if (!facts.node) return found(findings, 'nodeUnreadable', { node }, unavailableEvidence(facts, ['node']));
    const cidrs = podCIDRs(facts.node);
    const claims = podNetworkClaims(facts.cluster, facts.node);
    const allocates = allocatesNodeCidrs(facts.cluster);
    const kcm = facts.cluster?.controllerManager;
    const clusterCidr = claims.find((c) => c.who.startsWith('kube-controller-manager') || / server --cluster-cidr/.test(c.who))?.cidr;
    const flannelNetwork = facts.cluster?.flannel?.network;

    if (cidrs.length === 0) {
      const cni = nodeCni(facts);
      const uses = usesPodCidr(cni, allocates);
      if (uses === false || (uses === undefined && cni.row?.podCidr === 'depends')) {
        const name = cni.kind === 'calico' ? 'Calico' : cni.kind === 'cilium' && cni.row?.id === 'cilium' ? 'Cilium' : cni.row!.name;
        return found(findings, 'ownIpam', { cni: name }, [`CNI: ${cni.row!.name} (${cni.source})`]);
      }
      const platform = platformOf(facts.node);
      // Not known to need one, and no controller-manager says it hands them out: cannot tell.
      if (uses === undefined && allocates !== true) {
        const what = cni.notUnderstood ? `CNI ${cni.notUnderstood} is not understood` : 'no CNI was recognised on this node';
        return found(findings, 'cniNotUnderstood', { cni: what }, ['spec.podCIDR is empty', ...unavailableEvidence(facts, ['pods', 'controllerManager'])]);
      }
      if (!kcm && platform && platform.id !== 'kind') {
        const fix = platformFix(platform, node);
        return found(
          findings,
          'unassignedOnPlatform',
          { node, platform: platform.name, ...fix },
          [
            'spec.podCIDR is empty',
            `platform ${platform.name} (${platform.evidence})`,
            `CNI: ${cni.row?.name} (${cni.source}), which uses the node's podCIDR`,
            ...unavailableEvidence(facts, ['controllerManager']),
          ],
          { assigned: 0 },
        );
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
        if (clusterCidr && !contains(parseCidr(flannelNetwork), parseCidr(clusterCidr))) cause += `; flannel's Network ${flannelNetwork} differs from --cluster-cidr ${clusterCidr}`;
      }
      const pool = clusterCidr ?? kubeadm?.podSubnet ?? flannelNetwork;
      const args: Unassigned = {
        node,
        cause,
        mask: 24,
        exhausted: false,
        allocating: allocates === true && !!clusterCidr,
        pool,
        network: flannelNetwork ?? pool,
        kcmPod: kcm?.source.replace(/^pod kube-system\//, ''),
      };
      if (pool) {
        const block = parseCidr(pool);
        args.mask = nodeCidrMaskSize(facts.cluster, block.bits === 128);
        const peers = facts.cluster?.peers;
        if (peers) {
          args.free = firstFreeSubnet(block, args.mask, peerIndex(peers).podCidrs());
          args.exhausted = !args.free;
        }
      }
      return found(findings, 'unassigned', args, evidence, { assigned: 0 });
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
      const clashes = cidrs.flatMap((c) => peers.overlapping(parseCidr(c))).filter((p) => p.name !== node);
      for (const p of clashes) problems.push(`${p.cidr} of node ${p.name} overlaps ${cidrs.join(', ')}`);
      if (!clashes.length) evidence.push(`overlaps none of the other ${peers.count - 1} nodes' podCIDRs`);
    } else {
      evidence.push('not compared with other nodes (kubectl netcheck nodes compares them all)');
    }
    if (problems.length) return found(findings, 'conflict', { node, problem: problems[0] }, [...evidence, ...problems], { assigned: 1 });
    return found(findings, 'assigned', { cidrs: cidrs.join(', ') }, evidence, { assigned: 1 });
  },
  metrics: [{ name: 'netcheck_pod_cidr_assigned', help: '1 when the node has a podCIDR, 0 when not', measure: 'assigned' }],
  alerts: [
    {
      name: 'NetcheckPodCIDRUnassigned',
      severity: 'critical',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_pod_cidr_assigned')} == 0`,
      summary: 'A node has no podCIDR.',
      description: 'Node {{ $labels.node }} has no spec.podCIDR; flannel there fails with "pod cidr not assigned" and no pod gets a network.',
      fires: { netcheck_pod_cidr_assigned: 0, 'netcheck_check_status{check="pod-cidr-assigned",status="fail"}': 1 },
      coversFailure: true,
    },
    {
      name: 'NetcheckPodCIDRConflict',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_pod_cidr_assigned')} == 1 and on (${q.by}) ${q.status('pod-cidr-assigned', 'fail')}`,
      summary: "A node's podCIDR is outside the cluster CIDR or overlaps another node's.",
      description: "The podCIDR of node {{ $labels.node }} is outside the cluster's pod network or overlaps another node's: its pods' addresses collide or are not routed.",
      fires: { netcheck_pod_cidr_assigned: 1, 'netcheck_check_status{check="pod-cidr-assigned",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
