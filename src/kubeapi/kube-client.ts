import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { clip } from '../util/text';
import { AuthError, type ClusterAuth, inClusterAuth, kubeconfigAuth } from './cluster-auth';
import { type ConnectionFlags, KubeconfigError } from './kubeconfig';
import { HttpProxyAgent, HttpsProxyAgent, ProxyError } from './proxy';

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
  /** --kubeconfig, --context and the rest of kubectl's connection flags. */
  connection?: ConnectionFlags;
  requestTimeoutMs: number;
  inCluster?: boolean;
  /** Reuse connections (the plugin's short burst of requests); the agent's long watches do not. */
  keepAlive?: boolean;
  limits?: Partial<InputLimits>;
}

/** How much the API server may send: past these, the request is ended with one clear error. */
export interface InputLimits {
  /** One response body (a GET, or one page of a LIST), and all those being read at once together. */
  maxResponseBytes: number;
  /** One line (one event) of a WATCH. */
  maxEventBytes: number;
}

export const DEFAULT_LIMITS: InputLimits = { maxResponseBytes: 64 * 1024 * 1024, maxEventBytes: 1024 * 1024 };

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

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
  /** Bytes held by answers still being read, and how many: the size cap applies to their sum. */
  private buffered = 0;
  private reading = 0;
  /** Every request with its timing, when asked for (NETCHECK_DEBUG_REQUESTS, for profiling). */
  timeline?: { what: string; status: number; startMs: number; endMs: number; bytes: number }[];
  private server: URL;
  /** The server as configured; `server` differs from it while requests go to the API server directly. */
  private readonly configured: URL;
  /** The name the certificate is checked against while redirected (kubernetes.default.svc). */
  private redirectedName?: string;
  private agent?: http.Agent;
  private agentCert?: https.RequestOptions['cert'];

  private constructor(
    private readonly auth: ClusterAuth,
    private readonly timeoutMs: number,
    private readonly keepAlive: boolean,
    private readonly limits: InputLimits,
  ) {
    try {
      this.server = new URL(auth.server);
    } catch {
      throw new KubeError(`the kubeconfig's server address ${JSON.stringify(auth.server)} is not a URL`);
    }
    this.configured = this.server;
  }

  /** The server requests go to now ("https://10.96.0.1:443"). */
  get origin(): string {
    return this.server.origin;
  }

  get configuredOrigin(): string {
    return this.configured.origin;
  }

  /**
   * Sends requests to `hostPort` (an API server's own address) instead of the configured server,
   * verifying its certificate for `serverName` as a pod would; undefined: back to the configured
   * server. Used by the agent when the kubernetes Service fails (src/kubeapi/direct.ts).
   */
  redirect(hostPort: string | undefined, serverName = 'kubernetes.default.svc'): void {
    const next = hostPort ? new URL(`${this.configured.protocol}//${hostPort}`) : this.configured;
    if (next.origin === this.server.origin) return;
    this.server = next;
    this.redirectedName = hostPort ? serverName : undefined;
    this.agent?.destroy();
    this.agent = undefined;
  }

  /** The TLS settings a request to the API server uses (its CA), for a probe that verifies the same way. */
  async tlsSettings(): Promise<Pick<https.RequestOptions, 'ca' | 'rejectUnauthorized'>> {
    const opts: https.RequestOptions = { headers: {} };
    await this.auth.apply(opts);
    return { ca: opts.ca, rejectUnauthorized: opts.rejectUnauthorized };
  }

  /** From the kubeconfig, or, for the agent in a pod, from its service account. */
  static async load(opts: ClientOptions): Promise<KubeClient> {
    const inCluster = !opts.connection?.kubeconfig && opts.inCluster && !!process.env.KUBERNETES_SERVICE_HOST;
    try {
      const auth = inCluster ? inClusterAuth() : kubeconfigAuth(opts.connection ?? {});
      return new KubeClient(auth, opts.requestTimeoutMs, opts.keepAlive ?? false, { ...DEFAULT_LIMITS, ...opts.limits });
    } catch (e) {
      if (e instanceof AuthError || e instanceof KubeconfigError || e instanceof ProxyError) throw new KubeError(e.message);
      throw new KubeError(`cannot load cluster credentials: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** GET as JSON; `accept` asks for another representation (PartialObjectMetadataList, for names only). */
  async get<T>(path: string, accept = 'application/json'): Promise<T> {
    const body = await this.getText(path, accept);
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
   * connection drops (rejects), `signal` aborts (resolves), or `deadlineMs` passes (rejects: a
   * server that never ends a watch it was asked to end is not trusted to be sending either). An
   * event line longer than the limit ends the watch with an error; the caller reconnects.
   */
  async watch<T>(path: string, onEvent: (event: { type: string; object: T }) => void, signal: AbortSignal, deadlineMs: number): Promise<void> {
    const opts = await this.requestOptions(path, 'application/json');
    this.requests++;
    const transport = this.server.protocol === 'http:' ? http : https;
    const verb = `WATCH ${path.split('?')[0]}`;
    return new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(
        () => req.destroy(new KubeError(`${verb} was not ended by the API server at ${this.server.origin} within ${Math.round(deadlineMs / 1000)}s; reconnecting`)),
        deadlineMs,
      );
      deadline.unref?.();
      const settle = (error?: Error) => {
        clearTimeout(deadline);
        signal.removeEventListener('abort', onAbort);
        if (error && !signal.aborted) reject(error);
        else resolve();
      };
      const onAbort = () => req.destroy();
      const req = transport.request(opts, (res) => {
        req.setTimeout(0);
        if (res.statusCode !== 200) {
          collectBody(res, 64 * 1024, (body) => settle(httpError(res.statusCode ?? 0, body, verb, this.server.origin, this.auth.names.user)));
          return;
        }
        const lines = new LineBuffer();
        res.on('data', (c: Buffer) => {
          this.bytes += c.length;
          try {
            lines.push(c, (line) => {
              if (line.trim()) onEvent(JSON.parse(line));
            });
          } catch (e) {
            req.destroy(e instanceof SyntaxError ? new KubeError(`${verb} sent an event that is not JSON`) : (e as Error));
            return;
          }
          if (lines.pending > this.limits.maxEventBytes) {
            req.destroy(new KubeError(`${verb} sent an event larger than ${mib(this.limits.maxEventBytes)}; reconnecting`));
          }
        });
        res.on('end', () => settle());
        res.on('error', (e) => settle(this.explain(e, verb)));
      });
      req.on('timeout', () => req.destroy(new KubeError(`the API server at ${this.server.origin} did not answer a WATCH within ${this.timeoutMs / 1000}s`)));
      req.on('error', (e) => settle(this.explain(e, verb)));
      signal.addEventListener('abort', onAbort, { once: true });
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
      ...(this.timeoutMs > 0 ? { timeout: this.timeoutMs } : {}),
    };
    await this.auth.apply(opts);
    if (this.redirectedName) opts.servername = this.redirectedName;
    this.checkClientCertificate(opts.cert);
    opts.agent = this.agentFor(opts);
    return opts;
  }

  /**
   * One agent for the client, so one TLS session for the plugin's burst of requests; made again
   * only if an exec plugin hands out a new client certificate.
   */
  private agentFor(opts: https.RequestOptions): http.Agent | undefined {
    const proxy = this.auth.proxy;
    if (!this.keepAlive && !proxy) return undefined;
    if (this.agent && this.agentCert === opts.cert) return this.agent;
    this.agent?.destroy();
    const { ca, cert, key, rejectUnauthorized, servername } = opts;
    const common = { keepAlive: this.keepAlive, maxSockets: 4 };
    const tlsOptions = { ...common, ca, cert, key, rejectUnauthorized, servername };
    if (this.server.protocol === 'http:') this.agent = proxy ? new HttpProxyAgent(proxy, this.timeoutMs, common) : new http.Agent(common);
    else this.agent = proxy ? new HttpsProxyAgent(proxy, this.timeoutMs, tlsOptions) : new https.Agent(tlsOptions);
    this.agentCert = cert;
    return this.agent;
  }

  async getText(path: string, accept = '*/*'): Promise<string> {
    return this.send('GET', path, { accept });
  }

  /**
   * A server-side apply (PATCH application/apply-patch+yaml; JSON is YAML) as `fieldManager`,
   * forcing ownership of the fields it sets: the agent is their only writer.
   */
  async apply<T>(path: string, object: object, fieldManager: string): Promise<T> {
    const body = await this.send('PATCH', withQuery(path, { fieldManager, force: 'true' }), { accept: 'application/json', body: JSON.stringify(object), contentType: 'application/apply-patch+yaml' });
    return JSON.parse(body) as T;
  }

  /** A strategic merge patch (as the kubelet and node-problem-detector write Node conditions). */
  async patchStrategic<T>(path: string, patch: object): Promise<T> {
    const body = await this.send('PATCH', path, { accept: 'application/json', body: JSON.stringify(patch), contentType: 'application/strategic-merge-patch+json' });
    return JSON.parse(body) as T;
  }

  /** One request; after a 401, once more with a fresh credential if the credential plugin may give one. */
  private async send(method: string, path: string, opts: { accept: string; body?: string; contentType?: string }): Promise<string> {
    try {
      return await this.sendOnce(method, path, opts);
    } catch (e) {
      if (e instanceof KubeError && e.status === 401 && this.auth.refresh()) return this.sendOnce(method, path, opts);
      throw e;
    }
  }

  /** One request, its answer's body bounded in size and the whole exchange in time. */
  private async sendOnce(method: string, path: string, opts: { accept: string; body?: string; contentType?: string }): Promise<string> {
    const request = await this.requestOptions(path, opts.accept);
    request.method = method;
    if (opts.body !== undefined) request.headers = { ...request.headers, 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(opts.body) };
    this.requests++;
    const transport = this.server.protocol === 'http:' ? http : https;
    const verb = `${method} ${path.split('?')[0]}`;
    const started = performance.now();
    return new Promise<string>((resolve, reject) => {
      // kubectl's --request-timeout: per request, and 0 means none.
      const deadline =
        this.timeoutMs > 0
          ? setTimeout(() => {
              req.destroy(new KubeError(`the API server at ${this.server.origin} did not answer ${verb} within ${this.timeoutMs / 1000}s (--request-timeout)`));
            }, this.timeoutMs)
          : undefined;
      const req = transport.request(request, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        this.reading++;
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          this.reading--;
          this.buffered -= size;
        };
        res.on('close', release);
        res.on('data', (c: Buffer) => {
          size += c.length;
          this.buffered += c.length;
          this.bytes += c.length;
          const max = this.limits.maxResponseBytes;
          if (size > max) return req.destroy(new KubeError(`the API server's answer to ${verb} is larger than ${mib(max)}; stopped reading it`));
          // The cap holds for all answers in flight together, so parallel requests cannot multiply it.
          if (this.buffered > max) {
            const others = this.reading - 1;
            return req.destroy(
              new KubeError(`the API server's answers to ${verb} and ${others} other request${others === 1 ? '' : 's'} in flight are larger than ${mib(max)} together; stopped reading them`),
            );
          }
          chunks.push(c);
        });
        res.on('error', (e) => reject(this.explain(e, verb)));
        res.on('end', () => {
          clearTimeout(deadline);
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          this.timeline?.push({ what: `${method} ${path}`, status, startMs: started, endMs: performance.now(), bytes: size });
          if (status >= 200 && status < 300) resolve(body);
          else reject(httpError(status, body, verb, this.server.origin, this.auth.names.user));
        });
      });
      req.on('error', (e) => {
        clearTimeout(deadline);
        reject(this.explain(e, verb));
      });
      req.end(opts.body);
    });
  }

  /** The client certificate checked (it may change when an exec plugin hands out another), and the verdict. */
  private checkedCertificate?: https.RequestOptions['cert'];
  private certificateProblem?: KubeError;

  /**
   * An expired client certificate fails the TLS handshake in ways that name nothing (a reset, or
   * "bad certificate"); say which certificate and since when, before connecting, on every request.
   */
  private checkClientCertificate(cert: https.RequestOptions['cert']): void {
    if (!cert) return;
    if (this.checkedCertificate !== cert) {
      this.checkedCertificate = cert;
      this.certificateProblem = undefined;
      const pem = Array.isArray(cert) ? cert[0] : cert;
      let validTo: Date | undefined;
      try {
        validTo = new Date(new X509Certificate(pem as string | Buffer).validTo);
      } catch {
        // not PEM we can read; let the handshake decide
      }
      if (validTo && validTo.getTime() < Date.now()) {
        this.certificateProblem = new KubeError(
          `x509: the client certificate of user "${this.auth.names.user}" expired on ${validTo.toISOString().slice(0, 10)} (kubeadm certs renew admin.conf on a control-plane node, or fetch a new kubeconfig)`,
        );
      }
    }
    if (this.certificateProblem) throw this.certificateProblem;
  }

  private explain(e: Error, verb: string): KubeError {
    if (e instanceof KubeError) return e;
    if (e instanceof ProxyError || e instanceof KubeconfigError) return new KubeError(e.message);
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
        return new KubeError(`x509: the certificate of ${at} is not valid for ${this.auth.serverName ?? this.server.hostname.replace(/^\[|\]$/g, '')}`);
      default:
        if (/certificate|SSL|TLS/i.test(e.message)) return new KubeError(`TLS failure talking to ${at}: ${e.message}`);
        return new KubeError(`${verb} to ${at} failed: ${e.message}`);
    }
  }
}

