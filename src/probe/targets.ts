// Where a peer is probed: its underlay address (the InternalIP) and its pod-network address, the
// address the CNI gives the host on its overlay device, read from what the CNI writes on the Node.
import type { V1Node } from '@kubernetes/client-node';
import { internalIP, nodeCondition, podCIDRs } from '../kube/objects';
import type { Candidate } from './choice';

export const PATHS = ['underlay', 'pod-network'] as const;
export type ProbePath = (typeof PATHS)[number];

/** One peer as the prober needs it: where to send each path's probe, or why that path cannot be. */
export interface PeerTarget extends Candidate {
  underlay?: string;
  podNetwork?: string;
  /** Where the pod-network address came from ("flannel.1 (vxlan, podCIDR 10.244.3.0/24)"), or why there is none. */
  podNetworkSource: string;
  /** Why the node is not eligible, when it is not. */
  ineligible?: string;
}

export const AUTOSCALER_TAINT = 'ToBeDeletedByClusterAutoscaler';
const FLANNEL_BACKEND = 'flannel.alpha.coreos.com/backend-type';
const CALICO_IPIP = 'projectcalico.org/IPv4IPIPTunnelAddr';
const CALICO_VXLAN = 'projectcalico.org/IPv4VXLANTunnelAddr';
const CILIUM_HOST = 'network.cilium.io/ipv4-cilium-host';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function validV4(text: string | undefined): string | undefined {
  const m = text ? IPV4.exec(text.trim()) : null;
  return m?.slice(1).every((o) => Number(o) <= 255) ? text?.trim() : undefined;
}

/** The first (offset 0) or second (offset 1) address of an IPv4 block. */
function blockAddress(cidr: string, offset: number): string | undefined {
  const [base, len] = cidr.split('/');
  if (!validV4(base) || !/^\d+$/.test(len ?? '') || Number(len) > 30) return undefined;
  const size = 2 ** (32 - Number(len));
  const n = base.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const v = n - (n % size) + offset;
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
}

/**
 * The host's address on the pod network. flannel's VXLAN backend gives flannel.1 the subnet's
 * network address (10.244.3.0/32); host-gw has no overlay device and the bridge cni0 takes the
 * first address (10.244.3.1), once a pod runs there. Calico writes its tunnel addresses, Cilium
 * its cilium_host address, as annotations. Anything else: unknown, and the path is not probed.
 */
export function podNetworkAddress(node: V1Node): { address?: string; source: string } {
  const a = node.metadata?.annotations ?? {};
  const cilium = validV4(a[CILIUM_HOST]);
  if (cilium) return { address: cilium, source: `cilium_host (${CILIUM_HOST})` };
  const vxlan = validV4(a[CALICO_VXLAN]);
  if (vxlan) return { address: vxlan, source: `vxlan.calico (${CALICO_VXLAN})` };
  const ipip = validV4(a[CALICO_IPIP]);
  if (ipip) return { address: ipip, source: `tunl0 (${CALICO_IPIP})` };
  const backend = a[FLANNEL_BACKEND];
  const cidr = podCIDRs(node).find((c) => !c.includes(':'));
  if (backend && cidr) {
    if (backend === 'vxlan') {
      const address = blockAddress(cidr, 0);
      if (address) return { address, source: `flannel.1 (vxlan, podCIDR ${cidr})` };
    }
    if (backend === 'host-gw') {
      const address = blockAddress(cidr, 1);
      if (address) return { address, source: `cni0 (host-gw, podCIDR ${cidr})` };
    }
    return { source: `flannel backend ${JSON.stringify(backend).slice(0, 40)} has no host address netcheck knows` };
  }
  return { source: 'no overlay address known for this node (no flannel, Calico tunnel or cilium_host annotation)' };
}

/** Why a node must not be counted against anyone, or undefined when it may be probed. */
export function ineligible(node: V1Node): string | undefined {
  if (node.metadata?.deletionTimestamp) return 'being deleted';
  if (node.spec?.taints?.some((t) => t.key === AUTOSCALER_TAINT)) return 'being removed by the cluster autoscaler';
  if (node.spec?.unschedulable) return 'cordoned';
  if (nodeCondition(node, 'Ready')?.status !== 'True') return 'not Ready';
  if (!internalIP(node)) return 'no InternalIP';
  return undefined;
}

export function peerTarget(node: V1Node): PeerTarget {
  const why = ineligible(node);
  const pod = podNetworkAddress(node);
  return {
    name: node.metadata?.name ?? '',
    eligible: !why,
    ...(why ? { ineligible: why } : {}),
    underlay: internalIP(node),
    ...(pod.address ? { podNetwork: pod.address } : {}),
    podNetworkSource: pod.source,
  };
}
