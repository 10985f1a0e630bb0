// The host facts the agent reads on its node, each from a file or socket under --host-root, each
// with a byte cap sized to the file and a deadline, each failing on its own: one unreadable or
// hanging file leaves that fact unavailable (with the reason) and the others intact.
import { lstat } from 'node:fs/promises';
import type { FactKey, HostFacts, SwapUnit } from '../core/facts';
import { parseBirdProtocols } from '../parsers/bird';
import { parseCniConfig } from '../parsers/cni-config';
import { parseFstabSwaps } from '../parsers/fstab';
import { mergeKubeletConfig } from '../parsers/kubelet-config';
import { type LinkConfig, parseIfcfg, parseInterfaces, parseNetplan, parseNetworkdNetwork, parseNmKeyfile } from '../parsers/link-config';
import { isDefaultRoute, parseProcNetIpv6Route, parseProcNetRoute, type Route } from '../parsers/proc-net-route';
import { parseProcSwaps } from '../parsers/proc-swaps';
import { parseSubnetEnv } from '../parsers/subnet-env';
import { parseModulesLoad, parseSysctlConf } from '../parsers/sysctl-conf';
import { birdCommand } from '../sockets/bird-client';
import { ciliumHealthz } from '../sockets/cilium-client';
import { withDeadline } from '../util/deadline';
import { swapUnitWhat } from '../util/systemd';
import { isVirtualLink } from './network';
import { nodeReaders } from './node-readers';
import { HostFileError, type HostRoot } from './root';
import { runtimeCni } from './runtime-cni';

/** Byte caps, sized to what each file holds on a busy node, with room to spare. */
export const HOST_FILE_LIMITS = {
  subnetEnv: 4 * 1024,
  sysfsValue: 4 * 1024,
  procSwaps: 64 * 1024,
  fstab: 64 * 1024,
  kubeletConfig: 256 * 1024,
  procNetRoute: 1024 * 1024, // ~8,000 routes: a Calico node with a /32 per pod and a block per peer
  procNetIpv6Route: 2 * 1024 * 1024, // 150 bytes a line: as many IPv6 routes, local and link-local ones included
  cmdline: 64 * 1024,
  unit: 16 * 1024,
  config: 64 * 1024,
} as const;

/** Directory sizes past which something is wrong (or hostile); listing stops there. */
export const HOST_DIR_LIMITS = { interfaces: 8192, cniConfigs: 256, processes: 65536, config: 512 } as const;

/** Where systemd swap units come from; the generators write theirs under /run at every boot. */
const SWAP_UNIT_DIRS: { dir: string; source: (unit: string) => string }[] = [
  { dir: 'etc/systemd/system', source: () => '/etc/systemd/system' },
  { dir: 'run/systemd/generator', source: (unit) => (/^dev-zram\d+\.swap$/.test(unit) ? 'zram-generator' : 'systemd-fstab-generator (/etc/fstab)') },
  // systemd-gpt-auto-generator: a GPT swap partition is turned on even with no fstab line.
  { dir: 'run/systemd/generator.late', source: () => 'systemd-gpt-auto-generator (a GPT swap partition)' },
];

/** Where each network manager keeps its interface configuration. */
const LINK_CONFIG_SOURCES: { dir: string; file: RegExp; read: (text: string, file: string) => Record<string, LinkConfig> }[] = [
  {
    dir: 'etc/netplan',
    file: /\.ya?ml$/,
    read: (text, file) => Object.fromEntries(parseNetplan(text).map((iface) => [iface, { manager: 'netplan', file }])),
  },
  {
    dir: 'etc/sysconfig/network-scripts',
    file: /^ifcfg-/,
    read: (text, file) => {
      const c = parseIfcfg(text);
      const iface = c.device ?? file.split('ifcfg-')[1];
      return iface && iface !== 'lo' ? { [iface]: { manager: 'network-scripts', file, onBoot: c.onBoot, ...(c.name ? { connection: c.name } : {}) } } : {};
    },
  },
  {
    dir: 'etc/NetworkManager/system-connections',
    file: /./,
    read: (text, file) => {
      const c = parseNmKeyfile(text);
      return c.interfaceName ? { [c.interfaceName]: { manager: 'NetworkManager', file, connection: c.id, onBoot: c.autoconnect } } : {};
    },
  },
  {
    dir: 'etc/network',
    file: /^interfaces$/,
    read: (text, file) => Object.fromEntries(Object.entries(parseInterfaces(text)).map(([iface, c]) => [iface, { manager: 'ifupdown', file, onBoot: c.auto }])),
  },
  {
    dir: 'etc/systemd/network',
    file: /\.network$/,
    read: (text, file) => Object.fromEntries(parseNetworkdNetwork(text).map((iface) => [iface, { manager: 'systemd-networkd', file }])),
  },
];

