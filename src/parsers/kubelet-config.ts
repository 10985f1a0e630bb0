import yaml from 'js-yaml';
import { ParseError } from '../util/parse-error';

export interface KubeletSwapConfig {
  failSwapOn: boolean;
  swapBehavior?: string;
  /** resolvConf: the file pods' DNS comes from ("" turns it off); absent: the default, /etc/resolv.conf. */
  resolvConf?: string;
  /** clusterDNS: the cluster DNS Service addresses the kubelet gives pods. */
  clusterDNS?: string[];
}

/** The swap-related part of /var/lib/kubelet/config.yaml (KubeletConfiguration). */
export function parseKubeletConfig(text: string): KubeletSwapConfig {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (e) {
    throw new ParseError('kubelet config', `not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === undefined || doc === null) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ParseError('kubelet config', 'not a YAML mapping');
  const cfg = doc as { failSwapOn?: unknown; memorySwap?: { swapBehavior?: unknown }; resolvConf?: unknown; clusterDNS?: unknown };
  if (cfg.failSwapOn !== undefined && typeof cfg.failSwapOn !== 'boolean') {
    throw new ParseError('kubelet config', 'failSwapOn is not a boolean');
  }
  const behavior = cfg.memorySwap && typeof cfg.memorySwap === 'object' ? cfg.memorySwap.swapBehavior : undefined;
  return {
    failSwapOn: cfg.failSwapOn ?? true, // the kubelet's default
    swapBehavior: typeof behavior === 'string' ? behavior : undefined,
    ...(typeof cfg.resolvConf === 'string' ? { resolvConf: cfg.resolvConf } : {}),
    ...(Array.isArray(cfg.clusterDNS) ? { clusterDNS: cfg.clusterDNS.filter((a): a is string => typeof a === 'string').slice(0, 8) } : {}),
  };
}
