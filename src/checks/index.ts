// Every check, in the order reports show them: the table of contents of the engine.
import type { Check } from '../check';
import { bgpEstablished } from './bgp-established';
import { clusterCidr } from './cluster-cidr';
import { cniReady } from './cni-ready';
import { defaultRoute } from './default-route';
import { flannelSubnetEnv } from './flannel-subnet-env';
import { kubeletReady } from './kubelet-ready';
import { nodeAddress } from './node-address';
import { podCidrAssigned } from './pod-cidr-assigned';
import { swap } from './swap';

export const CHECKS: readonly Check[] = [
  kubeletReady,
  cniReady,
  flannelSubnetEnv,
  bgpEstablished,
  swap,
  podCidrAssigned,
  defaultRoute,
  nodeAddress,
  clusterCidr,
];
