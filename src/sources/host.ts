// The host facts the agent reads on its node, each from a file or socket under --host-root, each
// with a byte cap sized to the file and a deadline, each failing on its own: one unreadable or
// hanging file leaves that fact unavailable (with the reason) and the others intact.
import { lstat } from 'node:fs/promises';
import type { FactKey, HostFacts } from '../facts';
import { HostFileError, type HostRoot } from '../host/root';
import { isVirtualLink } from '../host-network';
import { parseBirdProtocols } from '../parsers/bird';
import { parseFstabSwaps } from '../parsers/fstab';
import { parseKubeletConfig } from '../parsers/kubelet-config';
import { parseProcNetRoute } from '../parsers/proc-net-route';
import { parseProcSwaps } from '../parsers/proc-swaps';
import { parseSubnetEnv } from '../parsers/subnet-env';
import { withDeadline } from '../util/deadline';
import { birdCommand } from './bird-client';

/** Byte caps, sized to what each file holds on a busy node, with room to spare. */
export const HOST_FILE_LIMITS = {
  subnetEnv: 4 * 1024,
  sysfsValue: 4 * 1024,
  procSwaps: 64 * 1024,
  fstab: 64 * 1024,
  kubeletConfig: 256 * 1024,
  procNetRoute: 1024 * 1024, // ~8,000 routes: a Calico node with a /32 per pod and a block per peer
  cmdline: 64 * 1024,
} as const;

/** Directory sizes past which something is wrong (or hostile); listing stops there. */
export const HOST_DIR_LIMITS = { interfaces: 8192, cniConfigs: 256, processes: 65536 } as const;

export const KUBEADM_KUBELET_CONFIG = 'var/lib/kubelet/config.yaml';
/** Calico's BIRD socket: /var/run is /run on every current distribution, but not inside every mount. */
export const DEFAULT_BIRD_SOCKETS = ['var/run/calico/bird.ctl', 'run/calico/bird.ctl'];

export interface HostOptions {
  root: HostRoot;
  /** An explicit --bird-socket path (on the agent's filesystem); default: in the root. */
  birdSocket?: string;
  /** Deadline of each fact (a file, the BIRD socket). */
  factTimeoutMs: number;
  /** Where the kubelet's config is, as a host path; found from the kubelet's command line when unset. */
  kubeletConfig?: () => Promise<string>;
  /** The agent stopping: reads in flight are abandoned. */
  signal?: AbortSignal;
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
  const routes = once(async (signal) => parseProcNetRoute(await required('proc/net/route', HOST_FILE_LIMITS.procNetRoute, signal)));
  const links = once(async (signal) => {
    const names = await root.list('sys/class/net', HOST_DIR_LIMITS.interfaces, signal);
    if (names === null) throw new HostFileError('/sys/class/net', '/sys/class/net does not exist', 'ENOENT');
    return names;
  });
  return {
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
        return content === null ? null : { ...parseKubeletConfig(content), path: `/${file.replace(/^\/+/, '')}` };
      },
    },
    routes: { what: 'reading /proc/net/route', read: routes },
    interfaces: {
      what: 'reading /sys/class/net',
      read: async (signal) => {
        const names = await links(signal);
        // Only links that can carry the node's traffic are read: a node with 110 pods has 110 veths,
        // whose state tells nothing about the node. Links a route uses are read whatever their name.
        const routed = new Set((await routes(signal).catch(() => [])).map((r) => r.iface));
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
    interfaceCount: {
      what: 'counting /sys/class/net',
      read: async (signal) => (await links(signal)).length,
    },
    cniConfigFiles: {
      what: 'listing /etc/cni/net.d',
      read: async (signal) => ((await root.list('etc/cni/net.d', HOST_DIR_LIMITS.cniConfigs, signal)) ?? []).filter((f) => /\.(conf|conflist|json)$/.test(f)),
    },
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
