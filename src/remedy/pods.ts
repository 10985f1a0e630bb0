// Restarting a node's own pod of a DaemonSet (the CNI agent, kube-proxy): the per-node step, which
// leaves every other node alone. Built from names, so a report's params never carry a command.
import type { V1Pod } from '@kubernetes/client-node';
import { shq } from './shell';

/** Which pod to restart: the one seen on the node, else the label that finds it there. */
export interface PodOnNode {
  podNamespace?: string;
  podName?: string;
  /** A label selector for the DaemonSet's pods, used when the pod itself was not seen. */
  selector: string;
  node: string;
}

export function podOnNode(pod: V1Pod | undefined, selector: string, node: string): PodOnNode {
  return { podNamespace: pod?.metadata?.namespace, podName: pod?.metadata?.name, selector, node };
}

/** `kubectl delete pod` of that pod (its DaemonSet starts it again on the same node). */
export function restartPodOnNode(p: PodOnNode): string {
  if (p.podNamespace && p.podName) return `kubectl -n ${shq(p.podNamespace)} delete pod ${shq(p.podName)}`;
  return `kubectl delete pods -A -l ${shq(p.selector)} --field-selector spec.nodeName=${p.node}`;
}

/** What BIRD says of each BGP session, asked inside calico-node. */
export const BIRDCL = 'birdcl -s /var/run/calico/bird.ctl show protocols all';

/** BIRDCL run in that pod (or, when it was not seen, the command that finds the pod). */
export function birdclInPodOnNode(p: PodOnNode): string {
  if (p.podNamespace && p.podName) return `kubectl -n ${shq(p.podNamespace)} exec ${shq(p.podName)} -- ${BIRDCL}`;
  return `kubectl get pods -A -l ${shq(p.selector)} --field-selector spec.nodeName=${p.node}`;
}
