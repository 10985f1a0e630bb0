import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** A failure a user can act on, worded as one line. */
export class KubeError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

export interface ClientOptions {
  kubeconfig?: string;
  context?: string;
  requestTimeoutMs: number;
  inCluster?: boolean;
}

interface ListBody<T> {
  items?: T[];
  metadata?: { continue?: string };
}

/**
 * A small Kubernetes REST client over KubeConfig (which handles contexts, certificates, tokens and
 * exec credential plugins). Every request has a deadline, every failure becomes a KubeError with a
 * message naming what to fix, and requests and bytes are counted for the benchmarks.
 */
export class KubeClient {
  requests = 0;
  bytes = 0;
  private readonly server: URL;

  private constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new KubeError(`context "${kc.getCurrentContext()}" names no cluster in the kubeconfig`);
    try {
      this.server = new URL(cluster.server);
    } catch {
      throw new KubeError(`the kubeconfig's server address ${JSON.stringify(cluster.server)} is not a URL`);
    }
  }

  static load(opts: ClientOptions): KubeClient {
    const kc = new KubeConfig();
    const inCluster = !opts.kubeconfig && opts.inCluster && !!process.env.KUBERNETES_SERVICE_HOST;
    const files = opts.kubeconfig ? [opts.kubeconfig] : (process.env.KUBECONFIG ?? path.join(os.homedir(), '.kube', 'config')).split(path.delimiter).filter(Boolean);
    if (!inCluster && !files.some((f) => fs.existsSync(f))) {
      throw new KubeError(`no kubeconfig found at ${files.join(', ') || '(empty KUBECONFIG)'}: set KUBECONFIG or pass --kubeconfig`);
    }
    try {
      if (inCluster) kc.loadFromCluster();
      else if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
      else kc.loadFromDefault();
    } catch (e) {
      throw new KubeError(`kubeconfig ${files.join(', ')} is not valid: ${(e as Error).message.split('\n')[0]}`);
    }
    if (opts.context) {
      if (!kc.getContextObject(opts.context)) throw new KubeError(`context "${opts.context}" does not exist in the kubeconfig`);
      kc.setCurrentContext(opts.context);
    }
    if (!kc.getCurrentContext()) throw new KubeError('the kubeconfig has no current-context: pass --context');
    return new KubeClient(kc, opts.requestTimeoutMs);
  }

  get contextName(): string {
    return this.kc.getCurrentContext();
  }

  async get<T>(path: string): Promise<T> {
    return JSON.parse(await this.getText(path, 'application/json')) as T;
  }

  /** GET that returns undefined on 404. */
  async find<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** LIST following `continue` tokens, `pageSize` items a request. */
  async list<T>(path: string, query: Record<string, string | undefined> = {}, pageSize = 500): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.get<ListBody<T>>(withQuery(path, { ...query, limit: String(pageSize), continue: token }));
      items.push(...(page.items ?? []));
      token = page.metadata?.continue || undefined;
    } while (token);
    return items;
  }

  /**
   * A WATCH: streams newline-delimited events to `onEvent` until the server ends the watch, the
   * connection drops (rejects) or `signal` aborts (resolves). Only connecting has a deadline.
   */
  async watch<T>(path: string, onEvent: (event: { type: string; object: T }) => void, signal: AbortSignal): Promise<void> {
    const opts = await this.requestOptions(path, 'application/json');
    this.requests++;
    const transport = this.server.protocol === 'http:' ? http : https;
    return new Promise<void>((resolve, reject) => {
      const req = transport.request(opts, (res) => {
        req.setTimeout(0);
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(httpError(res.statusCode ?? 0, Buffer.concat(chunks).toString(), `WATCH ${path.split('?')[0]}`, this.server.origin, this.kc)));
          return;
        }
        let pending = '';
        res.on('data', (c: Buffer) => {
          this.bytes += c.length;
          pending += c.toString('utf8');
          let eol: number;
          while ((eol = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, eol).trim();
            pending = pending.slice(eol + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line));
            } catch (e) {
              req.destroy(e as Error);
              return;
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => reject(this.explain(e, 'WATCH')));
      });
      req.on('timeout', () => req.destroy(new KubeError(`the API server at ${this.server.origin} did not answer a WATCH within ${this.timeoutMs / 1000}s`)));
      req.on('error', (e) => (signal.aborted ? resolve() : reject(this.explain(e, 'WATCH'))));
      signal.addEventListener('abort', () => req.destroy(), { once: true });
      req.end();
    });
  }

  private async requestOptions(path: string, accept: string): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {
      method: 'GET',
      protocol: this.server.protocol,
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || undefined,
      path: this.server.pathname.replace(/\/$/, '') + path,
      headers: { Accept: accept, 'User-Agent': 'netcheck' },
      timeout: this.timeoutMs,
    };
    await this.kc.applyToHTTPSOptions(opts);
    return opts;
  }

  async getText(path: string, accept = '*/*'): Promise<string> {
    const opts = await this.requestOptions(path, accept);
    this.requests++;
    const transport = this.server.protocol === 'http:' ? http : https;
    const verb = `GET ${path.split('?')[0]}`;
    return new Promise<string>((resolve, reject) => {
      const deadline = setTimeout(() => {
        req.destroy(new KubeError(`the API server at ${this.server.origin} did not answer ${verb} within ${this.timeoutMs / 1000}s (--request-timeout)`));
      }, this.timeoutMs);
      const req = transport.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          this.bytes += c.length;
        });
        res.on('error', (e) => reject(this.explain(e, verb)));
        res.on('end', () => {
          clearTimeout(deadline);
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(body);
          else reject(httpError(status, body, verb, this.server.origin, this.kc));
        });
      });
      req.on('error', (e) => {
        clearTimeout(deadline);
        reject(this.explain(e, verb));
      });
      req.end();
    }).then((body) => {
      if (accept === 'application/json') {
        try {
          JSON.parse(body);
        } catch {
          throw new KubeError(`the API server sent truncated or invalid JSON for ${verb}`);
        }
      }
      return body;
    });
  }

  private explain(e: Error, verb: string): KubeError {
    if (e instanceof KubeError) return e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const at = this.server.origin;
    const context = this.kc.getCurrentContext();
    switch (code) {
      case 'ECONNREFUSED':
        return new KubeError(`the API server at ${at} refused the connection: is it running, and is context "${context}" the right cluster?`);
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new KubeError(`the API server host ${this.server.hostname} does not resolve (context "${context}")`);
      case 'ECONNRESET':
      case 'EPIPE':
        return new KubeError(`the API server at ${at} closed the connection during ${verb}`);
      case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      case 'SELF_SIGNED_CERT_IN_CHAIN':
      case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      case 'CERT_SIGNATURE_FAILURE':
        return new KubeError(
          `x509: the certificate of ${at} is signed by an authority that the certificate-authority-data of cluster "${this.kc.getCurrentCluster()?.name}" does not trust; the kubeconfig may be stale (was the cluster re-created? copy /etc/kubernetes/admin.conf again)`,
        );
      case 'CERT_HAS_EXPIRED':
        return new KubeError(`x509: a certificate has expired talking to ${at} (kubeadm certs check-expiration on a control-plane node)`);
      case 'ERR_TLS_CERT_ALTNAME_INVALID':
        return new KubeError(`x509: the certificate of ${at} is not valid for ${this.server.hostname}`);
      default:
        if (/certificate|SSL|TLS/i.test(e.message)) return new KubeError(`TLS failure talking to ${at}: ${e.message}`);
        return new KubeError(`${verb} to ${at} failed: ${e.message}`);
    }
  }
}

function httpError(status: number, body: string, verb: string, at: string, kc: KubeConfig): KubeError {
  let message: string | undefined;
  try {
    message = (JSON.parse(body) as { message?: string }).message;
  } catch {
    // not a Status object
  }
  if (status === 401) return new KubeError(`Unauthorized: the API server at ${at} rejected the credentials of user "${kc.getCurrentUser()?.name}" (expired token or client certificate?)`, status);
  if (status === 403) return new KubeError(message ?? `forbidden: ${verb}`, status);
  if (status === 404) return new KubeError(message ?? `not found: ${verb}`, status);
  return new KubeError(`the API server answered ${status} to ${verb}${message ? `: ${message}` : ''}`, status);
}

export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** "5s", "500ms", "2m", or bare seconds, as kubectl's --request-timeout takes them. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new KubeError(`invalid duration ${JSON.stringify(text)} (use e.g. 5s, 500ms, 1m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}
