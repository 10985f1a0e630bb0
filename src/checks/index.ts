// Every check, in the order reports show them: the table of contents of the engine. A new check
// is its file, its runbook beside it (<id>.md), its fixtures and tests, and a line here.
import { bgpEstablished } from './bgp-established';
import { clusterCidr } from './cluster-cidr';
import { cniReady } from './cni-ready';
import { defaultRoute } from './default-route';
import { flannelSubnetEnv } from './flannel-subnet-env';
import { kubeletReady } from './kubelet-ready';
import { nodeAddress } from './node-address';
import { podCidrAssigned } from './pod-cidr-assigned';
import { swap } from './swap';

export const CHECKS = [kubeletReady, cniReady, flannelSubnetEnv, bgpEstablished, swap, podCidrAssigned, defaultRoute, nodeAddress, clusterCidr] as const;

export type CheckId = (typeof CHECKS)[number]['id'];

export const CHECK_IDS: readonly CheckId[] = CHECKS.map((c) => c.id);
