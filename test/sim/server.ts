// The simulated cluster: Kubernetes' REST API over fixture objects, for tests, benchmarks and the
// demo. Real kubectl, the plugin and the agent talk to it as to any API server.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateCluster } from './generate';
import { fieldMatcher, labelMatcher } from './selectors';
import { type Resource, RESOURCES, Store } from './store';
import { toTable } from './tables';

type Obj = Record<string, any>;

export interface SimOptions {
  fixtures: string[];
  port: number;
  generate?: { nodes: number; podsPerNode: number };
  /**
   * How the server misbehaves: blackhole (accepts, never answers), unauthorized, error500,
   * error503, truncated (half a JSON body), endless-body (every GET streams a body that never
   * ends), endless-watch (every WATCH streams one line that never ends).
   */
  fault?: 'blackhole' | 'unauthorized' | 'error500' | 'error503' | 'truncated' | 'endless-body' | 'endless-watch';
  forbid: string[]; // "verb resource" pairs refused with 403, e.g. "get pods/log", "list configmaps"
  tls?: { cert: string; key: string };
  clientCa?: string; // require client certificates signed by this CA, as --client-ca-file does
  kubeconfigOut?: string;
  ca?: string;
}

function status(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function send(res: http.ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A 200 whose body starts like JSON and never ends, as fast as the client reads it. */
function endless(res: http.ServerResponse, start: string): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.write(start);
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let open = true;
  res.on('close', () => (open = false));
  const pump = () => {
    while (open && res.write(chunk));
    if (open) res.once('drain', pump);
  };
  pump();
}

function discovery(host: string): Record<string, Obj> {
  const resourceList = (groupVersion: string, group: string) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: RESOURCES.filter((r) => r.group === group).flatMap((r) => [
      { name: r.name, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'list', 'watch'] },
      ...(r.name === 'pods' ? [{ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] }, { name: 'pods/proxy', singularName: '', namespaced: true, kind: 'PodProxyOptions', verbs: ['get'] }] : []),
    ]),
  });
  const groups = [...new Set(RESOURCES.filter((r) => r.group).map((r) => `${r.group}/${r.version}`))];
  return {
    '/version': { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' },
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] },
    '/apis': {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: 'v1' }], preferredVersion: { groupVersion: gv, version: 'v1' } })),
    },
    '/api/v1': resourceList('v1', ''),
    ...Object.fromEntries(groups.map((gv) => [`/apis/${gv}`, resourceList(gv, gv.split('/')[0])])),
  };
}

interface Route {
  resource: Resource;
  namespace?: string;
  name?: string;
  subresource?: string;
  proxyPort?: string;
  proxyPath?: string;
}

function route(pathname: string): Route | undefined {
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/v1)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?(\/.*)?$/.exec(pathname);
  if (!m) return undefined;
  const [, group = '', ns, plural, nameAndPort, subresource, rest] = m;
  const resource = RESOURCES.find((r) => r.name === plural && r.group === group);
  if (!resource) return undefined;
  const [name, proxyPort] = (nameAndPort ?? '').split(':');
  return { resource, namespace: ns, name: name || undefined, subresource, proxyPort, proxyPath: rest ?? '/' };
}

export class SimCluster {
  readonly store = new Store();
  readonly requests: { method: string; path: string; bytes: number; userAgent: string }[] = [];
  private readonly watchers = new Set<{ resource: Resource; match: (o: Obj) => boolean; res: http.ServerResponse }>();
  private server?: http.Server;
  url = '';

  constructor(private readonly opts: SimOptions) {
    for (const f of opts.fixtures) this.store.loadFile(f);
    if (opts.generate) generateCluster(this.store, opts.generate.nodes, opts.generate.podsPerNode);
  }

  async start(): Promise<string> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    const clientAuth = this.opts.clientCa ? { requestCert: true, rejectUnauthorized: true, ca: fs.readFileSync(this.opts.clientCa) } : {};
    this.server = this.opts.tls
      ? https.createServer({ cert: fs.readFileSync(this.opts.tls.cert), key: fs.readFileSync(this.opts.tls.key), ...clientAuth }, handler)
      : http.createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(this.opts.port, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    if (this.opts.kubeconfigOut) fs.writeFileSync(this.opts.kubeconfigOut, this.kubeconfig());
    return this.url;
  }

