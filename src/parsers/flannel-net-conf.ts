import { ParseError } from '../util/parse-error';

export interface FlannelNetConf {
  network?: string;
  ipv6Network?: string;
  backend?: string;
}

/** kube-flannel-cfg's net-conf.json. */
export function parseFlannelNetConf(text: string): FlannelNetConf {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ParseError('net-conf.json', `not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ParseError('net-conf.json', 'not a JSON object');
  const conf = doc as { Network?: unknown; IPv6Network?: unknown; Backend?: { Type?: unknown } };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    network: str(conf.Network),
    ipv6Network: str(conf.IPv6Network),
    backend: conf.Backend && typeof conf.Backend === 'object' ? str(conf.Backend.Type) : undefined,
  };
}
