// Small pieces every API fact source uses.
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { FactKey, NodeFacts, PeerNode } from '../core/facts';
import { cniAddress, internalIP, podCIDRs } from '../kube/objects';
import { type KubeClient, withQuery } from '../kubeapi/kube-client';

const LOG_TAIL_LINES = 40;

/** Runs a fact read; a refusal or failure is recorded as the reason that fact is unavailable. */
export async function attempt<T>(unavailable: NodeFacts['unavailable'], key: FactKey, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    unavailable[key] = (e as Error).message;
    return undefined;
  }
}

export function peerOf(node: V1Node): PeerNode {
  return { name: node.metadata!.name!, internalIP: internalIP(node), podCIDRs: podCIDRs(node), cniAddress: cniAddress(node)?.address };
}

/** Pages of Warning events read at most: 5,000 events, past which a cluster's storm says enough. */
export const MAX_EVENT_PAGES = 10;

/**
 * Warning events, every page up to MAX_EVENT_PAGES. The API server lists them in key order
 * (namespace, then name), not by time: one page of a busy cluster is whichever namespaces sort
 * first, so the node's own are found only by reading on, then ordered newest first (eventsAbout).
 */
export async function warningEvents(client: KubeClient): Promise<{ items: CoreV1Event[] }> {
  const items: CoreV1Event[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_EVENT_PAGES; page++) {
    const list = await client.get<{ items?: CoreV1Event[]; metadata?: { continue?: string } }>(withQuery('/api/v1/events', { fieldSelector: 'type=Warning', limit: '500', continue: token }));
    items.push(...(list.items ?? []));
    token = list.metadata?.continue || undefined;
    if (!token) break;
  }
  return { items };
}

/** When an event was last seen: the series' last observation, lastTimestamp, eventTime, or its creation. */
export function eventTime(e: CoreV1Event): number {
  const t = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  const ms = t ? new Date(t as unknown as string).getTime() : Number.NaN;
  return Number.isFinite(ms) ? ms : 0;
}

/** The tail of a CNI pod's log; the previous container's when it is crash-looping, since that one says why. */
export async function cniLog(client: KubeClient, pod: V1Pod): Promise<string> {
  const crashed = pod.status?.containerStatuses?.some((s) => (s.restartCount ?? 0) > 0 && !s.state?.running);
  const path = withQuery(`/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/log`, {
    tailLines: String(LOG_TAIL_LINES),
    previous: crashed ? 'true' : undefined,
  });
  return client.getText(path, 'text/plain');
}

/** The events about one node and the pods on it, newest first. */
export function eventsAbout(events: CoreV1Event[], nodeName: string, pods: V1Pod[]): CoreV1Event[] {
  const podKeys = new Set(pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
  return events
    .filter((e) => {
      const about = e.involvedObject;
      if (about?.kind === 'Node') return about.name === nodeName;
      return e.source?.host === nodeName || podKeys.has(`${about?.namespace}/${about?.name}`);
    })
    .map((e) => ({ e, t: eventTime(e) }))
    .sort((a, b) => b.t - a.t)
    .map(({ e }) => e);
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The API server's own addresses, as kube-proxy would route the kubernetes Service to them. */
export async function apiEndpoints(client: KubeClient): Promise<string[]> {
  const ep = await client.get<{ subsets?: { addresses?: { ip: string }[]; ports?: { port: number; name?: string }[] }[] }>('/api/v1/namespaces/default/endpoints/kubernetes');
  return (ep.subsets ?? []).flatMap((s) => {
    const port = s.ports?.find((p) => p.name === 'https')?.port ?? s.ports?.[0]?.port;
    return (s.addresses ?? []).map((a) => (port ? `${a.ip}:${port}` : a.ip));
  });
}
