import type https from 'node:https';
import path from 'node:path';
import { ExecCredentialSource } from './exec-credential';
import { type ConnectionFlags, type ResolvedConfig, readLocal, resolveConfig, type UserEntry } from './kubeconfig';
import { chooseProxy, type ProxyRoute } from './proxy';

/** Where the API server is and how to authenticate to it, whatever the source of that knowledge. */
export interface ClusterAuth {
  server: string;
  names: { context: string; cluster: string; user: string };
  /** The name the server's certificate is verified against, when not the server's host (tls-server-name). */
  serverName?: string;
  /** The proxy the server is reached through, if any. */
  proxy?: ProxyRoute;
  /** Sets TLS settings and headers on one request; may run a credential plugin. */
  apply(opts: https.RequestOptions): Promise<void>;
  /** After a 401: drop a cached credential; true if asking for a new one may help. */
  refresh(): boolean;
}

export class AuthError extends Error {}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A service-account token or CA bundle is a few KiB; more is not one. */
const MAX_CREDENTIAL_BYTES = 256 * 1024;

/**
 * The pod's service account, as client-go's rest.InClusterConfig reads it. Kept apart from
 * the kubeconfig so the agent reads nothing it does not need in a pod. The token
 * is re-read each minute: bound service-account tokens rotate.
 */
export function inClusterAuth(): ClusterAuth {
  const host = process.env.KUBERNETES_SERVICE_HOST!;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const ca = readLocal(path.join(SERVICE_ACCOUNT, 'ca.crt'), MAX_CREDENTIAL_BYTES);
  let token = '';
  let readAt = 0;
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    names: { context: 'in-cluster', cluster: 'in-cluster', user: 'service account' },
    async apply(opts) {
      if (Date.now() - readAt > 60_000) {
        token = readLocal(path.join(SERVICE_ACCOUNT, 'token'), MAX_CREDENTIAL_BYTES).toString('utf8').trim();
        readAt = Date.now();
      }
      opts.ca = ca;
      opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
    },
    refresh: () => false,
  };
}

/**
 * A kubeconfig and kubectl's connection flags (see kubeconfig.ts): certificates, tokens, token
 * files, basic auth, exec credential plugins, an OIDC id-token, impersonation and the proxy.
 */
export function kubeconfigAuth(flags: ConnectionFlags, env = process.env): ClusterAuth {
  const config = resolveConfig(flags, env);
  const { cluster, user, names } = config;
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw new AuthError(`the server address ${JSON.stringify(cluster.server)} of cluster "${names.cluster}" is not a URL`);
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:') throw new AuthError(`the server address ${JSON.stringify(cluster.server)} of cluster "${names.cluster}" is not http:// or https://`);
  const secure = server.protocol === 'https:';
  const impersonation = impersonationHeaders(user);
  // As client-go: credentials travel only over TLS; a plain http:// server (kubectl proxy) gets none.
  const credential = secure ? credentialSource(config) : undefined;
  const proxy = chooseProxy(server, cluster['proxy-url'], names.cluster, env);
  return {
    server: cluster.server,
    names,
    proxy,
    serverName: cluster['tls-server-name'] || undefined,
    async apply(opts) {
      const headers: Record<string, string | string[]> = { ...(opts.headers as Record<string, string>), ...impersonation };
      if (secure) {
        if (config.ca) opts.ca = config.ca;
        opts.rejectUnauthorized = !cluster['insecure-skip-tls-verify'];
        if (cluster['tls-server-name']) opts.servername = cluster['tls-server-name'];
        if (config.cert && config.key) {
          opts.cert = config.cert;
          opts.key = config.key;
        }
      }
      const cred = await credential?.get();
      if (cred?.authorization) headers.Authorization = cred.authorization;
      if (cred?.cert && cred.key) {
        opts.cert = cred.cert;
        opts.key = cred.key;
      }
      opts.headers = headers;
    },
    refresh: () => credential?.invalidate?.() ?? false,
  };
}

interface Credential {
  authorization?: string;
  cert?: Buffer;
  key?: Buffer;
}

/** How the user proves who they are, in client-go's order: token (file), basic auth, auth-provider, exec. */
function credentialSource({ user, names, cluster, ca }: ResolvedConfig): { get(): Promise<Credential>; invalidate?(): boolean } | undefined {
  if (user.tokenFile) {
    // client-go re-reads a token file each minute (bound tokens rotate); when the file cannot be
    // read, the inline token, if any, is used.
    const file = user.tokenFile;
    let token = '';
    let readAt = 0;
    return {
      async get() {
        if (Date.now() - readAt > 60_000) {
          try {
            token = readLocal(file, 64 * 1024)
              .toString('utf8')
              .trim();
          } catch (e) {
            if (!user.token) throw new AuthError(`cannot read tokenFile ${file} of user "${names.user}": ${(e as Error).message}`);
            token = user.token;
          }
          readAt = Date.now();
        }
        return { authorization: `Bearer ${token}` };
      },
    };
  }
  if (user.token) return { get: async () => ({ authorization: `Bearer ${user.token}` }) };
  if (user.username || user.password) {
    const basic = `Basic ${Buffer.from(`${user.username ?? ''}:${user.password ?? ''}`).toString('base64')}`;
    return { get: async () => ({ authorization: basic }) };
  }
  const provider = user['auth-provider'];
  if (provider) {
    if (provider.name === 'oidc') {
      const idToken = provider.config?.['id-token'];
      if (!idToken) throw new AuthError(`the oidc auth-provider of user "${names.user}" has no id-token: log in with your OIDC helper (e.g. kubectl oidc-login) first`);
      return { get: async () => ({ authorization: `Bearer ${idToken}` }) };
    }
    if (provider.name === 'gcp') throw new AuthError('The gcp auth plugin has been removed. Please use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.');
    if (provider.name === 'azure') throw new AuthError('The azure auth plugin has been removed. Please use the "kubelogin" client-go credential plugin instead.');
    throw new AuthError(`no Auth Provider found for name "${provider.name}"`);
  }
  if (user.exec) {
    const source = new ExecCredentialSource(user.exec, names.user, cluster, ca);
    return {
      async get() {
        const result = await source.get();
        return { ...(result.token ? { authorization: `Bearer ${result.token}` } : {}), cert: result.cert, key: result.key };
      },
      invalidate: () => source.invalidate(),
    };
  }
  return undefined;
}

/** Impersonate-* headers from --as, --as-group, --as-uid or the kubeconfig's as, as-groups, as-uid, as-user-extra. */
function impersonationHeaders(user: UserEntry): Record<string, string | string[]> {
  if (!user.as) return {};
  const headers: Record<string, string | string[]> = { 'Impersonate-User': user.as };
  if (user['as-groups']?.length) headers['Impersonate-Group'] = user['as-groups'];
  if (user['as-uid']) headers['Impersonate-Uid'] = user['as-uid'];
  for (const [key, values] of Object.entries(user['as-user-extra'] ?? {})) headers[`Impersonate-Extra-${encodeURIComponent(key)}`] = values;
  return headers;
}
