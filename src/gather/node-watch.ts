import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { cniAgent } from '../cni/cni';
import type { ClusterFacts, NodeFacts } from '../core/facts';
import { type KubeClient, withQuery } from '../kubeapi/kube-client';
import { gatherCluster } from './cluster';

interface Listed<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

type Log = (level: 'info' | 'warn', message: string) => void;

/**
 * Keeps this node's Node object and the pods scheduled on it current with list-then-watch, the way
 * the kubelet does: one LIST at start (and after a watch expires), then long WATCHes. No periodic
 * lists, and nothing about other nodes.
 */
export class NodeWatcher {
  private node?: V1Node;
  private readonly pods = new Map<string, V1Pod>();
  private readonly errors: { node?: string; pods?: string } = {};
  private readonly abort = new AbortController();
  private readonly listed = { node: false, pods: false };
  private markSynced?: () => void;
  /** Resolves once both the node and its pods have been listed. */
  readonly synced = new Promise<void>((resolve) => (this.markSynced = resolve));

  constructor(
    private readonly client: KubeClient,
    private readonly nodeName: string,
    private readonly log: Log,
  ) {}

  start(): void {
    void this.informer<V1Node>('node', '/api/v1/nodes', `metadata.name=${this.nodeName}`, {
      reset: (items) => (this.node = items[0]),
      apply: (type, obj) => (this.node = type === 'DELETED' ? undefined : obj),
    });
    void this.informer<V1Pod>('pods', '/api/v1/pods', `spec.nodeName=${this.nodeName}`, {
      reset: (items) => {
        this.pods.clear();
        for (const p of items) this.pods.set(p.metadata!.uid!, p);
      },
      apply: (type, obj) => (type === 'DELETED' ? this.pods.delete(obj.metadata!.uid!) : this.pods.set(obj.metadata!.uid!, obj)),
    });
  }

  stop(): void {
    this.abort.abort();
  }

  private cluster?: ClusterFacts;
  private clusterUnavailable: NodeFacts['unavailable'] = {};

  /**
   * The cluster's pod network declarations (controller-manager flags, flannel's net-conf), read
   * every `everyMs`: two GETs per agent per period, for the cluster-cidr and pod-cidr checks.
   */
  refreshCluster(everyMs: number): Promise<void> {
    const refresh = async () => {
      const unavailable: NodeFacts['unavailable'] = {};
      const cni = cniAgent([...this.pods.values()]);
      this.cluster = await gatherCluster(this.client, unavailable, cni ? [cni.pod] : []);
      this.clusterUnavailable = unavailable;
    };
    const timer = setInterval(() => void refresh().catch(() => {}), everyMs).unref();
    this.abort.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    // The first read waits for the node's pods (they say which CNI, so which config to read).
    return this.synced.then(refresh).catch(() => {});
  }

  /** The API part of this node's facts, as last seen. */
  facts(): Pick<NodeFacts, 'node' | 'pods' | 'cluster' | 'unavailable'> {
    const unavailable: NodeFacts['unavailable'] = {};
    if (!this.node) unavailable.node = this.errors.node ?? (this.listed.node ? `node ${this.nodeName} does not exist` : 'not listed from the API server yet');
    if (!this.listed.pods || this.errors.pods) unavailable.pods = this.errors.pods ?? 'not listed from the API server yet';
    return { node: this.node, pods: unavailable.pods ? undefined : [...this.pods.values()], cluster: this.cluster, unavailable: { ...this.clusterUnavailable, ...unavailable } };
  }

  private async informer<T>(key: 'node' | 'pods', path: string, fieldSelector: string, state: { reset: (items: T[]) => void; apply: (type: string, obj: T) => void }) {
    let backoffMs = 1000;
    const logged: { node?: string; pods?: string } = {};
    // The first LIST, and every one after an error, is served from the API server's watch cache
    // (resourceVersion=0), as the kubelet's reflectors ask: a DaemonSet rolling out on 5,000 nodes
    // must not send 10,000 quorum reads to etcd. Only after a watch expired (410 Gone) is the list
    // a consistent read, so it is not older than what the watch had shown.
    let fromCache = true;
    while (!this.abort.signal.aborted) {
      try {
        const list = await this.client.get<Listed<T>>(withQuery(path, { fieldSelector, resourceVersion: fromCache ? '0' : undefined }));
        fromCache = true;
        state.reset(list.items.map(slim));
        this.listed[key] = true;
        if (this.listed.node && this.listed.pods) this.markSynced?.();
        let resourceVersion = list.metadata?.resourceVersion;
        this.errors[key] = undefined;
        while (!this.abort.signal.aborted) {
          // Servers end watches after timeoutSeconds; spread the renewals so agents do not align.
          const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
          let expired = false;
          await this.client.watch<T & { metadata?: { resourceVersion?: string }; code?: number }>(
            withQuery(path, { fieldSelector, watch: 'true', resourceVersion, timeoutSeconds: String(timeoutSeconds), allowWatchBookmarks: 'true' }),
            (event) => {
              if (event.type === 'ERROR') {
                expired = true; // 410 Gone: our resourceVersion is too old; list again
                return;
              }
              resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
              if (event.type !== 'BOOKMARK') state.apply(event.type, slim(event.object));
            },
            this.abort.signal,
            // The server ends the watch at timeoutSeconds; one that does not is cut off a minute later.
            (timeoutSeconds + 60) * 1000,
          );
          // Only a watch that ran its course resets the backoff: a server whose every watch fails
          // right after a good list is retried ever more slowly, not every second.
          backoffMs = 1000;
          logged[key] = undefined;
          if (expired) {
            fromCache = false;
            break;
          }
        }
      } catch (e) {
        const message = (e as Error).message;
        // One log line per change of error, however often it is retried.
        if (logged[key] !== message) this.log('warn', `${key} watch: ${message}`);
        logged[key] = message;
        this.errors[key] = message;
        await new Promise((r) => setTimeout(r, backoffMs).unref());
        backoffMs = Math.min(backoffMs * 2, 60_000);
      }
    }
  }
}

/**
 * What no check reads, dropped before an object is kept for the agent's lifetime: managedFields and
 * kubectl's last-applied copy are often most of a pod's bytes.
 */
function slim<T>(obj: T): T {
  const metadata = (obj as { metadata?: { managedFields?: unknown; annotations?: Record<string, string> } }).metadata;
  if (metadata) {
    delete metadata.managedFields;
    if (metadata.annotations) delete metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
  }
  return obj;
}
