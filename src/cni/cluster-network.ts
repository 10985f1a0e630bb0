import type { V1Node } from '@kubernetes/client-node';
import type { ClusterFacts } from '../core/facts';
import { parseCommandFlags } from '../parsers/command-flags';
import { platformOf } from './platform';

export interface CidrClaim {
  who: string; // "kube-controller-manager --cluster-cidr"
  cidr: string;
  source: string;
}

/** k3s and RKE2 run the controller-manager in their own process, with the server's --cluster-cidr (default 10.42.0.0/16). */
const DISTRIBUTION_DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';

/**
 * The --cluster-cidr of a k3s or RKE2 server, from its node's k3s.io/node-args (rke2.io/node-args)
 * annotation: the server's arguments, config.yaml's included (k3s-io/k3s#3289). An agent node's
 * arguments do not say; a server's without the flag mean the default.
 */
export function distributionClusterCidr(node: V1Node | undefined): CidrClaim | undefined {
  const platform = platformOf(node);
  if (platform?.id !== 'k3s' && platform?.id !== 'rke2') return undefined;
  const key = `${platform.id}.io/node-args`;
  const raw = node?.metadata?.annotations?.[key];
  if (!raw || raw.length > 64 * 1024) return undefined;
  let args: unknown;
  try {
    args = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(args) || args[0] !== 'server' || !args.every((a) => typeof a === 'string')) return undefined;
  const flags = Object.fromEntries(parseCommandFlags(args as string[]));
  const cidr = flags['cluster-cidr'];
  const who = `${platform.name} server --cluster-cidr`;
  // Dual-stack: "10.42.0.0/16,2001:cafe:42::/56"; the first family is the one compared.
  if (cidr && cidr !== 'true') return { who, cidr: cidr.split(',')[0], source: `annotation ${key} of node ${node?.metadata?.name}` };
  return { who: `${who} (default)`, cidr: DISTRIBUTION_DEFAULT_CLUSTER_CIDR, source: `annotation ${key} of node ${node?.metadata?.name}: no --cluster-cidr` };
}

/** Every place the cluster declares its pod network, in order of authority. */
export function podNetworkClaims(cluster: ClusterFacts | undefined, node?: V1Node): CidrClaim[] {
  const claims: CidrClaim[] = [];
  const distribution = cluster?.controllerManager ? undefined : distributionClusterCidr(node);
  if (distribution) claims.push(distribution);
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
