import ipaddr from 'ipaddr.js';
import { ParseError } from './parse-error';

/** A CIDR block as a numeric range, so containment, overlap and free-subnet search are exact. */
export interface Cidr {
  text: string;
  bits: 32 | 128;
  base: bigint;
  prefix: number;
}

/**
 * Parsed CIDRs by text: `nodes` checks every node against the same cluster CIDRs and its peers'
 * podCIDRs, so the same few thousand strings come back again and again. Bounded; results are frozen.
 */
const parsed = new Map<string, Cidr>();
const MAX_CACHED = 20_000;

export function parseCidr(text: string): Cidr {
  let cidr = parsed.get(text);
  if (!cidr) {
    cidr = Object.freeze(parseCidrUncached(text));
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(text, cidr);
  }
  return cidr;
}

function parseCidrUncached(text: string): Cidr {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    // IPv4 first: ipaddr.parseCIDR tries IPv6 before IPv4, which dominated a 5,000-node run.
    [addr, prefix] = text.includes(':') ? ipaddr.IPv6.parseCIDR(text.trim()) : ipaddr.IPv4.parseCIDR(text.trim());
  } catch {
    throw new ParseError('CIDR', `not a CIDR: ${JSON.stringify(text.slice(0, 60))}`);
  }
  const bits = addr.kind() === 'ipv4' ? 32 : 128;
  const value = addr.toByteArray().reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
  const hostBits = BigInt(bits - prefix);
  return { text: text.trim(), bits, base: (value >> hostBits) << hostBits, prefix };
}

function size(c: Cidr): bigint {
  return 1n << BigInt(c.bits - c.prefix);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.bits === inner.bits && outer.prefix <= inner.prefix && inner.base >= outer.base && inner.base + size(inner) <= outer.base + size(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.bits === b.bits && a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function sameCidr(a: Cidr, b: Cidr): boolean {
  return a.bits === b.bits && a.base === b.base && a.prefix === b.prefix;
}

/** Does an address (no prefix) fall inside a block? */
export function containsAddress(block: Cidr, address: string): boolean {
  const bits = address.includes(':') ? 128 : 32;
  return contains(block, parseCidr(`${address}/${bits}`));
}

export function formatCidr(bits: 32 | 128, base: bigint, prefix: number): string {
  const bytes: number[] = [];
  for (let i = bits / 8 - 1; i >= 0; i--) bytes.push(Number((base >> BigInt(i * 8)) & 0xffn));
  return `${ipaddr.fromByteArray(bytes).toString()}/${prefix}`;
}

/**
 * The first block of `/maskSize` inside `cluster` that overlaps none of `taken`, or undefined when
 * the cluster CIDR is exhausted. Walks blocks in order, jumping past each taken range.
 */
export function firstFreeSubnet(cluster: Cidr, maskSize: number, taken: Cidr[]): string | undefined {
  if (maskSize < cluster.prefix || maskSize > cluster.bits) return undefined;
  const step = 1n << BigInt(cluster.bits - maskSize);
  const end = cluster.base + size(cluster);
  const sorted = taken.filter((t) => overlaps(t, cluster)).sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  let candidate = cluster.base;
  for (const t of sorted) {
    if (candidate + step <= t.base) break;
    const tEnd = t.base + size(t);
    if (tEnd > candidate) candidate = ((tEnd + step - 1n) / step) * step;
  }
  return candidate + step <= end ? formatCidr(cluster.bits, candidate, maskSize) : undefined;
}
