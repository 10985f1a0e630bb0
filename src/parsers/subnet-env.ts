import { parseCidr } from '../util/cidr';
import { ParseError } from '../util/parse-error';

/** /run/flannel/subnet.env as flanneld writes it. */
export interface SubnetEnv {
  network?: string;
  subnet: string;
  mtu?: number;
  ipMasq?: boolean;
}

/**
 * Errors name the line or the variable, never quote the text: the file may not be what it claims
 * to be (a symlink to another file), and what it holds must not reach a report.
 */
export function parseSubnetEnv(text: string): SubnetEnv {
  const vars = new Map<string, string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0 || !/^[A-Z0-9_]+$/.test(line.slice(0, eq))) throw new ParseError('subnet.env', `line ${i + 1} is not KEY=VALUE`);
    vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const subnet = vars.get('FLANNEL_SUBNET');
  if (!subnet) throw new ParseError('subnet.env', 'FLANNEL_SUBNET is missing');
  for (const key of ['FLANNEL_SUBNET', 'FLANNEL_NETWORK']) {
    const value = vars.get(key);
    if (value === undefined) continue;
    try {
      parseCidr(value);
    } catch {
      throw new ParseError('subnet.env', `${key} is not a CIDR`);
    }
  }
  const mtu = vars.get('FLANNEL_MTU');
  if (mtu !== undefined && !/^\d{1,6}$/.test(mtu)) throw new ParseError('subnet.env', 'FLANNEL_MTU is not a number');
  const ipMasq = vars.get('FLANNEL_IPMASQ');
  return {
    network: vars.get('FLANNEL_NETWORK'),
    subnet,
    mtu: mtu === undefined ? undefined : Number.parseInt(mtu, 10),
    ipMasq: ipMasq === undefined ? undefined : ipMasq === 'true',
  };
}

export function formatSubnetEnv(env: SubnetEnv): string {
  const lines = [];
  if (env.network !== undefined) lines.push(`FLANNEL_NETWORK=${env.network}`);
  lines.push(`FLANNEL_SUBNET=${env.subnet}`);
  if (env.mtu !== undefined) lines.push(`FLANNEL_MTU=${env.mtu}`);
  if (env.ipMasq !== undefined) lines.push(`FLANNEL_IPMASQ=${env.ipMasq}`);
  return `${lines.join('\n')}\n`;
}
