import type { HostFacts } from '../core/facts';
import { isDefaultRoute, type Route } from '../parsers/proc-net-route';

// Virtual and tunnel links often report "unknown" while passing traffic.
export const usableState = (state: string | undefined) => state === 'up' || state === 'unknown';

// Links that are down harmlessly (an idle docker0), that the CNI manages itself, or one per pod
// (veth, cali, lxc): their state says nothing about whether the node can reach the network.
const VIRTUAL = /^(lo$|docker\d*|veth|cni\d*|flannel|cali|tunl|vxlan|kube-ipvs|kube-bridge|nodelocaldns|virbr|br-|lxc|cilium_|weave|vethwe|datapath|ifb|dummy)/;

export function isVirtualLink(name: string): boolean {
  return VIRTUAL.test(name);
}

/** The default route the host can actually use, if it has one (its interface up). */
export function usableDefaultRoute(host: HostFacts): Route | undefined {
  const states = host.interfaces ?? {};
  return host.routes?.find((r) => isDefaultRoute(r) && r.up && usableState(states[r.iface]));
}
