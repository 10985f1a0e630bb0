import yaml from 'js-yaml';
import { ParseError } from '../util/parse-error';

export interface KubeadmNetworking {
  podSubnet?: string;
  serviceSubnet?: string;
}

/** The networking stanza of kubeadm-config's ClusterConfiguration. */
export function parseKubeadmClusterConfiguration(text: string): KubeadmNetworking {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (e) {
    throw new ParseError('ClusterConfiguration', `not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ParseError('ClusterConfiguration', 'not a YAML mapping');
  const net = (doc as { networking?: Record<string, unknown> }).networking;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return net && typeof net === 'object' ? { podSubnet: str(net.podSubnet), serviceSubnet: str(net.serviceSubnet) } : {};
}
