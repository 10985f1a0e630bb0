// Every check, in the order reports show them: the table of contents of the engine. A new check
// is its file, its runbook beside it (<id>.md), its fixtures and tests, and a line here.
import { apiService } from './api-service';
import { bgpEstablished } from './bgp-established';
import { bridgeNetfilter } from './bridge-netfilter';
import { clusterCidr } from './cluster-cidr';
import { clusterDns } from './cluster-dns';
import { cniReady } from './cni-ready';
import { conntrack } from './conntrack';
import { defaultRoute } from './default-route';
import { flannelSubnetEnv } from './flannel-subnet-env';
import { ipForward } from './ip-forward';
import { kubeletReady } from './kubelet-ready';
import { mtu } from './mtu';
import { nodeAddress } from './node-address';
import { peers } from './peers';
import { podCidrAssigned } from './pod-cidr-assigned';
import { swap } from './swap';

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
  apiService,
  peers,
  clusterDns,
] as const;

export type KnownCheckId = (typeof CHECKS)[number]['id'];

export const CHECK_IDS: readonly KnownCheckId[] = CHECKS.map((c) => c.id);

/** Every sysctl a check reads: the agent reads these, and only these, under /proc/sys. */
export const SYSCTLS: readonly string[] = [...new Set(CHECKS.flatMap((c) => ('sysctls' in c ? (c.sysctls ?? []) : [])))];
