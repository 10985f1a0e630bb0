import { ParseError } from '../util/parse-error';

export interface Route {
  iface: string;
  destination: string; // dotted quad
  gateway: string;
  mask: string;
  prefix: number;
  up: boolean; // RTF_UP
}

const RTF_UP = 0x1;

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

export function isDefaultRoute(route: Route): boolean {
  return route.destination === '0.0.0.0' && route.prefix === 0;
}
