import type { PeerNode } from '../core/facts';
import { type Cidr, overlaps, parseCidr } from '../util/cidr';

/**
 * Lookups over every node of the cluster, built once per peer list and shared by all the nodes
 * of a `nodes` run: who uses an address, and whose podCIDR overlaps a block.
 */
export interface PeerIndex {
  count: number;
  withCniAddress(address: string): string[];
  withInternalIP(address: string): string[];
  overlapping(block: Cidr): { name: string; cidr: string }[];
  podCidrs(): Cidr[];
  byAddress(address: string): PeerNode | undefined;
}

const built = new WeakMap<PeerNode[], PeerIndex>();

function group(peers: PeerNode[], key: (p: PeerNode) => string | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const p of peers) {
    const k = key(p);
    if (k) map.set(k, [...(map.get(k) ?? []), p.name]);
  }
  return map;
}

export function peerIndex(peers: PeerNode[]): PeerIndex {
  const cached = built.get(peers);
  if (cached) return cached;
  const cni = group(peers, (p) => p.cniAddress);
  const internal = group(peers, (p) => p.internalIP);
  const byAddress = new Map<string, PeerNode>();
  for (const p of peers) for (const a of [p.internalIP, p.cniAddress]) if (a && !byAddress.has(a)) byAddress.set(a, p);
  // Blocks sorted by start; an overlap search scans only those that can reach the block.
  const blocks = peers.flatMap((p) => p.podCIDRs.map((text) => ({ name: p.name, text, cidr: parseCidr(text) }))).sort((a, b) => (a.cidr.base < b.cidr.base ? -1 : a.cidr.base > b.cidr.base ? 1 : 0));
  const widest = blocks.reduce((w, b) => (1n << BigInt(b.cidr.bits - b.cidr.prefix) > w ? 1n << BigInt(b.cidr.bits - b.cidr.prefix) : w), 0n);
  const index: PeerIndex = {
    count: peers.length,
    withCniAddress: (a) => cni.get(a) ?? [],
    withInternalIP: (a) => internal.get(a) ?? [],
    byAddress: (a) => byAddress.get(a),
    podCidrs: () => blocks.map((b) => b.cidr),
    overlapping(block) {
      const from = block.base - widest;
      let lo = 0;
      let hi = blocks.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (blocks[mid].cidr.base < from) lo = mid + 1;
        else hi = mid;
      }
      const end = block.base + (1n << BigInt(block.bits - block.prefix));
      const found = [];
      for (let i = lo; i < blocks.length && blocks[i].cidr.base < end; i++) {
        if (overlaps(blocks[i].cidr, block)) found.push({ name: blocks[i].name, cidr: blocks[i].text });
      }
      return found;
    },
  };
  built.set(peers, index);
  return index;
}
