// The agent's report leaves the node as a NodeReport object in the API: written when a check's
// status or finding changes, and otherwise once a heartbeat, never every cycle.
import type { NodeReport } from '../src/core/model';
import { KubeError } from '../src/kubeapi/kube-client';
import { API_VERSION, FIELD_MANAGER, GROUP, KIND, PLURAL, reportObject, VERSION } from '../src/report/resource';
import { VERSION as AGENT_VERSION } from '../src/version';
import type { Log } from './log';

export interface PublisherOptions {
  client: { apply<T>(path: string, object: object, fieldManager: string): Promise<T> };
  nodeName: string;
  /** The Node's uid, for the owner reference (the report goes when the node goes). */
  nodeUid: () => string | undefined;
  heartbeatMs: number;
  intervalMs: number;
  log: Log;
  now?: () => number;
}

export interface PublishStats {
  ok: number;
  failed: number;
  lastWriteAt?: number;
}

const BACKOFF_MS = { first: 10_000, max: 5 * 60_000 };

/**
 * What a reader acts on: each check's status and finding, and the root cause. A change here is
 * worth a write; anything else waits for the heartbeat. Summaries are left out on purpose: they
 * carry live numbers (conntrack's entry count moves on every real node), and fingerprinting them
 * rewrote the report on nearly every cycle: 35 writes in 70 s at --interval 2s instead of 2.
 */
export function fingerprint(report: NodeReport): string {
  return JSON.stringify([
    report.status,
    report.rootCauses ?? report.rootCause ?? null,
    report.checks.map((c) => [c.id, c.status, c.code ?? null, names(c.params)]),
    // Which peer answers on which path, and how it fails: what the plugin's blame reads (no RTTs).
    (report.probes ?? []).map((p) => [p.peer, p.path, p.ok, p.error ?? null]),
  ]);
}

/** A finding's names (which interface, which file, which peer): a change of them is a change of finding; numbers are measures. */
function names(params: Record<string, unknown> | undefined): [string, unknown][] {
  return Object.entries(params ?? {}).filter(([, v]) => typeof v !== 'number');
}

export class ReportPublisher {
  readonly stats: PublishStats = { ok: 0, failed: 0 };
  private written?: { fingerprint: string; at: number };
  private created = false;
  private inFlight?: Promise<void>;
  private retryAt = 0;
  private backoffMs = 0;
  private logged?: string;

  constructor(private readonly opts: PublisherOptions) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Called with every finished report; writes when it changed or the heartbeat is due. */
  offer(report: NodeReport, observedAt: number): Promise<void> | undefined {
    if (this.inFlight) return undefined;
    const now = this.now();
    const print = fingerprint(report);
    const due = !this.written || this.written.fingerprint !== print || now - this.written.at >= this.opts.heartbeatMs;
    if (!due || now < this.retryAt) return undefined;
    const uid = this.opts.nodeUid();
    if (!uid) return undefined; // the Node is not known yet (or the API is away): no owner to name
    this.inFlight = this.write(report, observedAt, uid, print).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async write(report: NodeReport, observedAt: number, uid: string, print: string): Promise<void> {
    const name = this.opts.nodeName;
    const path = `/apis/${GROUP}/${VERSION}/${PLURAL}/${encodeURIComponent(name)}`;
    const object = reportObject(report, {
      observedAt,
      agentVersion: AGENT_VERSION,
      heartbeatSeconds: Math.round(this.opts.heartbeatMs / 1000),
      intervalSeconds: Math.max(1, Math.round(this.opts.intervalMs / 1000)),
      rootCause: report.rootCause,
    });
    try {
      if (!this.created) {
        // The object itself (its owner, its labels); the status subresource is applied apart.
        const metadata = { name, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid }] };
        await this.opts.client.apply(path, { apiVersion: API_VERSION, kind: KIND, metadata }, FIELD_MANAGER);
        this.created = true;
      }
      await this.opts.client.apply(`${path}/status`, { apiVersion: API_VERSION, kind: KIND, metadata: { name }, status: object.status }, FIELD_MANAGER);
      this.written = { fingerprint: print, at: this.now() };
      this.stats.ok++;
      this.stats.lastWriteAt = this.written.at;
      this.backoffMs = 0;
      this.retryAt = 0;
      if (this.logged) this.opts.log('info', `nodereport ${name} written again`);
      this.logged = undefined;
    } catch (e) {
      this.stats.failed++;
      const status = e instanceof KubeError ? e.status : undefined;
      let message: string;
      if (status === 404 && this.created) {
        // Deleted (by hand, or with its Node): create it again on the next cycle.
        this.created = false;
        message = `nodereport ${name} was deleted; creating it again`;
      } else if (status === 404) {
        message = `the NodeReport CRD (${PLURAL}.${GROUP}) is not installed, so this node's report is not published (metrics go on): kubectl apply -k deploy/`;
      } else if (status === 403) {
        message = `not allowed to write nodereport ${name}: ${(e as Error).message}`;
      } else {
        message = `writing nodereport ${name} failed: ${(e as Error).message}`;
      }
      this.backoffMs = status === 404 && !this.created && message.includes('deleted') ? 0 : Math.min(this.backoffMs ? this.backoffMs * 2 : BACKOFF_MS.first, BACKOFF_MS.max);
      this.retryAt = this.now() + this.backoffMs;
      if (this.logged !== message) this.opts.log('warn', message);
      this.logged = message;
    }
  }
}
