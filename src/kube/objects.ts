// Small readers over Kubernetes objects, shared by the checks and the fact sources.
import type { V1Container, V1Node, V1NodeCondition, V1Pod } from '@kubernetes/client-node';

export function nodeCondition(node: V1Node | undefined, type: string): V1NodeCondition | undefined {
  return node?.status?.conditions?.find((c) => c.type === type);
}

/** The kubelet's Ready=False message when only the network plugin is missing. */
export function networkNotReady(node: V1Node | undefined): string | undefined {
  const ready = nodeCondition(node, 'Ready');
  return ready?.status === 'False' && /network plugin (is )?not ready|NetworkReady=false|cni plugin not initialized|cni config uninitialized/i.test(ready.message ?? '') ? ready.message : undefined;
}

export function internalIP(node: V1Node | undefined): string | undefined {
  return node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

export function podCIDRs(node: V1Node | undefined): string[] {
  const spec = node?.spec;
  if (!spec) return [];
  if (spec.podCIDRs?.length) return spec.podCIDRs;
  return spec.podCIDR ? [spec.podCIDR] : [];
}

export const FLANNEL_PUBLIC_IP = 'flannel.alpha.coreos.com/public-ip';
export const CALICO_IPV4_ADDRESS = 'projectcalico.org/IPv4Address';

/** The address the CNI chose for this node, from the annotation the CNI writes on the Node. */
export function cniAddress(node: V1Node | undefined): { address: string; annotation: string } | undefined {
  const annotations = node?.metadata?.annotations ?? {};
  for (const annotation of [FLANNEL_PUBLIC_IP, CALICO_IPV4_ADDRESS]) {
    const value = annotations[annotation];
    if (value) return { address: value.split('/')[0], annotation };
  }
  return undefined;
}

export function podRef(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

export function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** "CrashLoopBackOff, 9 restarts" — why a pod is not Ready, in kubectl's words. */
export function podState(pod: V1Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const waiting = statuses.map((s) => s.state?.waiting?.reason).find(Boolean);
  const terminated = statuses.map((s) => s.state?.terminated?.reason).find(Boolean);
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  const state = waiting ?? terminated ?? (podReady(pod) ? 'Running, Ready' : `${pod.status?.phase ?? 'Unknown'}, not Ready`);
  return restarts ? `${state}, ${restarts} restarts` : state;
}

export function mainContainer(pod: V1Pod | undefined): V1Container | undefined {
  return pod?.spec?.containers?.[0];
}

export function containerEnv(pod: V1Pod | undefined, name: string): string | undefined {
  return mainContainer(pod)?.env?.find((e) => e.name === name)?.value;
}

export function containerArgv(pod: V1Pod | undefined): string[] {
  const c = mainContainer(pod);
  return [...(c?.command ?? []), ...(c?.args ?? [])];
}

/** The DaemonSet that owns a pod, by its owner reference; else its name from generateName. */
export function ownerDaemonSet(pod: V1Pod | undefined, fallback: string): string {
  return pod?.metadata?.ownerReferences?.find((o) => o.kind === 'DaemonSet')?.name ?? pod?.metadata?.generateName?.replace(/-$/, '') ?? fallback;
}
