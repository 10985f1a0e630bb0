// The simulated cluster: Kubernetes' REST API over fixture objects, for tests, benchmarks and the
// demo. Real kubectl, the plugin and the agent talk to it as to any API server: reads (GET, LIST
// with selectors and paging, WATCH, Table printing, pods/log, pods/proxy), writes (create,
// server-side apply, merge patch, update, delete, the status subresource), CustomResourceDefinitions
// served once created, schema validation, authentication by token or client certificate,
// impersonation, and ValidatingAdmissionPolicy.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import yaml from 'js-yaml';
import { admit, type UserInfo } from './admission';
import { generateCluster } from './generate';
import { fieldMatcher, labelMatcher } from './selectors';
import { type Resource, Store, timestamp } from './store';
import { toTable } from './tables';
import { validateCustomResource } from './validate';

type Obj = Record<string, any>;

export type Fault = 'blackhole' | 'unauthorized' | 'error500' | 'error503' | 'truncated' | 'endless-body' | 'endless-watch';

export interface SimOptions {
  fixtures: string[];
  port: number;
  /** The address to listen on (default 127.0.0.1; a test's network namespace may give its own). */
  address?: string;
  generate?: { nodes: number; podsPerNode: number; reports?: boolean };
  /**
   * How the server misbehaves: blackhole (accepts, never answers), unauthorized, error500,
   * error503, truncated (half a JSON body), endless-body (every GET streams a body that never
   * ends), endless-watch (every WATCH streams one line that never ends).
   */
  fault?: Fault;
  forbid: string[]; // "verb resource" pairs refused with 403, e.g. "get pods/log", "patch nodereports"
  tls?: { cert: string; key: string };
  clientCa?: string; // require client certificates signed by this CA, as --client-ca-file does
  kubeconfigOut?: string;
  ca?: string;
  /** Bearer tokens and who they authenticate: "TOKEN=USERNAME[,node=NODE]" (node: the bound token's node-name). */
  users?: string[];
}

export interface RequestRecord {
  method: string;
  path: string;
  bytes: number;
  userAgent: string;
  user: string;
  /** Impersonate-* headers as sent. */
  impersonate?: Record<string, string>;
  /** How the client authenticated: a client certificate, a bearer token, basic auth, or none. */
  credential: 'certificate' | 'bearer' | 'basic' | 'none';
  contentType?: string;
  accept?: string;
}

