import { ParseError } from './parse-error';

/** /run/flannel/subnet.env as flanneld writes it. */
export interface SubnetEnv {
  network?: string;
  subnet: string;
  mtu?: number;
  ipMasq?: boolean;
}

export function parseSubnetEnv(text: string): SubnetEnv {
  const vars = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ParseError('subnet.env', `not KEY=VALUE: ${JSON.stringify(line.slice(0, 80))}`);
    vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const subnet = vars.get('FLANNEL_SUBNET');
  if (!subnet) throw new ParseError('subnet.env', 'FLANNEL_SUBNET is missing');
  const mtu = vars.get('FLANNEL_MTU');
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
  return lines.join('\n') + '\n';
}