/**
 * Splits a stream into lines without re-scanning or re-copying what it holds: each chunk is searched
 * once, and a partial line is kept as the chunks it came in until its newline arrives.
 */
class LineBuffer {
  private parts: Buffer[] = [];
  pending = 0;

  push(chunk: Buffer, onLine: (line: string) => void): void {
    let start = 0;
    let eol: number;
    while ((eol = chunk.indexOf(10, start)) >= 0) {
      const piece = chunk.subarray(start, eol);
      const line = this.parts.length ? Buffer.concat([...this.parts, piece]) : piece;
      this.parts = [];
      this.pending = 0;
      start = eol + 1;
      onLine(line.toString('utf8'));
    }
    if (start < chunk.length) {
      this.parts.push(chunk.subarray(start));
      this.pending += chunk.length - start;
    }
  }
}

/** Reads a (small) body up to `max` bytes; the rest is dropped. */
function collectBody(res: http.IncomingMessage, max: number, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    if (size < max) chunks.push(c.subarray(0, max - size));
    size += c.length;
  });
  res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
  res.on('error', () => done(Buffer.concat(chunks).toString('utf8')));
}

function httpError(status: number, body: string, verb: string, at: string, user: string): KubeError {
  let message: string | undefined;
  try {
    const text = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof text === 'string') message = clip(text, 300);
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
