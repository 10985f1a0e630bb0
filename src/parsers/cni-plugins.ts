import { cniConfigDocument } from './cni-config';

/** What the runtime runs for the active CNI config. */
export interface CniPlugins {
  file: string;
  /** The conflist's "name": host-local keeps its leases under /var/lib/cni/networks/ under its name. */
  network?: string;
  /** Each binary the config runs: the plugin types, their IPAM types, and what flannel delegates to. */
  plugins: { type: string; role: 'plugin' | 'ipam' | 'delegate' }[];
  /** The bridge plugin's (or flannel's) bridge name and hairpinMode, where pods attach to a bridge. */
  bridge?: { name: string; hairpinMode: boolean };
}

/** A plugin type is a file name in the bin dir: anything else (a path, a space) is not one. */
const TYPE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

// flannel's CNI plugin writes a config for, and runs, these (its delegate defaults to the bridge
// plugin, whose IPAM defaults to host-local): missing either fails every sandbox (flannel#1730).
const FLANNEL_DELEGATES = ['bridge', 'host-local'];

/**
 * Every binary a CNI network config (.conf or .conflist) makes the runtime execute: each plugin's
 * `type`, each `ipam.type`, and flannel's delegates; with the network name (host-local's lease
 * directory) and the bridge pods attach to, with its hairpinMode.
 */
export function parseCniPlugins(text: string, file: string): CniPlugins {
  const { conf, plugins: list } = cniConfigDocument(text);
  const plugins: CniPlugins['plugins'] = [];
  const add = (type: unknown, role: CniPlugins['plugins'][number]['role']) => {
    if (typeof type === 'string' && TYPE.test(type) && !plugins.some((p) => p.type === type)) plugins.push({ type, role });
  };
  let bridge: CniPlugins['bridge'];
  for (const p of list) {
    add(p.type, 'plugin');
    const ipam = p.ipam && typeof p.ipam === 'object' ? (p.ipam as Record<string, unknown>) : undefined;
    add(ipam?.type, 'ipam');
    if (p.type === 'bridge') bridge = { name: typeof p.bridge === 'string' ? p.bridge : 'cni0', hairpinMode: p.hairpinMode === true };
    if (p.type === 'flannel') {
      const delegate = p.delegate && typeof p.delegate === 'object' ? (p.delegate as Record<string, unknown>) : {};
      if (delegate.type === undefined || delegate.type === 'bridge') for (const t of FLANNEL_DELEGATES) add(t, 'delegate');
      else add(delegate.type, 'delegate');
      // flannel turns hairpinMode on in the bridge config it writes unless the delegate says false.
      if (delegate.type === undefined || delegate.type === 'bridge') bridge = { name: typeof delegate.bridge === 'string' ? delegate.bridge : 'cni0', hairpinMode: delegate.hairpinMode !== false };
    }
  }
  return { file, ...(typeof conf.name === 'string' ? { network: conf.name } : {}), plugins, ...(bridge ? { bridge } : {}) };
}

/**
 * The CNI dirs a container runtime's config names. Bin dirs (`which` 'bin'): containerd (config.toml,
 * version 2 and 3) `bin_dir = "..."` or `bin_dirs = [...]` in the CRI plugin's `cni` table; CRI-O
 * (crio.conf and crio.conf.d) `plugin_dirs = [...]` (or the older `plugin_dir`) under [crio.network].
 * The config dir (`which` 'conf'): containerd's `conf_dir` there, CRI-O's `network_dir` (OpenShift
 * sets /etc/kubernetes/cni/net.d/, k3s its own data directory).
 */
export function parseRuntimeCniDirs(text: string, runtime: 'containerd' | 'crio', which: 'bin' | 'conf' = 'bin'): string[] {
  const dirs: string[] = [];
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^\s+|\s+$/g, '');
    if (!line || line.startsWith('#')) continue;
    const header = /^\[+\s*([^\]]+?)\s*\]+$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const m = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const keys = { containerd: { bin: ['bin_dir', 'bin_dirs'], conf: ['conf_dir'] }, crio: { bin: ['plugin_dirs', 'plugin_dir'], conf: ['network_dir'] } }[runtime][which];
    const wanted = (runtime === 'containerd' ? /cri/.test(section) && /(^|\.)cni$/.test(section) : section === 'crio.network') && keys.includes(m[1]);
    if (!wanted) continue;
    let value = m[2];
    // A TOML array may run over several lines.
    while (value.startsWith('[') && !value.includes(']') && i + 1 < lines.length) {
      line = lines[++i].replace(/#.*$/, '').trim();
      value += line;
    }
    for (const s of value.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)) {
      const dir = (s[1] ?? s[2]).replace(/\/+$/, '');
      if (dir.startsWith('/') && !dirs.includes(dir)) dirs.push(dir);
    }
  }
  return dirs;
}
