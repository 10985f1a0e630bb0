import { ParseError } from '../util/parse-error';

export interface Route {
  iface: string;
  destination: string; // dotted quad, or an IPv6 address (::, fd00::) from /proc/net/ipv6_route
  gateway: string; // 0.0.0.0 or :: when the destination is on-link
  mask: string;
  prefix: number;
  up: boolean; // RTF_UP
  /** 6 for a route of /proc/net/ipv6_route; absent for IPv4. */
  family?: 6;
  /** RTF_REJECT: an unreachable route (the kernel's ::/0 on lo when there is no IPv6 default). */
  reject?: boolean;
}

const RTF_UP = 0x1;
const RTF_REJECT = 0x200;

/** /proc/net/route stores addresses as little-endian hex: 0101A8C0 is 192.168.1.1. */
function hexToIPv4(hex: string, line: number): string {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) throw new ParseError('/proc/net/route', `line ${line}: an address is not 8 hex digits`);
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

function prefixLength(maskHex: string): number {
  const n = Number.parseInt(maskHex, 16) >>> 0;
  let bits = 0;
  for (let v = n; v; v >>>= 1) bits += v & 1;
  return bits;
}

export function parseProcNetRoute(text: string): Route[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  if (!/^Iface\s/.test(lines[0])) throw new ParseError('/proc/net/route', 'missing the Iface header');
  // Errors name the line, never quote it: the file may not be what it claims to be.
  return lines.slice(1).map((line, i) => {
    const n = i + 2;
    const f = line.trim().split(/\s+/);
    if (f.length < 8) throw new ParseError('/proc/net/route', `line ${n} has fewer than 8 fields`);
    if (!/^[0-9A-Fa-f]{1,8}$/.test(f[3])) throw new ParseError('/proc/net/route', `line ${n}: the flags are not hex`);
    const flags = Number.parseInt(f[3], 16);
    return {
      iface: f[0].slice(0, 64),
      destination: hexToIPv4(f[1], n),
      gateway: hexToIPv4(f[2], n),
      mask: hexToIPv4(f[7], n),
      prefix: prefixLength(f[7]),
      up: (flags & RTF_UP) !== 0,
    };
  });
}

/** 32 hex digits as an IPv6 address, compressed the usual way (fd00::1, ::). */
function hexToIPv6(hex: string, line: number): string {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) throw new ParseError('/proc/net/ipv6_route', `line ${line}: an address is not 32 hex digits`);
  const groups = (hex.toLowerCase().match(/.{4}/g) ?? []).map((g) => g.replace(/^0+(?=.)/, ''));
  // The longest run of zero groups (two or more) becomes "::".
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/**
 * /proc/net/ipv6_route (no header; one route a line): destination, its prefix length (hex),
 * source, its prefix length, next hop, metric, refcount, use, flags (all hex) and the device.
 */
export function parseProcNetIpv6Route(text: string): Route[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.map((line, i) => {
    const n = i + 1;
    const f = line.trim().split(/\s+/);
    if (f.length < 10) throw new ParseError('/proc/net/ipv6_route', `line ${n} has fewer than 10 fields`);
    if (!/^[0-9A-Fa-f]{2}$/.test(f[1])) throw new ParseError('/proc/net/ipv6_route', `line ${n}: the prefix length is not 2 hex digits`);
    if (!/^[0-9A-Fa-f]{1,8}$/.test(f[8])) throw new ParseError('/proc/net/ipv6_route', `line ${n}: the flags are not hex`);
    const prefix = Number.parseInt(f[1], 16);
    if (prefix > 128) throw new ParseError('/proc/net/ipv6_route', `line ${n}: a prefix length over 128`);
    const flags = Number.parseInt(f[8], 16);
    return {
      iface: f[9].slice(0, 64),
      destination: hexToIPv6(f[0], n),
      gateway: hexToIPv6(f[4], n),
      mask: `/${prefix}`,
      prefix,
      up: (flags & RTF_UP) !== 0,
      family: 6 as const,
      ...((flags & RTF_REJECT) !== 0 ? { reject: true } : {}),
    };
  });
}

export function isDefaultRoute(route: Route): boolean {
  if (route.reject) return false;
  return (route.destination === '0.0.0.0' || route.destination === '::') && route.prefix === 0;
}

/** The address family of a route: 4 or 6. */
export const routeFamily = (route: Route): 4 | 6 => route.family ?? 4;

/** A route with no gateway: its destination is on the link. */
export const isOnLink = (route: Route): boolean => route.gateway === '0.0.0.0' || route.gateway === '::';
