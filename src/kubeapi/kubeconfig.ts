// The kubeconfig as kubectl reads it (client-go's clientcmd), without @kubernetes/client-node:
// the files of KUBECONFIG merged first-wins, paths relative to the file that names them, then
// kubectl's connection flags laid over the result with kubectl's precedence and error wording.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load as parseYaml } from 'js-yaml';

/** kubectl's flags that change where, or as whom, a request goes. */
export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  server?: string;
  token?: string;
  as?: string;
  asGroups?: string[];
  asUid?: string;
  insecureSkipTlsVerify?: boolean;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  tlsServerName?: string;
}

export class KubeconfigError extends Error {}

export interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  'disable-compression'?: boolean;
  extensions?: { name: string; extension: unknown }[];
}

export interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
}

export interface UserEntry {
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  as?: string;
  'as-groups'?: string[];
  'as-uid'?: string;
  'as-user-extra'?: Record<string, string[]>;
  exec?: ExecConfig;
  'auth-provider'?: { name: string; config?: Record<string, string> };
}

interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** The merged kubeconfig: every file's entries, the first file to name one winning. */
interface Merged {
  files: string[];
  currentContext: string;
  contexts: Map<string, ContextEntry>;
  clusters: Map<string, ClusterEntry>;
  users: Map<string, UserEntry>;
}

/** What one request needs to know: the result of the kubeconfig and the flags together. */
export interface ResolvedConfig {
  names: { context: string; cluster: string; user: string };
  cluster: ClusterEntry & { server: string };
  /** Certificate-authority bytes, read from the file or decoded from -data. */
  ca?: Buffer;
  user: UserEntry;
  /** Client certificate and key bytes, read or decoded. */
  cert?: Buffer;
  key?: Buffer;
  /** Where the credential files are, for messages. */
  files: string[];
}

/** A file a kubeconfig is allowed to be; a larger one is not a kubeconfig. */
const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;
const MAX_CREDENTIAL_BYTES = 1024 * 1024;

/** The files kubectl would read: --kubeconfig alone, else KUBECONFIG's list, else ~/.kube/config. */
export function kubeconfigFiles(explicit: string | undefined, env = process.env): string[] {
  if (explicit) return [explicit];
  const list = env.KUBECONFIG;
  if (list !== undefined && list !== '') return [...new Set(list.split(path.delimiter).filter(Boolean))];
  return [path.join(env.HOME || os.homedir(), '.kube', 'config')];
}

/** Reads a local file whole, refusing one larger than `max` (a credential is never megabytes). */
export function readLocal(file: string, max = MAX_CREDENTIAL_BYTES): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new KubeconfigError(`${file} is not a regular file`);
    const buf = Buffer.alloc(Math.min(max + 1, Math.max(stat.size, 4096) + 1));
    let n = 0;
    for (let r: number; n < buf.length && (r = fs.readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > max) throw new KubeconfigError(`${file} is larger than ${max} bytes`);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

const errnoText = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof KubeconfigError) return err.message;
  if (err.code === 'ENOENT') return `open ${err.path}: no such file or directory`;
  if (err.code === 'EACCES') return `open ${err.path}: permission denied`;
  if (err.code === 'EISDIR') return `read ${err.path}: is a directory`;
  return err.message;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads one file into named entries, paths made absolute against the file's directory. */
