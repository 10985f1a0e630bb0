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
  const { failSwapOn, ...rest } = parseKubeletConfigFields(text);
  return { failSwapOn: failSwapOn ?? true /* the kubelet's default */, ...rest };
}

/**
 * The swap-related fields a KubeletConfiguration sets, and only those: a drop-in in --config-dir
 * overrides the fields it names and leaves the rest to the files before it.
 */
export function parseKubeletConfigFields(text: string): Partial<KubeletSwapConfig> {
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
    ...(cfg.failSwapOn !== undefined ? { failSwapOn: cfg.failSwapOn } : {}),
    ...(typeof behavior === 'string' ? { swapBehavior: behavior } : {}),
    ...(typeof cfg.resolvConf === 'string' ? { resolvConf: cfg.resolvConf } : {}),
    ...(Array.isArray(cfg.clusterDNS) ? { clusterDNS: cfg.clusterDNS.filter((a): a is string => typeof a === 'string').slice(0, 8) } : {}),
  };
}

/**
 * The kubelet's config as it applies it: the --config file, then each drop-in of --config-dir in
 * lexical order of its name (*.conf only), a later one overriding the fields it sets.
 */
export function mergeKubeletConfig(main: string | null, dropIns: { file: string; text: string }[]): KubeletSwapConfig & { setBy: Partial<Record<keyof KubeletSwapConfig, string>> } {
  const merged: Partial<KubeletSwapConfig> = main === null ? {} : parseKubeletConfigFields(main);
  const setBy: Partial<Record<keyof KubeletSwapConfig, string>> = {};
  for (const d of [...dropIns].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    const fields = parseKubeletConfigFields(d.text);
    for (const k of Object.keys(fields) as (keyof KubeletSwapConfig)[]) setBy[k] = d.file;
    Object.assign(merged, fields);
  }
  const { failSwapOn, ...rest } = merged;
  return { failSwapOn: failSwapOn ?? true, ...rest, setBy };
}
