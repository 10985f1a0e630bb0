import { ParseError } from '../util/parse-error';

/** What netcheck reads of a CNI network config (.conf or .conflist in /etc/cni/net.d). */
export interface CniConfig {
  /** The plugin types, in chain order: ["flannel", "portmap"]. */
  types: string[];
  /** The MTU it sets, when it sets one (the bridge, ptp and calico plugins take "mtu"). */
  mtu?: number;
  /** Pods attach to a Linux bridge: the bridge plugin, or flannel (which delegates to it). */
  bridge: boolean;
}

/**
 * A CNI network config (.conf or .conflist) as JSON: the document, and its plugins (a .conflist's
 * `plugins`, or the .conf itself as its one plugin). Shared by every reader of /etc/cni/net.d.
 */
export function cniConfigDocument(text: string): { conf: Record<string, unknown>; plugins: Record<string, unknown>[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ParseError('CNI config', 'not JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ParseError('CNI config', 'not a JSON object');
  const conf = doc as Record<string, unknown>;
  const plugins = (Array.isArray(conf.plugins) ? conf.plugins : [conf]).filter((p): p is Record<string, unknown> => !!p && typeof p === 'object' && !Array.isArray(p));
  return { conf, plugins };
}

export function parseCniConfig(text: string): CniConfig {
  const { plugins } = cniConfigDocument(text);
  const types = plugins.map((p) => (typeof p.type === 'string' ? p.type : '')).filter(Boolean);
  const mtu = plugins.map((p) => p.mtu).find((m): m is number => typeof m === 'number' && Number.isInteger(m) && m > 0);
  return { types, ...(mtu ? { mtu } : {}), bridge: types.includes('bridge') || types.includes('flannel') };
}