function loadFile(file: string): { currentContext: string; contexts: [string, ContextEntry][]; clusters: [string, ClusterEntry][]; users: [string, UserEntry][] } {
  const text = readLocal(file, MAX_KUBECONFIG_BYTES).toString('utf8');
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : parseYaml(text, { json: true });
  } catch (e) {
    throw new KubeconfigError(`error loading config file "${file}": ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObject(doc)) throw new KubeconfigError(`error loading config file "${file}": not a kubeconfig (a YAML mapping with clusters, contexts and users)`);
  const dir = path.dirname(path.resolve(file));
  const abs = (p: unknown) => (typeof p === 'string' && p !== '' && !path.isAbsolute(p) ? path.join(dir, p) : p);
  const named = <T>(key: string, inner: string, fix: (e: T) => T = (e) => e): [string, T][] => {
    const list = doc[key];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw new KubeconfigError(`error loading config file "${file}": ${key} is not a list`);
    return list.map((item, i) => {
      if (!isObject(item) || typeof item.name !== 'string') throw new KubeconfigError(`error loading config file "${file}": ${key}[${i}] has no name`);
      const value = item[inner] ?? {};
      if (!isObject(value)) throw new KubeconfigError(`error loading config file "${file}": ${key} "${item.name}" has no ${inner} mapping`);
      return [item.name, fix({ ...value } as T)];
    });
  };
  return {
    currentContext: typeof doc['current-context'] === 'string' ? doc['current-context'] : '',
    contexts: named<ContextEntry>('contexts', 'context'),
    clusters: named<ClusterEntry>('clusters', 'cluster', (c) => ({ ...c, 'certificate-authority': abs(c['certificate-authority']) as string | undefined })),
    users: named<UserEntry>('users', 'user', (u) => ({
      ...u,
      tokenFile: abs(u.tokenFile) as string | undefined,
      'client-certificate': abs(u['client-certificate']) as string | undefined,
      'client-key': abs(u['client-key']) as string | undefined,
      // An exec command is resolved against the kubeconfig only when it is a path, not a name on PATH.
      exec: isObject(u.exec) && typeof u.exec.command === 'string' && u.exec.command.includes('/') ? { ...u.exec, command: abs(u.exec.command) as string } : u.exec,
    })),
  };
}

/** The files merged as client-go merges them: for each name and for current-context, the first file wins. */
export function loadKubeconfig(explicit: string | undefined, env = process.env): Merged {
  const files = kubeconfigFiles(explicit, env);
  const merged: Merged = { files: [], currentContext: '', contexts: new Map(), clusters: new Map(), users: new Map() };
  for (const file of files) {
    if (!explicit && !fs.existsSync(file)) continue; // KUBECONFIG may list files that do not exist
    let loaded: ReturnType<typeof loadFile>;
    try {
      loaded = loadFile(file);
    } catch (e) {
      if (e instanceof KubeconfigError) throw e;
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' && explicit) throw new KubeconfigError(`stat ${file}: no such file or directory`);
      throw new KubeconfigError(`error loading config file "${file}": ${errnoText(e)}`);
    }
    merged.files.push(file);
    merged.currentContext ||= loaded.currentContext;
    for (const [name, v] of loaded.contexts) if (!merged.contexts.has(name)) merged.contexts.set(name, v);
    for (const [name, v] of loaded.clusters) if (!merged.clusters.has(name)) merged.clusters.set(name, v);
    for (const [name, v] of loaded.users) if (!merged.users.has(name)) merged.users.set(name, v);
  }
  return merged;
}

const decode = (data: string, what: string, name: string): Buffer => {
  if (!/^[A-Za-z0-9+/=\s]*$/.test(data)) throw new KubeconfigError(`${what} of "${name}" is not base64`);
  return Buffer.from(data, 'base64');
};

/**
 * The context, cluster and user to connect with, with kubectl's flags laid over them exactly as
 * clientcmd's DirectClientConfig does, and validated as kubectl validates them (same messages).
 */
export function resolveConfig(flags: ConnectionFlags, env = process.env): ResolvedConfig {
  const merged = loadKubeconfig(flags.kubeconfig, env);
  if (merged.files.length === 0 && !flags.server) {
    const where = kubeconfigFiles(flags.kubeconfig, env).join(', ');
    throw new KubeconfigError(`no kubeconfig found at ${where}: set KUBECONFIG or pass --kubeconfig`);
  }
  const contextName = flags.context || merged.currentContext;
  if (flags.context && !merged.contexts.has(flags.context)) throw new KubeconfigError(`context was not found for specified context: ${flags.context}`);
  const context = merged.contexts.get(contextName) ?? {};
  const userName = flags.user || context.user || '';
  if (flags.user && !merged.users.has(flags.user)) throw new KubeconfigError(`auth info "${flags.user}" does not exist`);
  const clusterName = flags.cluster || context.cluster || '';

  const cluster: ClusterEntry = { ...(merged.clusters.get(clusterName) ?? {}) };
  if (flags.server) cluster.server = flags.server;
  // --insecure-skip-tls-verify or --certificate-authority replace the kubeconfig's CA settings whole;
  // --tls-server-name, or --server alone, replaces its tls-server-name.
  if (flags.insecureSkipTlsVerify || flags.certificateAuthority) {
    cluster['insecure-skip-tls-verify'] = !!flags.insecureSkipTlsVerify;
    cluster['certificate-authority'] = flags.certificateAuthority;
    cluster['certificate-authority-data'] = undefined;
  }
  if (flags.tlsServerName || flags.server) cluster['tls-server-name'] = flags.tlsServerName;
  if (!cluster.server) {
    if (merged.files.length === 0 || (!clusterName && !contextName)) throw new KubeconfigError(`the kubeconfig ${merged.files.join(', ')} has no current-context: pass --context`);
    if (!merged.contexts.has(contextName) && !flags.cluster) throw new KubeconfigError(`context was not found for specified context: ${contextName}`);
    throw new KubeconfigError(`no server found for cluster "${clusterName}"`);
  }

  const user: UserEntry = { ...(merged.users.get(userName) ?? {}) };
  if (flags.token) user.token = flags.token;
  if (flags.clientCertificate || flags.clientKey) {
    user['client-certificate'] = flags.clientCertificate ?? user['client-certificate'];
    user['client-key'] = flags.clientKey ?? user['client-key'];
    // a certificate file from the flags replaces the kubeconfig's inline one
    if (flags.clientCertificate) user['client-certificate-data'] = undefined;
    if (flags.clientKey) user['client-key-data'] = undefined;
  }
  if (flags.as) user.as = flags.as;
  if (flags.asGroups?.length) user['as-groups'] = flags.asGroups;
  if (flags.asUid) user['as-uid'] = flags.asUid;

  const secure = !/^http:\/\//i.test(cluster.server);
  const resolved: ResolvedConfig = { names: { context: contextName, cluster: clusterName, user: userName }, cluster: cluster as ResolvedConfig['cluster'], user, files: merged.files };
  validateUser(userName, user);
  if (cluster['insecure-skip-tls-verify'] && (cluster['certificate-authority'] || cluster['certificate-authority-data'])) {
    throw new KubeconfigError('specifying a root certificates file with the insecure flag is not allowed');
  }
  if (secure) {
    const ca = cluster['certificate-authority'];
    if (cluster['certificate-authority-data']) resolved.ca = decode(cluster['certificate-authority-data'], 'certificate-authority-data', `cluster ${clusterName}`);
    else if (ca) resolved.ca = readOrSay(ca, `certificate-authority ${ca} for ${clusterName}`);
    const certFile = user['client-certificate'];
    const keyFile = user['client-key'];
    if (user['client-certificate-data']) resolved.cert = decode(user['client-certificate-data'], 'client-certificate-data', `user ${userName}`);
    else if (certFile) resolved.cert = readOrSay(certFile, `client-cert ${certFile} for ${userName}`);
    if (user['client-key-data']) resolved.key = decode(user['client-key-data'], 'client-key-data', `user ${userName}`);
    else if (keyFile) resolved.key = readOrSay(keyFile, `client-key ${keyFile} for ${userName}`);
  }
  return resolved;
}

function readOrSay(file: string, what: string): Buffer {
  try {
    return readLocal(file);
  } catch (e) {
    throw new KubeconfigError(`unable to read ${what} due to ${errnoText(e)}`);
  }
}

/** kubectl's validateAuthInfo, in its words. */
function validateUser(name: string, user: UserEntry): void {
  const methods: string[] = [];
  if (user.token || user.tokenFile) methods.push('token');
  if (user.username || user.password) methods.push('basicAuth');
  if (methods.length > 1) throw new KubeconfigError(`more than one authentication method found for ${name}; found [${methods.join(' ')}], only one is allowed`);
  const hasCert = user['client-certificate'] || user['client-certificate-data'];
  const hasKey = user['client-key'] || user['client-key-data'];
  if (hasCert && !hasKey) throw new KubeconfigError(`client-key-data or client-key must be specified for ${name} to use the clientCert authentication method.`);
  if (hasKey && !hasCert) throw new KubeconfigError(`client-cert-data or client-cert must be specified for ${name} to use the clientCert authentication method.`);
  if (!user.as && (user['as-groups']?.length || user['as-uid'] || Object.keys(user['as-user-extra'] ?? {}).length)) {
    throw new KubeconfigError(`requesting uid, groups or user-extra for ${name} without impersonating a user`);
  }
  if (user.exec !== undefined) {
    const exec = user.exec;
    if (!isObject(exec) || typeof exec.command !== 'string' || exec.command === '') throw new KubeconfigError(`exec plugin of user "${name}": command must be specified`);
    if (!['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'].includes(exec.apiVersion ?? '')) {
      throw new KubeconfigError(`exec plugin of user "${name}": invalid apiVersion "${exec.apiVersion ?? ''}" (client.authentication.k8s.io/v1 or v1beta1)`);
    }
    if (exec.interactiveMode !== undefined && !['Never', 'IfAvailable', 'Always'].includes(exec.interactiveMode)) {
      throw new KubeconfigError(`exec plugin of user "${name}": invalid interactiveMode "${exec.interactiveMode}" (Never, IfAvailable or Always)`);
    }
    if (exec.apiVersion === 'client.authentication.k8s.io/v1' && exec.interactiveMode === undefined) {
      throw new KubeconfigError(`exec plugin of user "${name}": interactiveMode must be specified for ${name} to use exec authentication plugin`);
    }
  }
}
