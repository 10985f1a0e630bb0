import type { ClusterFacts } from '../core/facts';

export interface CidrClaim {
  who: string; // "kube-controller-manager --cluster-cidr"
  cidr: string;
  source: string;
}

/** Every place the cluster declares its pod network, in order of authority. */
export function podNetworkClaims(cluster: ClusterFacts | undefined): CidrClaim[] {
  const claims: CidrClaim[] = [];
  const kcm = cluster?.controllerManager;
  if (kcm?.flags['cluster-cidr']) claims.push({ who: 'kube-controller-manager --cluster-cidr', cidr: kcm.flags['cluster-cidr'], source: kcm.source });
  if (cluster?.kubeadm?.podSubnet) claims.push({ who: 'kubeadm networking.podSubnet', cidr: cluster.kubeadm.podSubnet, source: cluster.kubeadm.source });
  if (cluster?.flannel?.network) claims.push({ who: 'flannel net-conf.json Network', cidr: cluster.flannel.network, source: cluster.flannel.source });
  if (cluster?.calicoPool) claims.push({ who: 'Calico CALICO_IPV4POOL_CIDR', cidr: cluster.calicoPool.cidr, source: cluster.calicoPool.source });
  return claims;
}

/** Whether kube-controller-manager hands out node podCIDRs: true, false, or undefined when unseen. */
export function allocatesNodeCidrs(cluster: ClusterFacts | undefined): boolean | undefined {
  const flags = cluster?.controllerManager?.flags;
  return flags ? flags['allocate-node-cidrs'] === 'true' : undefined;
}

export function nodeCidrMaskSize(cluster: ClusterFacts | undefined, ipv6: boolean): number {
  const flags = cluster?.controllerManager?.flags ?? {};
  const value = flags[ipv6 ? 'node-cidr-mask-size-ipv6' : 'node-cidr-mask-size-ipv4'] ?? flags['node-cidr-mask-size'];
  return value ? Number.parseInt(value, 10) : ipv6 ? 64 : 24;
}

export const KCM_MANIFEST = '/etc/kubernetes/manifests/kube-controller-manager.yaml';
