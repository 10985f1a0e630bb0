// Every check, in the order reports show them: the table of contents of the engine. A new check
// is its file, its runbook beside it (<id>.md), its fixtures and tests, and a line here.
import { apiService } from './api-service';
import { bgpEstablished } from './bgp-established';
import { bridgeNetfilter } from './bridge-netfilter';
import { cidrOverlap } from './cidr-overlap';
import { clusterCidr } from './cluster-cidr';
import { clusterDns } from './cluster-dns';
import { cniPlugins } from './cni-plugins';
import { cniReady } from './cni-ready';
import { conntrack } from './conntrack';
import { defaultRoute } from './default-route';
import { dnsResolv } from './dns-resolv';
import { flannelSubnetEnv } from './flannel-subnet-env';
import { hairpin } from './hairpin';
import { ipForward } from './ip-forward';
import { ipamLeases } from './ipam-leases';
import { kernelModules } from './kernel-modules';
import { kubeProxy } from './kube-proxy';
import { kubeletReady } from './kubelet-ready';
import { mtu } from './mtu';
import { networkManager } from './network-manager';
import { nodeAddress } from './node-address';
import { overlayErrors } from './overlay-errors';
import { peers } from './peers';
import { podCidrAssigned } from './pod-cidr-assigned';
import { rpFilter } from './rp-filter';
import { swap } from './swap';
import { vtepMac } from './vtep-mac';

export const CHECKS = [
  kubeletReady,
  cniReady,
  flannelSubnetEnv,
  bgpEstablished,
  swap,
  podCidrAssigned,
  defaultRoute,
  nodeAddress,
  clusterCidr,
  ipForward,
  bridgeNetfilter,
  conntrack,
  mtu,
  // Host checks beyond the seeds (contract §4), in its order.
  cniPlugins,
  kernelModules,
  dnsResolv,
  ipamLeases,
  networkManager,
  kubeProxy,
  cidrOverlap,
  vtepMac,
  hairpin,
  rpFilter,
  overlayErrors,
  apiService,
  peers,
  clusterDns,
] as const;

export type KnownCheckId = (typeof CHECKS)[number]['id'];

export const CHECK_IDS: readonly KnownCheckId[] = CHECKS.map((c) => c.id);

/** Every sysctl a check reads: the agent reads these, and only these, under /proc/sys. */
export const SYSCTLS: readonly string[] = [...new Set(CHECKS.flatMap((c) => ('sysctls' in c ? (c.sysctls ?? []) : [])))];
