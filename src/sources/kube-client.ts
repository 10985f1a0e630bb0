import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { AuthError, type ClusterAuth, inClusterAuth, kubeconfigAuth } from './cluster-auth';

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
  /** Reuse connections (the plugin's short burst of requests); the agent's long watches do not. */
  keepAlive?: boolean;
}

interface ListBody<T> {
  items?: T[];
  metadata?: { continue?: string };
}

/**
 * A small Kubernetes REST client. Every request has a deadline, every failure becomes a KubeError
 * with a message naming what to fix, and requests and bytes are counted for the benchmarks.
 */
export class KubeClient {
  requests = 0;
  bytes = 0;
  private readonly server: URL;
  private agent?: http.Agent;

  private constructor(
    private readonly auth: ClusterAuth,
    private readonly timeoutMs: number,
    private readonly keepAlive: boolean,
  ) {
    try {
      this.server = new URL(auth.server);
    } catch {
      throw new KubeError(`the kubeconfig's server address ${JSON.stringify(auth.server)} is not a URL`);
    }
  }

  /** From the kubeconfig, or, for the agent in a pod, from its service account. */
  static async load(opts: ClientOptions): Promise<KubeClient> {
    const inCluster = !opts.kubeconfig && opts.inCluster && !!process.env.KUBERNETES_SERVICE_HOST;
    try {
      const auth = inCluster ? inClusterAuth() : await kubeconfigAuth(opts.kubeconfig, opts.context);
      return new KubeClient(auth, opts.requestTimeoutMs, opts.keepAlive ?? false);
    } catch (e) {
      if (e instanceof AuthError) throw new KubeError(e.message);
      throw new KubeError(`cannot load cluster credentials: ${(e as Error).message.split('\n')[0]}`);
    }
  }


  async get<T>(path: string): Promise<T> {
    const body = await this.getText(path, 'application/json');
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new KubeError(`the API server sent truncated or invalid JSON for GET ${path.split('?')[0]}`);
    }
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
          res.on('end', () => reject(httpError(res.statusCode ?? 0, Buffer.concat(chunks).toString(), `WATCH ${path.split('?')[0]}`, this.server.origin, this.auth.names.user)));
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
    await this.auth.apply(opts);
    this.checkClientCertificate(opts.cert);
    // KubeConfig makes a new agent, so a new TLS handshake, per request; share one instead
    // (unless a proxy agent is configured).
    if (this.keepAlive && !this.auth.proxied) {
      const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = opts;
      this.agent ??=
        this.server.protocol === 'http:'
          ? new http.Agent({ keepAlive: true })
          : new https.Agent({ keepAlive: true, maxSockets: 16, ca, cert, key, pfx, passphrase, rejectUnauthorized, servername });
      opts.agent = this.agent;
    }
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
          else reject(httpError(status, body, verb, this.server.origin, this.auth.names.user));
        });
      });
      req.on('error', (e) => {
        clearTimeout(deadline);
        reject(this.explain(e, verb));
      });
      req.end();
    });
  }

  private certificateChecked = false;

  /**
   * An expired client certificate fails the TLS handshake in ways that name nothing (a reset, or
   * "bad certificate"); say which certificate and since when, before connecting.
   */
  private checkClientCertificate(cert: https.RequestOptions['cert']): void {
    if (this.certificateChecked || !cert) return;
    this.certificateChecked = true;
    const pem = Array.isArray(cert) ? cert[0] : cert;
    let validTo: Date;
    try {
      validTo = new Date(new X509Certificate(pem as string | Buffer).validTo);
    } catch {
      return; // not PEM we can read; let the handshake decide
    }
    if (validTo.getTime() < Date.now()) {
      throw new KubeError(
        `x509: the client certificate of user "${this.auth.names.user}" expired on ${validTo.toISOString().slice(0, 10)} (kubeadm certs renew admin.conf on a control-plane node, or fetch a new kubeconfig)`,
      );
    }
  }

  private explain(e: Error, verb: string): KubeError {
    if (e instanceof KubeError) return e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const at = this.server.origin;
    const { context, cluster } = this.auth.names;
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
          `x509: the certificate of ${at} is signed by an authority that the certificate-authority-data of cluster "${cluster}" does not trust; the kubeconfig may be stale (was the cluster re-created? copy /etc/kubernetes/admin.conf again)`,
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

function httpError(status: number, body: string, verb: string, at: string, user: string): KubeError {
  let message: string | undefined;
  try {
    message = (JSON.parse(body) as { message?: string }).message;
  } catch {
    // not a Status object
  }
  if (status === 401) return new KubeError(`Unauthorized: the API server at ${at} rejected the credentials of user "${user}" (expired token or client certificate?)`, status);
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
  const ms = Math.round(Number(m[1]) * unit);
  if (ms <= 0) throw new KubeError(`invalid duration ${JSON.stringify(text)}: must be more than zero`);
  return ms;
}
