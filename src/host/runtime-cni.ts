// Where this node's container runtime looks for CNI plugins and configs: what containerd's or
// CRI-O's own config names (OpenShift's CRI-O reads /etc/kubernetes/cni/net.d, GKE's containerd runs
// plugins from /home/kubernetes/bin, k3s keeps both in its data directory), else the defaults.
import { DEFAULT_CNI_CONF, K3S_CNI_CONF_DIR } from '../cni/platform';
import { parseRuntimeCniDirs } from '../parsers/cni-plugins';
import { HostFileError, type HostRoot } from './root';

export const DEFAULT_CNI_BIN = '/opt/cni/bin';
const CONTAINERD_CONFIGS = ['etc/containerd/config.toml', 'var/lib/rancher/k3s/agent/etc/containerd/config.toml', 'var/lib/rancher/rke2/agent/etc/containerd/config.toml'];
const CRIO_CONFIGS = ['etc/crio/crio.conf'];
const CONFIG_LIMIT = 256 * 1024;
const CONFIG_DIR_LIMIT = 512;

export interface RuntimeDir {
  dir: string; // absolute, as the runtime names it
  source: string; // the file that names it, or "the default"
}

export interface RuntimeCni {
  /** Every bin dir a runtime config names, in order; none: the runtimes' defaults apply. */
  bin: RuntimeDir[];
  /** The config dir the runtime reads: containerd's first, else CRI-O's last setting (drop-ins win), else /etc/cni/net.d. */
  conf: RuntimeDir;
}

/** Reads the runtimes' configs under the root; a file that is absent or unreadable names nothing. */
export async function runtimeCni(root: HostRoot, signal: AbortSignal): Promise<RuntimeCni> {
  const soft = (rel: string) => root.readText(rel, CONFIG_LIMIT, signal).catch((e: Error) => (e instanceof HostFileError ? null : Promise.reject(e)));
  const bin: RuntimeDir[] = [];
  let containerdConf: RuntimeDir | undefined;
  let crioConf: RuntimeDir | undefined;
  for (const rel of CONTAINERD_CONFIGS) {
    const content = await soft(rel);
    if (!content) continue;
    for (const dir of parseRuntimeCniDirs(content, 'containerd')) bin.push({ dir, source: `/${rel}` });
    const conf = parseRuntimeCniDirs(content, 'containerd', 'conf')[0];
    if (conf && !containerdConf) containerdConf = { dir: conf, source: `/${rel}` };
  }
  const dropIns = ((await root.list('etc/crio/crio.conf.d', CONFIG_DIR_LIMIT, signal).catch(() => null)) ?? [])
    .filter((n) => !n.startsWith('.')) // CRI-O reads every file there (OpenShift's is 00-default)
    .sort()
    .map((n) => `etc/crio/crio.conf.d/${n}`);
  for (const rel of [...CRIO_CONFIGS, ...dropIns]) {
    const content = await soft(rel);
    if (!content) continue;
    for (const dir of parseRuntimeCniDirs(content, 'crio')) bin.push({ dir, source: `/${rel}` });
    const conf = parseRuntimeCniDirs(content, 'crio', 'conf').at(-1);
    if (conf) crioConf = { dir: conf, source: `/${rel}` };
  }
  // k3s's containerd config (under its agent directory, holding registry credentials) is not mounted
  // into the agent; its CNI config dir is, with deploy/components/k3s, and is k3s's default.
  const k3s = !containerdConf && !crioConf && (await root.resolve(K3S_CNI_CONF_DIR.slice(1)).catch(() => undefined)) ? { dir: K3S_CNI_CONF_DIR, source: 'k3s' } : undefined;
  return { bin, conf: containerdConf ?? crioConf ?? k3s ?? { dir: DEFAULT_CNI_CONF, source: 'the default' } };
}
