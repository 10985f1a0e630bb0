import fs from 'node:fs/promises';
import path from 'node:path';
import type { FactKey, HostFacts } from '../facts';
import { parseBirdProtocols } from '../parsers/bird';
import { parseFstabSwaps } from '../parsers/fstab';
import { parseKubeletConfig } from '../parsers/kubelet-config';
import { parseProcNetRoute } from '../parsers/proc-net-route';
import { parseProcSwaps } from '../parsers/proc-swaps';
import { parseSubnetEnv } from '../parsers/subnet-env';
import { birdCommand } from './bird-client';

/** Host files are small; anything larger is not what we think it is and is not read whole. */
export const MAX_HOST_FILE_BYTES = 1024 * 1024;

export interface HostOptions {
  root: string; // the host's / as mounted into the agent, e.g. /host
  birdSocket?: string;
  birdTimeoutMs: number;
}

/** Every host path goes through here, so --host-root applies to all of them. */
export function hostPath(root: string, ...parts: string[]): string {
  return path.join(root, ...parts);
}

async function readCapped(file: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(MAX_HOST_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_HOST_FILE_BYTES) throw new Error(`${file} is larger than ${MAX_HOST_FILE_BYTES} bytes`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

export interface HostRead {
  host: HostFacts;
  unavailable: Partial<Record<FactKey, string>>;
}

/**
 * Reads every host fact independently: one unreadable or malformed file leaves that fact
 * unavailable (with the reason) and the others intact.
 */
export async function readHostFacts(opts: HostOptions): Promise<HostRead> {
  const host: HostFacts = {};
  const unavailable: HostRead['unavailable'] = {};
  const file = (...parts: string[]) => hostPath(opts.root, ...parts);
  const read = async <K extends keyof HostFacts & FactKey>(key: K, load: () => Promise<HostFacts[K]>) => {
    try {
      host[key] = await load();
    } catch (e) {
      unavailable[key] = (e as Error).message;
    }
  };
  const optional = async <T>(p: string, parse: (text: string) => T, absent: T): Promise<T> => {
    try {
      return parse(await readCapped(p));
    } catch (e) {
      if (missing(e)) return absent;
      throw e;
    }
  };
  await Promise.all([
    read('subnetEnv', () => optional(file('run/flannel/subnet.env'), parseSubnetEnv, null)),
    read('swaps', async () => parseProcSwaps(await readCapped(file('proc/swaps')))),
    read('fstabSwaps', () => optional(file('etc/fstab'), parseFstabSwaps, [])),
    read('kubeletConfig', () => optional(file('var/lib/kubelet/config.yaml'), parseKubeletConfig, null)),
    read('routes', async () => parseProcNetRoute(await readCapped(file('proc/net/route')))),
    read('interfaces', async () => {
      const names = await fs.readdir(file('sys/class/net'));
      const states = await Promise.all(names.map((n) => readCapped(file('sys/class/net', n, 'operstate')).then((s) => s.trim(), () => 'missing')));
      return Object.fromEntries(names.map((n, i) => [n, states[i]]));
    }),
    read('cniConfigFiles', async () => {
      try {
        return (await fs.readdir(file('etc/cni/net.d'))).filter((f) => /\.(conf|conflist|json)$/.test(f)).sort();
      } catch (e) {
        if (missing(e)) return [];
        throw e;
      }
    }),
    read('bgpSessions', async () => {
      const socket = opts.birdSocket ?? file('var/run/calico/bird.ctl');
      // No socket means no BIRD on this host (flannel, or Calico without BGP): not an error.
      if (!(await fs.stat(socket).then(() => true, () => false))) return undefined;
      return parseBirdProtocols(await birdCommand(socket, 'show protocols all', opts.birdTimeoutMs));
    }),
  ]);
  return { host, unavailable };
}
