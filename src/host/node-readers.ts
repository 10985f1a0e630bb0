// Host facts of the node-level checks beyond the seeds (cni-plugins ... overlay-errors): each from
// files under --host-root (and one loopback HTTP GET), capped in size and under the fact deadline
// readHostFacts gives every reader. Registered in readers.ts with one spread.
import http from 'node:http';
import type { CniBin, CniPlugins, HostFacts, IpamNetwork, KernelModules, KubeProxyLivez, NetCounters, NetworkManagerFacts } from '../core/facts';
import { parseCniPlugins } from '../parsers/cni-plugins';
import { KERNEL_MODULES, normalModule, parseModulesBuiltin, parseProcModules } from '../parsers/kernel-modules';
import { parseKubeletConfig } from '../parsers/kubelet-config';
import { parseNetworkdMatch, parseNmUnmanaged } from '../parsers/network-manager';
import { isDefaultRoute, parseProcNetRoute } from '../parsers/proc-net-route';
import { parseIfInet6, parseProcNetSnmp } from '../parsers/proc-net-snmp';
import { parseResolvNameservers } from '../parsers/resolv-conf';
import { isVirtualLink } from './network';
import { HostFileError, type HostRoot } from './root';
import { DEFAULT_CNI_BIN, type RuntimeCni, runtimeCni } from './runtime-cni';

/** What these readers need of the agent's host options (readers.ts HostOptions has it). */
export interface NodeReaderOptions {
  root: HostRoot;
  kubeletConfig?: () => Promise<string>;
  /** The runtime's CNI dirs, read once a cycle (readers.ts shares one reading with these readers). */
  runtimeCni?: (signal: AbortSignal) => Promise<RuntimeCni>;
  /** kube-proxy's livez URL; default http://127.0.0.1:10256/livez (the agent runs in the host network). */
  kubeProxyLivez?: string;
}

type Reader<K extends keyof HostFacts> = (signal: AbortSignal) => Promise<HostFacts[K]>;
type Readers = { [K in keyof HostFacts]?: { what: string; read: Reader<K> } };

export const NODE_FILE_LIMITS = {
  value: 4 * 1024,
  config: 256 * 1024,
  procModules: 1024 * 1024,
  builtin: 2 * 1024 * 1024,
  lease: 1024,
  snmp: 64 * 1024,
  ifInet6: 1024 * 1024,
  livez: 4 * 1024,
} as const;
export const NODE_DIR_LIMITS = { binDir: 2048, sysModule: 8192, networks: 64, leases: 8192, brif: 4096, links: 8192, config: 512 } as const;
/** kube-proxy answers livez from memory: a second is plenty, and leaves the fact's deadline room. */
export const LIVEZ_TIMEOUT_MS = 1000;

const K3S_BIN = 'var/lib/rancher/k3s/data/current/bin';
/** Bridges CNIs make (flannel's and the bridge plugin's cni0, kubenet's cbr0, kube-router's kube-bridge). */
const CNI_BRIDGES = ['cni0', 'cbr0', 'kube-bridge'];
/** The VXLAN devices of the CNIs, first present wins. */
export const VXLAN_DEVICES = ['flannel.1', 'vxlan.calico', 'cilium_vxlan'];
/** The CNI devices whose rp_filter matters (the per-pod veths, cali*, lxc* are left out). */
const RP_FILTER_LINKS = /^(flannel\.\d+|cni0|tunl0|vxlan\.calico|wireguard\.cali|cilium_host|cilium_net|cilium_vxlan|cilium_geneve|kube-bridge)$/;
const MAX_RP_LINKS = 64;

const IP_FILE = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]{2,39})$/;

/** The previous counter reading per host root: the history the rates are judged over. */
const lastCounters = new WeakMap<HostRoot, NetCounters>();