export const KUBEADM_KUBELET_CONFIG = 'var/lib/kubelet/config.yaml';
/** Where kubeadm points the kubelet's --config-dir, read when the kubelet's command line cannot be. */
export const KUBELET_DROP_IN_DIR = 'etc/kubernetes/kubelet.conf.d';
/** Calico's BIRD socket: /var/run is /run on every current distribution, but not inside every mount. */
export const DEFAULT_BIRD_SOCKETS = ['var/run/calico/bird.ctl', 'run/calico/bird.ctl'];

/** The overlay and bridge devices a CNI makes; their MTU matters (the mtu check) though they are virtual. */
export const OVERLAY_LINKS = /^(flannel\.\d+|flannel-wg|cni0|tunl0|vxlan\.calico|wireguard\.cali|cilium_vxlan|cilium_geneve|cilium_host)$/;

/** Where sysctl.d(5) settings live on the host (what is mounted of them: /etc). */
const SYSCTL_SOURCES = ['etc/sysctl.d', 'etc/sysctl.conf'];
const MODULE_SOURCES = ['etc/modules-load.d', 'etc/modules'];
export const DEFAULT_CILIUM_SOCKETS = ['var/run/cilium/cilium.sock', 'run/cilium/cilium.sock'];

export interface HostOptions {
  root: HostRoot;
  /** The sysctls the checks read (net.ipv4.ip_forward, ...): each check names its own. */
  sysctls?: readonly string[];
  /** An explicit --bird-socket path (on the agent's filesystem); default: in the root. */
  birdSocket?: string;
  /** Deadline of each fact (a file, the BIRD socket). */
  factTimeoutMs: number;
  /** Where the kubelet's config is, as a host path; found from the kubelet's command line when unset. */
  kubeletConfig?: () => Promise<string>;
  /** The kubelet's --config-dir, as a host path; undefined: it reads no drop-ins. Unset: KUBELET_DROP_IN_DIR. */
  kubeletConfigDir?: () => Promise<string | undefined>;
  /** Whether kubeletConfig's path was named (the kubelet's --config, or --kubelet-config), not guessed. */
  kubeletConfigNamed?: () => Promise<boolean>;
  /** The agent stopping: reads in flight are abandoned. */
  signal?: AbortSignal;
  /** kube-proxy's livez URL (node-readers.ts); default http://127.0.0.1:10256/livez. */
  kubeProxyLivez?: string;
}

export interface HostRead {
  host: HostFacts;
  unavailable: Partial<Record<FactKey, string>>;
}

type Reader<K extends keyof HostFacts> = (signal: AbortSignal) => Promise<HostFacts[K]>;

