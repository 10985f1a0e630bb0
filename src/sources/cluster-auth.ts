import fs from 'node:fs';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';

/** Where the API server is and how to authenticate to it, whatever the source of that knowledge. */
export interface ClusterAuth {
  server: string;
  names: { context: string; cluster: string; user: string };
  proxied: boolean;
  apply(opts: https.RequestOptions): Promise<void>;
}

export class AuthError extends Error {}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A service-account token or CA bundle is a few KiB; more is not one. */
const MAX_CREDENTIAL_BYTES = 256 * 1024;

/** Reads a small local file whole, refusing one larger than `max` bytes. */
function readSmall(file: string, max = MAX_CREDENTIAL_BYTES): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(max + 1);
    const n = fs.readSync(fd, buf, 0, max + 1, 0);
    if (n > max) throw new AuthError(`${file} is larger than ${max} bytes: not a service-account credential`);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The pod's service account, as client-go's rest.InClusterConfig reads it. Kept apart from
 * KubeConfig so the agent does not load @kubernetes/client-node (16 MB of RSS) in a pod. The token
 * is re-read each minute: bound service-account tokens rotate.
 */
export function inClusterAuth(): ClusterAuth {
  const host = process.env.KUBERNETES_SERVICE_HOST!;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const ca = readSmall(path.join(SERVICE_ACCOUNT, 'ca.crt'));
  let token = '';
  let readAt = 0;
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    names: { context: 'in-cluster', cluster: 'in-cluster', user: 'service account' },
    proxied: false,
    async apply(opts) {
      if (Date.now() - readAt > 60_000) {
        token = readSmall(path.join(SERVICE_ACCOUNT, 'token')).toString('utf8').trim();
        readAt = Date.now();
      }
      opts.ca = ca;
      opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
    },
  };
}

/** A kubeconfig through @kubernetes/client-node: contexts, certificates, tokens, exec plugins. */
export async function kubeconfigAuth(file: string | undefined, context: string | undefined): Promise<ClusterAuth> {
  const files = file ? [file] : (process.env.KUBECONFIG ?? path.join(os.homedir(), '.kube', 'config')).split(path.delimiter).filter(Boolean);
  if (!files.some((f) => fs.existsSync(f))) {
    throw new AuthError(`no kubeconfig found at ${files.join(', ') || '(empty KUBECONFIG)'}: set KUBECONFIG or pass --kubeconfig`);
  }
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (e) {
    throw new AuthError(`kubeconfig ${files.join(', ')} is not valid: ${(e as Error).message.split('\n')[0]}`);
  }
  if (context) {
    if (!kc.getContextObject(context)) throw new AuthError(`context "${context}" does not exist in the kubeconfig`);
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentContext()) throw new AuthError('the kubeconfig has no current-context: pass --context');
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new AuthError(`context "${kc.getCurrentContext()}" names no cluster in the kubeconfig`);
  return {
    server: cluster.server,
    names: { context: kc.getCurrentContext(), cluster: cluster.name, user: kc.getCurrentUser()?.name ?? '' },
    proxied: !!cluster.proxyUrl,
    apply: (opts) => kc.applyToHTTPSOptions(opts),
  };
}