export function nodeReaders(opts: NodeReaderOptions): Readers {
  const { root } = opts;
  const text = (rel: string, limit: number, signal: AbortSignal) => root.readText(rel, limit, signal);
  const soft = <T>(p: Promise<T>) => p.catch((e: Error) => (e instanceof HostFileError ? null : Promise.reject(e)));
  const once = <T>(read: (signal: AbortSignal) => Promise<T>) => {
    let pending: Promise<T> | undefined;
    return (signal: AbortSignal) => (pending ??= read(signal));
  };
  const exists = async (rel: string) => (await root.resolve(rel).catch(() => undefined)) !== undefined;
  const confFiles = async (dir: string, signal: AbortSignal) => ((await soft(root.list(dir, NODE_DIR_LIMITS.config, signal))) ?? []).filter((n) => n.endsWith('.conf')).map((n) => `${dir}/${n}`);
  const runtime = opts.runtimeCni ?? once((signal) => runtimeCni(root, signal));

  const cniPlugins = once(async (signal): Promise<CniPlugins | null> => {
    const { dir } = (await runtime(signal)).conf;
    const rel = dir.replace(/^\/+|\/+$/g, '');
    const first = ((await root.list(rel, 256, signal)) ?? []).filter((f) => /\.(conf|conflist|json)$/.test(f)).sort()[0];
    if (!first) return null;
    const content = await text(`${rel}/${first}`, NODE_FILE_LIMITS.config, signal);
    return content === null ? null : parseCniPlugins(content, `/${rel}/${first}`);
  });
  const links = once(async (signal) => (await root.list('sys/class/net', NODE_DIR_LIMITS.links, signal)) ?? []);

  return {
    cniBin: {
      what: "reading the runtime's CNI bin dirs",
      read: async (signal): Promise<CniBin> => {
        const named: { dir: string; source: string }[] = [...(await runtime(signal)).bin];
        // k3s keeps its CNI binaries under its data dir (not mounted into the agent unless asked): k3s is known by /etc/rancher/k3s.
        if (!named.length && ((await exists(K3S_BIN)) || (await exists('etc/rancher/k3s')))) named.push({ dir: `/${K3S_BIN}`, source: 'k3s' });
        if (!named.length) named.push({ dir: DEFAULT_CNI_BIN, source: 'the default' });
        const dirs: CniBin['dirs'] = [];
        for (const { dir, source } of named) {
          if (dirs.some((d) => d.dir === dir)) continue;
          const binaries = await root.list(dir.replace(/^\/+/, ''), NODE_DIR_LIMITS.binDir, signal);
          dirs.push({ dir, source, binaries });
        }
        return { dirs };
      },
    },
    cniPlugins: { what: 'reading the CNI config', read: cniPlugins },
    kernelModules: {
      what: 'reading /proc/modules',
      read: async (signal): Promise<KernelModules> => {
        const release = (await soft(text('proc/sys/kernel/osrelease', NODE_FILE_LIMITS.value, signal)))?.trim().slice(0, 128);
        const wanted = new Set<string>(KERNEL_MODULES);
        const present: KernelModules['present'] = {};
        // No /proc/modules: a kernel built without module support; what it has is built in, and shows in /sys/module.
        const modules = await text('proc/modules', NODE_FILE_LIMITS.procModules, signal);
        for (const m of parseProcModules(modules ?? '')) if (wanted.has(m)) present[m] = 'loaded';
        for (const m of ((await soft(root.list('sys/module', NODE_DIR_LIMITS.sysModule, signal))) ?? []).map(normalModule)) if (wanted.has(m)) present[m] ??= 'sysfs';
        let builtinKnown = false;
        let available: string[] | null = null;
        if (release && /^[\w.+~-]+$/.test(release)) {
          const builtin = await soft(text(`lib/modules/${release}/modules.builtin`, NODE_FILE_LIMITS.builtin, signal));
          if (builtin !== null) {
            builtinKnown = true;
            for (const m of parseModulesBuiltin(builtin)) if (wanted.has(m)) present[m] ??= 'builtin';
          }
          // modules.dep lines name each loadable module: "kernel/drivers/net/vxlan/vxlan.ko.zst: ...".
          const dep = await soft(text(`lib/modules/${release}/modules.dep`, NODE_FILE_LIMITS.builtin, signal));
          if (dep !== null) available = [...new Set(parseModulesBuiltin(dep.replace(/:.*$/gm, '')).filter((m) => wanted.has(m)))];
        }
        return { ...(release ? { release } : {}), present, available, builtinKnown };
      },
    },
    resolvConfs: {
      what: 'reading resolv.conf',
      read: async (signal) => {
        const paths = ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf'];
        const file = opts.kubeletConfig ? await opts.kubeletConfig().catch(() => undefined) : 'var/lib/kubelet/config.yaml';
        const config = file ? await soft(text(file, NODE_FILE_LIMITS.config, signal)) : null;
        if (config) {
          try {
            const named = parseKubeletConfig(config).resolvConf;
            if (named?.startsWith('/') && !paths.includes(named)) paths.unshift(named);
          } catch {
            // the kubeletConfig fact says why it does not parse
          }
        }
        const out: Record<string, string[] | null | { link: string }> = {};
        for (const p of paths) {
          const content = await soft(text(p.slice(1), NODE_FILE_LIMITS.snmp, signal));
          const link = content === null ? await root.readLink(p.slice(1)).catch(() => undefined) : undefined;
          out[p] = content !== null ? parseResolvNameservers(content) : link ? { link: link.slice(0, 256) } : null;
        }
        return out;
      },
    },
    ipamLeases: {
      what: 'reading /var/lib/cni/networks',
      read: async (signal) => {
        const networks = (await root.list('var/lib/cni/networks', NODE_DIR_LIMITS.networks, signal)) ?? [];
        const out: IpamNetwork[] = [];
        for (const network of networks) {
          const dir = `var/lib/cni/networks/${network}`;
          const names = await soft(root.list(dir, NODE_DIR_LIMITS.leases, signal));
          if (!names) continue;
          const leases: IpamNetwork['leases'] = [];
          for (const name of names.filter((n) => IP_FILE.test(n))) {
            // host-local writes "<container id>\r\n<ifname>" (plugins v0.8+), older ones the id alone.
            const content = await soft(text(`${dir}/${name}`, NODE_FILE_LIMITS.lease, signal));
            if (content === null) continue;
            const [id, ifname] = content.split(/\r?\n/).map((s) => s.trim());
            leases.push({ ip: name, containerId: (id ?? '').slice(0, 128), ...(ifname ? { ifname: ifname.slice(0, 16) } : {}) });
          }
          out.push({ network, leases });
        }
        return out;
      },
    },
    networkManager: {
      what: 'reading the NetworkManager and systemd-networkd configuration',
      read: async (signal): Promise<NetworkManagerFacts> => {
        const unmanaged: NetworkManagerFacts['unmanaged'] = [];
        const nmFiles = [
          'etc/NetworkManager/NetworkManager.conf',
          ...(await confFiles('usr/lib/NetworkManager/conf.d', signal)),
          ...(await confFiles('run/NetworkManager/conf.d', signal)),
          ...(await confFiles('etc/NetworkManager/conf.d', signal)),
        ];
        for (const rel of nmFiles) {
          const content = await soft(text(rel, NODE_FILE_LIMITS.config, signal));
          const specs = content ? parseNmUnmanaged(content) : [];
          if (specs.length) unmanaged.push({ file: `/${rel}`, specs });
        }
        let cloudSetup: string | undefined;
        for (const rel of ['etc/systemd/system/timers.target.wants/nm-cloud-setup.timer', 'etc/systemd/system/NetworkManager.service.wants/nm-cloud-setup.service']) {
          if (!cloudSetup && (await root.readLink(rel).catch(() => undefined)) !== undefined) cloudSetup = `/${rel}`;
        }
        const networkd: NetworkManagerFacts['networkd'] = [];
        for (const dir of ['etc/systemd/network', 'run/systemd/network']) {
          for (const name of ((await soft(root.list(dir, NODE_DIR_LIMITS.config, signal))) ?? []).filter((n) => n.endsWith('.network'))) {
            const content = await soft(text(`${dir}/${name}`, NODE_FILE_LIMITS.config, signal));
            if (content) networkd.push({ file: `/${dir}/${name}`, ...parseNetworkdMatch(content) });
          }
        }
        const procs = await running(root, signal);
        return {
          running: procs.has('NetworkManager') || (await exists('run/NetworkManager')),
          unmanaged,
          ...(cloudSetup ? { cloudSetup } : {}),
          networkdRunning: procs.has('systemd-network') || (await exists('run/systemd/netif')),
          networkd,
        };
      },
    },
    kubeProxyLivez: { what: 'asking kube-proxy (GET /livez)', read: (signal) => livez(opts.kubeProxyLivez ?? 'http://127.0.0.1:10256/livez', signal) },
    ipv6Addresses: {
      what: 'reading /proc/net/if_inet6',
      read: async (signal) => parseIfInet6((await text('proc/net/if_inet6', NODE_FILE_LIMITS.ifInet6, signal)) ?? ''),
    },
    vtepMac: {
      what: 'reading /sys/class/net/flannel.1/address',
      read: async (signal) => (await soft(text('sys/class/net/flannel.1/address', NODE_FILE_LIMITS.value, signal)))?.trim().toLowerCase().slice(0, 64) ?? null,
    },
    bridgePorts: {
      what: 'reading CNI bridge ports',
      read: async (signal) => {
        const named = (await cniPlugins(signal).catch(() => null))?.bridge?.name;
        const bridges = [...new Set([...(named ? [named] : []), ...CNI_BRIDGES])].filter((b) => !b.includes('/'));
        const out: Record<string, Record<string, string>> = {};
        for (const bridge of bridges) {
          const ports = await soft(root.list(`sys/class/net/${bridge}/brif`, NODE_DIR_LIMITS.brif, signal));
          if (ports === null) continue;
          const modes: Record<string, string> = {};
          for (const port of ports) {
            const mode = await soft(text(`sys/class/net/${bridge}/brif/${port}/hairpin_mode`, NODE_FILE_LIMITS.value, signal));
            if (mode !== null) modes[port] = mode.trim().slice(0, 4);
          }
          out[bridge] = modes;
        }
        return out;
      },
    },
    rpFilter: {
      what: 'reading rp_filter',
      read: async (signal) => {
        const names = ['all', 'default', ...(await links(signal)).filter((n) => !isVirtualLink(n) || RP_FILTER_LINKS.test(n)).slice(0, MAX_RP_LINKS)];
        const out: Record<string, string> = {};
        for (const name of names) {
          const value = await soft(text(`proc/sys/net/ipv4/conf/${name}/rp_filter`, NODE_FILE_LIMITS.value, signal));
          if (value !== null) out[name] = value.trim().slice(0, 4);
        }
        if (out.all === undefined) throw new HostFileError('/proc/sys/net/ipv4/conf/all/rp_filter', '/proc/sys/net/ipv4/conf/all/rp_filter does not exist', 'ENOENT');
        return out;
      },
    },
    netCounters: {
      what: 'reading /proc/net/snmp',
      read: async (signal) => {
        const at = Date.now();
        const snmp = parseProcNetSnmp((await text('proc/net/snmp', NODE_FILE_LIMITS.snmp, signal)) ?? '');
        const netstat = parseProcNetSnmp((await soft(text('proc/net/netstat', NODE_FILE_LIMITS.snmp, signal))) ?? '');
        const now: NetCounters = { at };
        if (snmp.Udp?.InCsumErrors !== undefined) now.udpInCsumErrors = snmp.Udp.InCsumErrors;
        if (netstat.TcpExt?.IPReversePathFilter !== undefined) now.ipReversePathFilter = netstat.TcpExt.IPReversePathFilter;
        for (const device of VXLAN_DEVICES) {
          if (now.overlay) break;
          const stat = (n: string) => soft(text(`sys/class/net/${device}/statistics/${n}`, NODE_FILE_LIMITS.value, signal));
          const [errors, dropped] = [await stat('rx_errors'), await stat('rx_dropped')];
          if (errors !== null && dropped !== null) now.overlay = { device, rxErrors: Number(errors.trim()) || 0, rxDropped: Number(dropped.trim()) || 0 };
        }
        const routes = await soft(text('proc/net/route', 1024 * 1024, signal));
        const device = routes ? parseProcNetRoute(routes).find((r) => isDefaultRoute(r))?.iface : undefined;
        let nic: { device: string; driver?: string } | undefined;
        if (device && !device.includes('/')) {
          const driver = (await root.readLink(`sys/class/net/${device}/device/driver`).catch(() => undefined))?.split('/').pop();
          nic = { device, ...(driver ? { driver: driver.slice(0, 64) } : {}) };
        }
        const previous = lastCounters.get(root);
        lastCounters.set(root, now);
        return { now, ...(previous ? { previous } : {}), ...(nic ? { nic } : {}) };
      },
    },
  };
}