  kubeconfig(): string {
    const ca = this.opts.ca ? `\n    certificate-authority-data: ${fs.readFileSync(this.opts.ca).toString('base64')}` : '';
    return `apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster:
    server: ${this.url}${ca}
contexts:
- name: sim
  context: {cluster: sim, user: sim}
current-context: sim
users:
- name: sim
  user: {token: sim-token}
`;
  }

  close(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.server?.closeAllConnections?.();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Replace or add an object and tell the watchers, as an API server would on a write. */
  upsert(obj: Obj): void {
    const resource = RESOURCES.find((r) => r.kind === obj.kind)!;
    const list = this.store.objects.get(resource.name)!;
    const i = list.findIndex((o) => o.metadata.name === obj.metadata.name && o.metadata.namespace === obj.metadata?.namespace);
    const type = i >= 0 ? 'MODIFIED' : 'ADDED';
    if (i >= 0) list.splice(i, 1);
    if (obj.kind === 'Pod') for (const pods of this.store.podsByNode.values()) pods.splice(0, pods.length, ...pods.filter((p) => p.metadata.name !== obj.metadata.name));
    obj.metadata.resourceVersion = String(++this.store.resourceVersion);
    this.store.add(obj);
    for (const w of this.watchers) if (w.resource === resource && w.match(obj)) w.res.write(JSON.stringify({ type, object: obj }) + '\n');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname.startsWith('/sim/')) return this.admin(req, res, url);
    const entry = { method: req.method ?? 'GET', path: url.pathname + url.search, bytes: 0, userAgent: req.headers['user-agent'] ?? '' };
    this.requests.push(entry);
    // Count the bytes each request is answered with, for the benchmarks' bytes-received comparison.
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const count = (chunk: unknown) => {
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) entry.bytes += Buffer.byteLength(chunk);
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => (count(chunk), write(chunk as never, ...(rest as [])))) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => (count(chunk), end(chunk as never, ...(rest as [])))) as typeof res.end;
    const fault = this.opts.fault;
    if (fault === 'blackhole') return; // accept, never answer
    if (fault === 'unauthorized') return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    if (fault === 'error500' || fault === 'error503') {
      const code = fault === 'error500' ? 500 : 503;
      return send(res, code, status(code, code === 500 ? 'InternalError' : 'ServiceUnavailable', code === 500 ? 'Internal error occurred: etcdserver: request timed out' : 'the server is currently unable to handle the request'));
    }
    if (fault === 'endless-body') return endless(res, '{"kind":"List","apiVersion":"v1","items":[{"metadata":{"name":"');
    const fixed = discovery(req.headers.host ?? '127.0.0.1')[url.pathname];
    if (fixed) return send(res, 200, fixed);
    const r = route(url.pathname);
    if (!r) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const verb = r.subresource ? 'get' : r.name ? 'get' : url.searchParams.get('watch') ? 'watch' : 'list';
    const what = r.subresource ? `${r.resource.name}/${r.subresource}` : r.resource.name;
    if (this.opts.forbid.some((f) => f === `${verb} ${what}` || f === what)) {
      const where = r.namespace ? ` in the namespace "${r.namespace}"` : ' at the cluster scope';
      return send(res, 403, status(403, 'Forbidden', `${what}${r.name ? ` "${r.name}"` : ''} is forbidden: User "sim" cannot ${verb} resource "${what}" in API group "${r.resource.group}"${where}`));
    }
    if (r.name && r.subresource === 'log') return this.log(res, r, url);
    if (r.name && r.subresource === 'proxy') return this.proxy(res, r, url);
    if (r.name) {
      const obj = this.store.findObject(r.resource, r.namespace, r.name);
      if (!obj) return send(res, 404, status(404, 'NotFound', `${r.resource.name} "${r.name}" not found`));
      return this.reply(res, req, r.resource.name, [obj], obj);
    }
    let match: (o: Obj) => boolean;
    try {
      const field = fieldMatcher(url.searchParams.get('fieldSelector'));
      const label = labelMatcher(url.searchParams.get('labelSelector'));
      match = (o) => field(o) && label(o);
    } catch (e) {
      return send(res, 400, status(400, 'BadRequest', (e as Error).message));
    }
    if (verb === 'watch') return this.watch(res, r, match, Number(url.searchParams.get('timeoutSeconds') ?? 0));
    const all = this.store.candidates(r.resource, r.namespace, url.searchParams.get('fieldSelector')).filter(match);
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const offset = Number(Buffer.from(url.searchParams.get('continue') ?? '', 'base64').toString() || 0);
    const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const more = limit > 0 && offset + limit < all.length;
    const list = {
      kind: `${r.resource.kind}List`,
      apiVersion: r.resource.group ? `${r.resource.group}/${r.resource.version}` : 'v1',
      metadata: {
        resourceVersion: String(this.store.resourceVersion),
        ...(more ? { continue: Buffer.from(String(offset + limit)).toString('base64'), remainingItemCount: all.length - offset - limit } : {}),
      },
      items: page,
    };
    this.reply(res, req, r.resource.name, page, list);
  }

  private reply(res: http.ServerResponse, req: http.IncomingMessage, resource: string, items: Obj[], body: Obj): void {
    if ((req.headers.accept ?? '').includes('as=Table')) {
      const table = toTable(resource, items, String(this.store.resourceVersion));
      if (body.metadata?.continue) table.metadata.continue = body.metadata.continue;
      return send(res, 200, table);
    }
    if (this.opts.fault === 'truncated') {
      const text = JSON.stringify(body);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(text.slice(0, Math.floor(text.length / 2)));
    }
    send(res, 200, body);
  }

  private log(res: http.ServerResponse, r: Route, url: URL): void {
    const pod = this.store.findObject(r.resource, r.namespace, r.name!);
    if (!pod) return send(res, 404, status(404, 'NotFound', `pods "${r.name}" not found`));
    const text = this.store.logs.get(`${r.namespace}/${r.name}`) ?? '';
    const tail = Number(url.searchParams.get('tailLines') ?? 0);
    const lines = text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
    send(res, 200, (tail > 0 ? lines.slice(-tail) : lines).join('\n') + '\n');
  }

  /** pods/proxy: forward to the pod's IP and port, as the API server does. */
  private proxy(res: http.ServerResponse, r: Route, url: URL): void {
    const pod = this.store.findObject(r.resource, r.namespace, r.name!);
    if (!pod) return send(res, 404, status(404, 'NotFound', `pods "${r.name}" not found`));
    const port = Number(r.proxyPort || pod.spec?.containers?.[0]?.ports?.[0]?.containerPort);
    const upstream = http.get({ host: pod.status?.podIP, port, path: r.proxyPath + url.search, timeout: 10_000 }, (up) => {
      res.writeHead(up.statusCode ?? 502, { 'Content-Type': up.headers['content-type'] ?? 'application/octet-stream' });
      up.pipe(res);
    });
    upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
    upstream.on('error', (e) =>
      send(res, 503, status(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${pod.status?.podIP}:${port}: ${e.message}`)),
    );
  }

  /** A WATCH ends after timeoutSeconds, as on a real API server, and the client renews it. */
  private watch(res: http.ServerResponse, r: Route, match: (o: Obj) => boolean, timeoutSeconds: number): void {
    if (this.opts.fault === 'endless-watch') return endless(res, '{"type":"ADDED","object":{"metadata":{"name":"');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    for (const obj of this.store.candidates(r.resource, r.namespace, null).filter(match)) res.write(JSON.stringify({ type: 'ADDED', object: obj }) + '\n');
    const watcher = { resource: r.resource, match: (o: Obj) => (!r.namespace || o.metadata.namespace === r.namespace) && match(o), res };
    this.watchers.add(watcher);
    const expiry = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(expiry);
      this.watchers.delete(watcher);
    });
  }

  /** Test-only endpoints: request log, and writes (the plugin and agent never call these). */
  private admin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    if (url.pathname === '/sim/requests') {
      if (req.method === 'DELETE') this.requests.length = 0;
      return send(res, 200, { requests: this.requests });
    }
    if (url.pathname === '/sim/objects' && req.method === 'PUT') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.upsert(JSON.parse(body));
        send(res, 200, { ok: true });
      });
      return;
    }
    send(res, 404, { error: 'unknown sim endpoint' });
  }
}