/** What each host fact reads, with the question it answers left to the checks. */
function readers(opts: HostOptions): { [K in keyof HostFacts & FactKey]?: { what: string; read: Reader<K> } } {
  const { root } = opts;
  const text = (rel: string, limit: number, signal: AbortSignal) => root.readText(rel, limit, signal);
  const required = async (rel: string, limit: number, signal: AbortSignal) => {
    const content = await text(rel, limit, signal);
    if (content === null) throw new HostFileError(`/${rel}`, `/${rel} does not exist`, 'ENOENT');
    return content;
  };
  // Read once a cycle, shared by the facts that need them.
  const once = <T>(read: (signal: AbortSignal) => Promise<T>) => {
    let pending: Promise<T> | undefined;
    return (signal: AbortSignal) => (pending ??= read(signal));
  };
  /** The files of sysctl.d-style sources, in the order they are applied (names sorted; plain files last). */
  const configFiles = async (sources: string[], pattern: RegExp, signal: AbortSignal) => {
    const files: string[] = [];
    for (const source of sources) {
      const names = await root.list(source, HOST_DIR_LIMITS.config, signal).catch(() => undefined);
      if (names)
        files.push(
          ...names
            .filter((n) => pattern.test(n))
            .sort()
            .map((n) => `${source}/${n}`),
        );
      else if (names === undefined) files.push(source); // not a directory: the file itself (/etc/modules)
    }
    return files;
  };
  // The container runtime's CNI dirs (its config names them; OpenShift, k3s and GKE move them).
  const runtime = once((signal) => runtimeCni(root, signal));
  const cniConfDir = async (signal: AbortSignal) => (await runtime(signal)).conf.dir.replace(/^\/+|\/+$/g, '');
  const cniConfNames = once(async (signal) => {
    const { conf } = await runtime(signal);
    const names = await root.list(await cniConfDir(signal), HOST_DIR_LIMITS.cniConfigs, signal);
    // No /etc/cni/net.d is no CNI config (the agent sees all of /etc); a directory a runtime config
    // names elsewhere may just not be mounted into the agent, which proves nothing.
    if (names === null && conf.source !== 'the default' && !conf.dir.startsWith('/etc/')) {
      throw new HostFileError(conf.dir, `${conf.dir} (the CNI config dir ${conf.source} names) is not visible to the agent`, 'ENOENT');
    }
    return (names ?? []).filter((f) => /\.(conf|conflist|json)$/.test(f));
  });
  // Both families: /proc/net/ipv6_route is absent only where IPv6 is off, which leaves IPv4's alone.
  const routes = once(async (signal): Promise<Route[]> => {
    const [v4, v6] = await Promise.all([required('proc/net/route', HOST_FILE_LIMITS.procNetRoute, signal), text('proc/net/ipv6_route', HOST_FILE_LIMITS.procNetIpv6Route, signal)]);
    return [...parseProcNetRoute(v4), ...(v6 === null ? [] : parseProcNetIpv6Route(v6))];
  });
  // The links routes use, whose state matters whatever their name: IPv6's link-local and local
  // routes name every veth, so of IPv6 only the default routes count.
  const routedLinks = async (signal: AbortSignal) => new Set((await routes(signal).catch(() => [] as Route[])).filter((r) => r.family !== 6 || isDefaultRoute(r)).map((r) => r.iface));
  const links = once(async (signal) => {
    const names = await root.list('sys/class/net', HOST_DIR_LIMITS.interfaces, signal);
    if (names === null) throw new HostFileError('/sys/class/net', '/sys/class/net does not exist', 'ENOENT');
    return names;
  });
  return {
    // cni-plugins ... overlay-errors: src/host/node-readers.ts
    ...nodeReaders({ ...opts, runtimeCni: runtime }),
    subnetEnv: {
      what: 'reading /run/flannel/subnet.env',
      read: async (signal) => {
        const content = await text('run/flannel/subnet.env', HOST_FILE_LIMITS.subnetEnv, signal);
        return content === null ? null : parseSubnetEnv(content);
      },
    },
    swaps: { what: 'reading /proc/swaps', read: async (signal) => parseProcSwaps(await required('proc/swaps', HOST_FILE_LIMITS.procSwaps, signal)) },
    fstabSwaps: {
      what: 'reading /etc/fstab',
      read: async (signal) => parseFstabSwaps((await text('etc/fstab', HOST_FILE_LIMITS.fstab, signal)) ?? ''),
    },
    kubeletConfig: {
      what: "reading the kubelet's config",
      read: async (signal) => {
        const file = opts.kubeletConfig ? await opts.kubeletConfig() : KUBEADM_KUBELET_CONFIG;
        const content = await text(file, HOST_FILE_LIMITS.kubeletConfig, signal);
        // Its drop-ins (--config-dir): *.conf, in lexical order, each overriding the fields it sets.
        const dir = (opts.kubeletConfigDir ? await opts.kubeletConfigDir() : KUBELET_DROP_IN_DIR)?.replace(/^\/+|\/+$/g, '');
        const names = dir ? ((await root.list(dir, HOST_DIR_LIMITS.config, signal).catch(() => null)) ?? []).filter((n) => n.endsWith('.conf')).sort() : [];
        const dropIns: { file: string; text: string }[] = [];
        for (const name of names) {
          const t = await text(`${dir}/${name}`, HOST_FILE_LIMITS.kubeletConfig, signal).catch(() => null);
          if (t !== null) dropIns.push({ file: `/${dir}/${name}`, text: t });
        }
        if (content === null && dropIns.length === 0) {
          // The kubelet runs with a file it names: one the agent cannot see is not mounted into it
          // (GKE keeps it under /home/kubernetes), and says nothing about failSwapOn.
          if (opts.kubeletConfigNamed && (await opts.kubeletConfigNamed())) {
            throw new HostFileError(
              `/${file}`,
              `/${file.replace(/^\/+/, '')}, the kubelet's --config, is not visible to the agent (not mounted${file.includes('home/kubernetes/') ? ': on GKE add deploy/components/gke-kubelet-config' : ''})`,
              'ENOENT',
            );
          }
          return null;
        }
        const { setBy, ...merged } = mergeKubeletConfig(content, dropIns);
        const main = content === null ? '' : `/${file.replace(/^\/+/, '')}`;
        const from = [...new Set(Object.values(setBy))];
        return { ...merged, path: from.length ? `${main}${main ? ' with ' : ''}drop-in ${from.join(', ')}` : main || undefined };
      },
    },
    routes: { what: 'reading /proc/net/route and /proc/net/ipv6_route', read: routes },
    interfaces: {
      what: 'reading /sys/class/net',
      read: async (signal) => {
        const names = await links(signal);
        // Only links that can carry the node's traffic are read: a node with 110 pods has 110 veths,
        // whose state tells nothing about the node. Links a route uses are read whatever their name.
        const routed = await routedLinks(signal);
        const wanted = names.filter((n) => routed.has(n) || !isVirtualLink(n));
        const states: Record<string, string> = {};
        await Promise.all(
          wanted.map(async (name) => {
            const state = await text(`sys/class/net/${name}/operstate`, HOST_FILE_LIMITS.sysfsValue, signal).catch((e: Error) => {
              if (e instanceof HostFileError) return null;
              throw e;
            });
            states[name] = state === null ? 'missing' : state.trim().slice(0, 16);
          }),
        );
        return states;
      },
    },
    swapUnits: {
      what: 'reading systemd swap units',
      read: async (signal) => {
        const units: SwapUnit[] = [];
        for (const { dir, source } of SWAP_UNIT_DIRS) {
          const names = ((await root.list(dir, HOST_DIR_LIMITS.config, signal).catch(() => null)) ?? []).filter((n) => n.endsWith('.swap'));
          for (const unit of names) {
            const rel = `${dir}/${unit}`;
            // Masked: a link to /dev/null in /etc/systemd/system.
            if (dir === 'etc/systemd/system' && (await root.readLink(rel)) === '/dev/null') {
              units.push({ unit, source: source(unit), masked: true });
              continue;
            }
            const text = await root.readText(rel, HOST_FILE_LIMITS.unit, signal).catch(() => null);
            units.push({ unit, source: source(unit), ...(text ? { what: swapUnitWhat(text) } : {}) });
          }
        }
        return units;
      },
    },
    linkConfig: {
      what: 'reading the network configuration',
      read: async (signal) => {
        const config: Record<string, LinkConfig> = {};
        // Later sources only fill in interfaces earlier ones did not name: netplan renders the others.
        for (const source of LINK_CONFIG_SOURCES) {
          const names = ((await root.list(source.dir, HOST_DIR_LIMITS.config, signal).catch(() => null)) ?? []).filter((n) => source.file.test(n));
          for (const name of names) {
            const rel = `${source.dir}/${name}`;
            const text = await root.readText(rel, HOST_FILE_LIMITS.config, signal).catch(() => null);
            if (text === null) continue;
            let found: Record<string, LinkConfig> = {};
            try {
              found = source.read(text, `/${rel}`);
            } catch {
              continue; // a malformed file configures nothing we can name
            }
            for (const [iface, c] of Object.entries(found)) config[iface] ??= c;
          }
        }
        return config;
      },
    },
    mtus: {
      what: 'reading link MTUs',
      read: async (signal) => {
        const names = await links(signal);
        const routed = await routedLinks(signal);
        const wanted = names.filter((n) => routed.has(n) || !isVirtualLink(n) || OVERLAY_LINKS.test(n));
        const mtus: Record<string, number> = {};
        await Promise.all(
          wanted.map(async (name) => {
            const value = await text(`sys/class/net/${name}/mtu`, HOST_FILE_LIMITS.sysfsValue, signal).catch(() => null);
            const mtu = Number(value?.trim());
            if (value !== null && Number.isInteger(mtu) && mtu > 0) mtus[name] = mtu;
          }),
        );
        return mtus;
      },
    },
    sysctls: {
      what: 'reading sysctls',
      read: async (signal) => {
        const values: Record<string, string | null> = {};
        await Promise.all(
          (opts.sysctls ?? []).map(async (key) => {
            const value = await text(`proc/sys/${key.replace(/\./g, '/')}`, HOST_FILE_LIMITS.sysfsValue, signal);
            values[key] = value === null ? null : value.trim().slice(0, 64);
          }),
        );
        return values;
      },
    },
    sysctlFiles: {
      what: 'reading /etc/sysctl.d',
      read: async (signal) => {
        const wanted = new Set(opts.sysctls ?? []);
        const settings: Record<string, { file: string; value: string }[]> = {};
        for (const rel of await configFiles(SYSCTL_SOURCES, /\.conf$/, signal)) {
          const content = await text(rel, HOST_FILE_LIMITS.config, signal).catch(() => null);
          for (const s of content ? parseSysctlConf(content) : []) if (wanted.has(s.key)) (settings[s.key] ??= []).push({ file: `/${rel}`, value: s.value });
        }
        return settings;
      },
    },
    modulesLoad: {
      what: 'reading /etc/modules-load.d',
      read: async (signal) => {
        const out: { module: string; file: string }[] = [];
        for (const rel of await configFiles(MODULE_SOURCES, /\.conf$/, signal)) {
          const content = await text(rel, HOST_FILE_LIMITS.config, signal).catch(() => null);
          for (const module of content ? parseModulesLoad(content) : []) out.push({ module, file: `/${rel}` });
        }
        return out;
      },
    },
    cniConfig: {
      what: 'reading the CNI config',
      read: async (signal) => {
        const dir = await cniConfDir(signal);
        const first = [...(await cniConfNames(signal))].sort()[0];
        if (!first) return null;
        const content = await text(`${dir}/${first}`, HOST_FILE_LIMITS.config, signal);
        return content === null ? null : { ...parseCniConfig(content), file: `/${dir}/${first}` };
      },
    },
    ciliumHealth: {
      what: 'asking cilium-agent (GET /v1/healthz)',
      read: async (signal) => {
        let socket: string | undefined;
        for (const candidate of DEFAULT_CILIUM_SOCKETS) socket ??= (await root.resolve(candidate, { expect: 'socket' }))?.real;
        // No socket: no Cilium on this host, not an error.
        return socket ? ciliumHealthz(socket, signal) : undefined;
      },
    },
    interfaceCount: {
      what: 'counting /sys/class/net',
      read: async (signal) => (await links(signal)).length,
    },
    cniConfigFiles: { what: "listing the runtime's CNI config dir", read: cniConfNames },
    cniConfigDir: { what: "reading the container runtime's config", read: async (signal) => `/${await cniConfDir(signal)}` },
    bgpSessions: {
      what: 'asking BIRD (show protocols all)',
      read: async (signal) => {
        let socket = opts.birdSocket;
        if (socket) {
          const st = await lstat(socket).catch(() => undefined);
          if (!st) throw new Error(`no BIRD socket at ${socket}`);
          if (!st.isSocket()) throw new Error(`${socket} (--bird-socket) is not a socket`);
        } else {
          // No socket means no BIRD on this host (flannel, or Calico without BGP): not an error.
          for (const candidate of DEFAULT_BIRD_SOCKETS) {
            socket ??= (await root.resolve(candidate, { expect: 'socket' }))?.real;
          }
          if (!socket) return undefined;
        }
        return parseBirdProtocols(await birdCommand(socket, 'show protocols all', signal));
      },
    },
  };
}

/** Every host fact the agent reads. */
export function hostFactKeys(): (keyof HostFacts & FactKey)[] {
  return Object.keys(readers({ root: undefined as never, factTimeoutMs: 0 })) as (keyof HostFacts & FactKey)[];
}

/**
 * Reads every host fact at once, each under its own deadline: the whole read ends within about one
 * deadline, whatever the host does.
 */
export async function readHostFacts(opts: HostOptions): Promise<HostRead> {
  const host: HostFacts = {};
  const unavailable: HostRead['unavailable'] = {};
  opts.root.newCycle();
  await Promise.all(
    Object.entries(readers(opts)).map(async ([key, reader]) => {
      const k = key as keyof HostFacts & FactKey;
      try {
        const value = await withDeadline(opts.factTimeoutMs, reader!.what, (signal) => (reader!.read as Reader<typeof k>)(signal), opts.signal);
        (host as Record<string, unknown>)[k] = value;
      } catch (e) {
        unavailable[k] = (e as Error).message;
      }
    }),
  );
  return { host, unavailable };
}