/** Which network managers run, from the host's /proc (comm is cut at 15 bytes: systemd-network). */
const MANAGERS = new Set(['NetworkManager', 'systemd-network']);
const RESCAN_MS = 10 * 60_000;
const managersSeen = new WeakMap<HostRoot, { at: number; names: Set<string> }>();

async function running(root: HostRoot, signal: AbortSignal): Promise<Set<string>> {
  const seen = managersSeen.get(root);
  if (seen && Date.now() - seen.at < RESCAN_MS) return seen.names;
  const pids = ((await root.list('proc', 65536, signal).catch(() => null)) ?? []).filter((n) => /^\d+$/.test(n));
  const names = new Set<string>();
  for (const pid of pids) {
    const comm = (await root.readText(`proc/${pid}/comm`, 256, signal).catch(() => null))?.trim();
    if (comm && MANAGERS.has(comm)) names.add(comm);
    if (names.size === MANAGERS.size) break;
  }
  managersSeen.set(root, { at: Date.now(), names });
  return names;
}

/** One GET with a short deadline and a capped reply: kube-proxy's livez JSON, or why not. */
export function livez(url: string, signal: AbortSignal): Promise<KubeProxyLivez> {
  return new Promise((resolve) => {
    const timeout = AbortSignal.timeout(LIVEZ_TIMEOUT_MS);
    const req = http.get(url, { signal: AbortSignal.any([signal, timeout]), headers: { accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > NODE_FILE_LIMITS.livez) res.destroy();
      });
      const done = () => {
        const out: KubeProxyLivez = { url, status: res.statusCode ?? 0 };
        try {
          const doc = JSON.parse(body.slice(0, NODE_FILE_LIMITS.livez)) as { lastUpdated?: unknown; currentTime?: unknown };
          if (typeof doc.lastUpdated === 'string') out.lastUpdated = doc.lastUpdated.slice(0, 40);
          if (typeof doc.currentTime === 'string') out.currentTime = doc.currentTime.slice(0, 40);
        } catch {
          // not JSON: the status says enough
        }
        resolve(out);
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const reason = timeout.aborted ? `no answer within ${LIVEZ_TIMEOUT_MS} ms` : e.code === 'ECONNREFUSED' ? 'connection refused' : (e.code ?? e.message);
      resolve({ url, error: reason, refused: e.code === 'ECONNREFUSED' });
    });
  });
}