function credentialOf(req: http.IncomingMessage): RequestRecord['credential'] {
  if ((req.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN) return 'certificate';
  const authorization = req.headers.authorization ?? '';
  if (authorization.startsWith('Bearer ')) return 'bearer';
  if (authorization.startsWith('Basic ')) return 'basic';
  return 'none';
}

function status(code: number, reason: string, message: string, details?: Obj): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
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

const groupVersion = (r: Resource) => (r.group ? `${r.group}/${r.version}` : r.version);

function discovery(store: Store, host: string): Record<string, Obj> {
  const resourceList = (gv: string, group: string) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: store.resources
      .filter((r) => r.group === group)
      .flatMap((r) => [
        {
          name: r.name,
          singularName: r.singular ?? r.kind.toLowerCase(),
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          ...(r.shortNames ? { shortNames: r.shortNames } : {}),
          ...(r.categories ? { categories: r.categories } : {}),
        },
        ...(r.statusSubresource ? [{ name: `${r.name}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] }] : []),
        ...(r.name === 'pods'
          ? [
              { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
              { name: 'pods/proxy', singularName: '', namespaced: true, kind: 'PodProxyOptions', verbs: ['get'] },
            ]
          : []),
      ]),
  });
  const groups = [...new Set(store.resources.filter((r) => r.group).map(groupVersion))];
  return {
    '/version': { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' },
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] },
    '/apis': {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((gv) => {
        const [name, version] = gv.split('/');
        return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
      }),
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

function route(store: Store, pathname: string): Route | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?(\/.*)?$/.exec(pathname);
  if (!m) return undefined;
  const [, coreVersion, group = '', groupVersionName, ns, plural, nameAndPort, subresource, rest] = m;
  const version = coreVersion ?? groupVersionName;
  const resource = store.resources.find((r) => r.name === plural && r.group === group && r.version === version);
  if (!resource) return undefined;
  const [name, proxyPort] = decodeURIComponent(nameAndPort ?? '').split(':');
  return { resource, namespace: ns, name: name || undefined, subresource, proxyPort, proxyPath: rest ?? '/' };
}

/** RFC 7386 merge patch (null deletes a key). */
function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A strategic merge patch of a status, as far as Nodes need it: `conditions` merge by `type` (patchMergeKey). */
function strategicStatusPatch(target: any, patch: any): any {
  const merged = mergePatch(target, { ...patch, conditions: undefined });
  if (!Array.isArray(patch?.conditions)) return merged;
  const conditions: Obj[] = [...(target?.conditions ?? [])];
  for (const c of patch.conditions) {
    const i = conditions.findIndex((x) => x.type === c.type);
    if (i >= 0) conditions[i] = { ...conditions[i], ...c };
    else conditions.push(c);
  }
  return { ...merged, conditions };
}

function jsonPath(obj: Obj, path: string): unknown {
  let value: any = obj;
  for (const part of path.replace(/^\./, '').split('.')) value = value?.[part];
  return value;
}

function parseUsers(specs: string[] = []): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  for (const spec of specs) {
    const [token, rest] = spec.split(/=(.*)/s);
    const [username, ...attrs] = rest.split(',');
    const node = attrs.find((a) => a.startsWith('node='))?.slice(5);
    const groups = username.startsWith('system:serviceaccount:') ? ['system:serviceaccounts', `system:serviceaccounts:${username.split(':')[2]}`, 'system:authenticated'] : ['system:authenticated'];
    users.set(token, { username, groups, extra: node ? { 'authentication.kubernetes.io/node-name': [node] } : {} });
  }
  return users;
}

export class SimCluster {
  readonly store = new Store();
  readonly requests: RequestRecord[] = [];
  private readonly watchers = new Set<{ resource: Resource; match: (o: Obj) => boolean; res: http.ServerResponse }>();
  private readonly users: Map<string, UserInfo>;
  private server?: http.Server;
  url = '';

  constructor(private readonly opts: SimOptions) {
    for (const f of opts.fixtures) this.store.loadFile(f);
    if (opts.generate) generateCluster(this.store, opts.generate.nodes, opts.generate.podsPerNode, opts.generate.reports);
    this.users = parseUsers(opts.users);
  }

  async start(): Promise<string> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    const clientAuth = this.opts.clientCa ? { requestCert: true, rejectUnauthorized: true, ca: fs.readFileSync(this.opts.clientCa) } : {};
    this.server = this.opts.tls ? https.createServer({ cert: fs.readFileSync(this.opts.tls.cert), key: fs.readFileSync(this.opts.tls.key), ...clientAuth }, handler) : http.createServer(handler);
    const address = this.opts.address ?? '127.0.0.1';
    await new Promise<void>((resolve) => this.server!.listen(this.opts.port, address, resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `${this.opts.tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${port}`;
    if (this.opts.kubeconfigOut) fs.writeFileSync(this.opts.kubeconfigOut, this.kubeconfig());
    return this.url;
  }

  kubeconfig(): string {
    const ca = this.opts.ca && this.opts.tls ? `\n    certificate-authority-data: ${fs.readFileSync(this.opts.ca).toString('base64')}` : '';
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
  upsert(obj: Obj): Obj {
    const resource = this.store.resourceOf(obj.kind);
    if (!resource) throw new Error(`kind ${obj.kind} is not served`);
    const existing = this.store.findObject(resource, obj.metadata?.namespace ?? (resource.namespaced ? 'default' : undefined), obj.metadata.name);
    if (existing) {
      obj.metadata.uid = existing.metadata.uid;
      obj.metadata.creationTimestamp = existing.metadata.creationTimestamp;
      this.store.remove(resource, existing);
    }
    const stored = this.store.add(obj);
    this.notify(resource, existing ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  private notify(resource: Resource, type: string, obj: Obj): void {
    for (const w of this.watchers) if (w.resource === resource && w.match(obj)) w.res.write(`${JSON.stringify({ type, object: obj })}\n`);
  }

  /** Who sent the request: a client certificate's CN, a known token, or (any other token) "sim". */
  private authenticate(req: http.IncomingMessage): UserInfo {
    const cert = (req.socket as TLSSocket).getPeerCertificate?.();
    if (cert?.subject?.CN) return { username: cert.subject.CN, groups: [cert.subject.O].flat().filter(Boolean) as string[], extra: {} };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return (token && this.users.get(token)) || { username: 'sim', groups: ['system:masters', 'system:authenticated'], extra: {} };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname.startsWith('/sim/')) return this.admin(req, res, url);
    const authenticated = this.authenticate(req);
    const impersonate = Object.fromEntries(
      Object.entries(req.headers)
        .filter(([k]) => k.startsWith('impersonate-'))
        .map(([k, v]) => [k, String(v)]),
    );
    const user: UserInfo = impersonate['impersonate-user']
      ? {
          username: impersonate['impersonate-user'],
          uid: impersonate['impersonate-uid'],
          groups: (impersonate['impersonate-group'] ?? '')
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean),
          extra: {},
        }
      : authenticated;
    const entry: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      bytes: 0,
      userAgent: req.headers['user-agent'] ?? '',
      user: user.username,
      credential: credentialOf(req),
      ...(Object.keys(impersonate).length ? { impersonate } : {}),
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
    };
    this.requests.push(entry);
    // Count the bytes each request is answered with, for the benchmarks' bytes-received comparison.
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const count = (chunk: unknown) => {
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) entry.bytes += Buffer.byteLength(chunk);
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      count(chunk);
      return write(chunk as never, ...(rest as []));
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      count(chunk);
      return end(chunk as never, ...(rest as []));
    }) as typeof res.end;
    const fault = this.opts.fault;
    if (fault === 'blackhole') return; // accept, never answer
    if (fault === 'unauthorized') return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    if (fault === 'error500' || fault === 'error503') {
      const code = fault === 'error500' ? 500 : 503;
      return send(
        res,
        code,
        status(
          code,
          code === 500 ? 'InternalError' : 'ServiceUnavailable',
          code === 500 ? 'Internal error occurred: etcdserver: request timed out' : 'the server is currently unable to handle the request',
        ),
      );
    }
    if (fault === 'endless-body' && req.method === 'GET') return endless(res, '{"kind":"List","apiVersion":"v1","items":[{"metadata":{"name":"');
    const fixed = req.method === 'GET' ? discovery(this.store, req.headers.host ?? '127.0.0.1')[url.pathname] : undefined;
    if (fixed) return send(res, 200, fixed);
    const r = route(this.store, url.pathname);
    if (!r) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const method = req.method ?? 'GET';
    const verb =
      method === 'GET' ? (r.name ? 'get' : url.searchParams.get('watch') ? 'watch' : 'list') : ({ POST: 'create', PATCH: 'patch', PUT: 'update', DELETE: 'delete' } as Record<string, string>)[method];
    if (!verb) return send(res, 405, status(405, 'MethodNotAllowed', `${method} is not supported`));
    const what = r.subresource ? `${r.resource.name}/${r.subresource}` : r.resource.name;
    if (this.opts.forbid.some((f) => f === `${verb} ${what}` || f === what)) {
      const where = r.namespace ? ` in the namespace "${r.namespace}"` : ' at the cluster scope';
      return send(
        res,
        403,
        status(403, 'Forbidden', `${what}${r.name ? ` "${r.name}"` : ''} is forbidden: User "${user.username}" cannot ${verb} resource "${what}" in API group "${r.resource.group}"${where}`),
      );
    }
    if (method !== 'GET') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => this.write(res, r, verb, user, body, req.headers['content-type'] ?? '', url));
      return;
    }
    if (r.name && r.subresource === 'log') return this.log(res, r, url);
    if (r.name && r.subresource === 'proxy') return this.proxy(res, r, url);
    if (r.name) {
      const obj = this.store.findObject(r.resource, r.namespace, r.name);
      if (!obj) return send(res, 404, status(404, 'NotFound', `${r.resource.name}${r.resource.group ? `.${r.resource.group}` : ''} "${r.name}" not found`, { name: r.name, kind: r.resource.name }));
      return this.reply(res, req, r.resource, [obj], obj);
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
    this.reply(res, req, r.resource, page, list);
  }

  /**
   * create, server-side apply, merge patch, update, delete; the status subresource; schema
   * validation and admission policies before anything is stored.
   */
  private write(res: http.ServerResponse, r: Route, verb: string, user: UserInfo, body: string, contentType: string, url: URL): void {
    const resource = r.resource;
    const title = `${resource.name}${resource.group ? `.${resource.group}` : ''}`;
    let input: Obj | undefined;
    if (verb !== 'delete' && body) {
      try {
        input = contentType.startsWith('application/apply-patch+yaml') ? (yaml.load(body) as Obj) : (JSON.parse(body) as Obj);
      } catch (e) {
        return send(res, 400, status(400, 'BadRequest', `the body of the request was in an unknown format: ${(e as Error).message.split('\n')[0]}`));
      }
    }
    const name = r.name ?? input?.metadata?.name;
    const namespace = resource.namespaced ? (r.namespace ?? input?.metadata?.namespace ?? 'default') : undefined;
    const existing = name ? this.store.findObject(resource, namespace, name) : undefined;
    const onStatus = r.subresource === 'status';
    if (r.subresource && !onStatus) return send(res, 405, status(405, 'MethodNotAllowed', `${verb} is not supported on ${title}/${r.subresource}`));
    if (onStatus && !resource.statusSubresource) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));

    let next: Obj | undefined;
    let operation: 'CREATE' | 'UPDATE' | 'DELETE';
    const apply = contentType.startsWith('application/apply-patch+yaml');
    if (verb === 'delete') {
      if (!existing) return send(res, 404, status(404, 'NotFound', `${title} "${name}" not found`, { name, kind: resource.name }));
      operation = 'DELETE';
    } else if (verb === 'create' || (verb === 'patch' && apply && !existing && !onStatus)) {
      if (verb === 'create' && existing) return send(res, 409, status(409, 'AlreadyExists', `${title} "${name}" already exists`, { name, kind: resource.name }));
      if (apply && !url.searchParams.get('fieldManager'))
        return send(res, 400, status(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'));
      if (!input || !name) return send(res, 422, status(422, 'Invalid', `${title} is invalid: metadata.name: Required value: name or generateName is required`));
      next = structuredClone(input);
      next.kind ??= resource.kind;
      if (resource.statusSubresource) delete next.status; // set only through /status
      operation = 'CREATE';
    } else {
      if (!existing) return send(res, 404, status(404, 'NotFound', `${title} "${name}" not found`, { name, kind: resource.name }));
      if (!input) return send(res, 400, status(400, 'BadRequest', 'the request has no body'));
      if (verb === 'patch' && !apply && !/^application\/(merge-patch|strategic-merge-patch)\+json/.test(contentType)) {
        return send(
          res,
          415,
          status(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml, application/merge-patch+json, application/strategic-merge-patch+json`,
          ),
        );
      }
      if (apply && !url.searchParams.get('fieldManager'))
        return send(res, 400, status(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'));
      if (verb === 'update' && input.metadata?.resourceVersion && input.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        return send(
          res,
          409,
          status(409, 'Conflict', `Operation cannot be fulfilled on ${title} "${name}": the object has been modified; please apply your changes to the latest version and try again`),
        );
      }
      next = structuredClone(existing);
      if (onStatus) {
        // One field manager owns the whole status here, so an apply sets it as given.
        const strategic = contentType.startsWith('application/strategic-merge-patch+json');
        next.status = verb === 'patch' && !apply ? (strategic ? strategicStatusPatch(existing.status, input.status) : mergePatch(existing.status, input.status)) : input.status;
      } else if (verb === 'update') {
        next = { ...structuredClone(input), metadata: { ...input.metadata, uid: existing.metadata.uid, creationTimestamp: existing.metadata.creationTimestamp } };
        if (resource.statusSubresource) next.status = existing.status;
      } else {
        const patch = structuredClone(input);
        if (resource.statusSubresource) delete patch.status;
        delete patch.apiVersion;
        delete patch.kind;
        next = mergePatch(existing, patch);
      }
      operation = 'UPDATE';
    }
    if (next) {
      next.apiVersion = groupVersion(resource);
      next.kind = resource.kind;
      next.metadata = { ...next.metadata, name, ...(namespace ? { namespace } : {}) };
      if (apply) {
        const manager = url.searchParams.get('fieldManager');
        const entry = { manager, operation: 'Apply', apiVersion: next.apiVersion, time: timestamp(), fieldsType: 'FieldsV1', fieldsV1: {}, ...(onStatus ? { subresource: 'status' } : {}) };
        next.metadata.managedFields = [...(next.metadata.managedFields ?? []).filter((m: Obj) => !(m.manager === manager && (m.subresource ?? '') === (onStatus ? 'status' : ''))), entry];
      }
      const causes = validateCustomResource(resource, next);
      if (causes.length)
        return send(
          res,
          422,
          status(422, 'Invalid', `${resource.kind}.${resource.group} "${name}" is invalid: ${causes.join(', ')}`, {
            name,
            group: resource.group,
            kind: resource.kind,
            causes: causes.map((message) => ({ message })),
          }),
        );
    }
    const denial = admit(this.store, { operation, resource, subResource: r.subresource, name, namespace, user, object: next, oldObject: existing });
    if (denial) return send(res, denial.code, status(denial.code, denial.reason, denial.message));
    if (url.searchParams.get('dryRun') === 'All') return send(res, operation === 'CREATE' ? 201 : 200, next ?? existing);
    if (operation === 'DELETE') {
      this.store.remove(resource, existing!);
      this.notify(resource, 'DELETED', existing!);
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: resource.name, uid: existing!.metadata.uid } });
    }
    const stored = this.upsert(next!);
    send(res, operation === 'CREATE' ? 201 : 200, stored);
  }

  private reply(res: http.ServerResponse, req: http.IncomingMessage, resource: Resource, items: Obj[], body: Obj): void {
    // A list of metadata only (what `kubectl get -o name` and completion ask for), when it is a list.
    if ((req.headers.accept ?? '').includes('as=PartialObjectMetadataList') && Array.isArray(body.items)) {
      return send(res, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: String(this.store.resourceVersion), ...(body.metadata?.continue ? { continue: body.metadata.continue } : {}) },
        items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })),
      });
    }
    if ((req.headers.accept ?? '').includes('as=Table')) {
      const table = toTable(resource, items, String(this.store.resourceVersion), jsonPath);
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
    send(res, 200, `${(tail > 0 ? lines.slice(-tail) : lines).join('\n')}\n`);
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
    upstream.on('error', (e) => send(res, 503, status(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${pod.status?.podIP}:${port}: ${e.message}`)));
  }

  /** A WATCH ends after timeoutSeconds, as on a real API server, and the client renews it. */
  private watch(res: http.ServerResponse, r: Route, match: (o: Obj) => boolean, timeoutSeconds: number): void {
    if (this.opts.fault === 'endless-watch') return endless(res, '{"type":"ADDED","object":{"metadata":{"name":"');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    for (const obj of this.store.candidates(r.resource, r.namespace, null).filter(match)) res.write(`${JSON.stringify({ type: 'ADDED', object: obj })}\n`);
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
    if (url.pathname === '/sim/objects' && (req.method === 'PUT' || req.method === 'DELETE')) {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const obj = JSON.parse(body);
        if (req.method === 'PUT') this.upsert(obj);
        else {
          const resource = this.store.resourceOf(obj.kind)!;
          const found = this.store.findObject(resource, obj.metadata.namespace, obj.metadata.name);
          if (found) {
            this.store.remove(resource, found);
            this.notify(resource, 'DELETED', found);
          }
        }
        send(res, 200, { ok: true });
      });
      return;
    }
    send(res, 404, { error: 'unknown sim endpoint' });
  }
}
