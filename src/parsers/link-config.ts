// How the host brings its network interfaces up: which tool manages each interface, in which file,
// and whether it comes up at boot. Read from the configuration files of netplan, RHEL's
// network-scripts (ifcfg), NetworkManager keyfiles, Debian's ifupdown and systemd-networkd, so a
// remedy can name the exact command for the tool that owns the interface.
import yaml from 'js-yaml';
import { ParseError } from '../util/parse-error';

export type LinkManager = 'netplan' | 'network-scripts' | 'NetworkManager' | 'ifupdown' | 'systemd-networkd';

export interface LinkConfig {
  manager: LinkManager;
  /** The host path of the file that configures it. */
  file: string;
  /** NetworkManager's connection name, when the file says. */
  connection?: string;
  /** false when the file says it does not come up at boot (ONBOOT=no, autoconnect=false, no `auto`). */
  onBoot?: boolean;
}

/** Lines of KEY=VALUE (ifcfg): quotes stripped. */
function keyValues(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0)
      vars.set(
        line.slice(0, eq).trim(),
        line
          .slice(eq + 1)
          .trim()
          .replace(/^(["'])(.*)\1$/, '$2'),
      );
  }
  return vars;
}

/** netplan: the interfaces named under ethernets, wifis, bonds, bridges, vlans. */
export function parseNetplan(text: string): string[] {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (e) {
    throw new ParseError('netplan', `not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const network = (doc as { network?: Record<string, unknown> } | null)?.network;
  if (!network || typeof network !== 'object') return [];
  const names: string[] = [];
  for (const kind of ['ethernets', 'wifis', 'bonds', 'bridges', 'vlans']) {
    const section = network[kind];
    if (section && typeof section === 'object') names.push(...Object.keys(section as object));
  }
  return names;
}

/** /etc/sysconfig/network-scripts/ifcfg-*: DEVICE, NAME, ONBOOT. */
export function parseIfcfg(text: string): { device?: string; name?: string; onBoot: boolean } {
  const vars = keyValues(text);
  return { device: vars.get('DEVICE'), name: vars.get('NAME'), onBoot: (vars.get('ONBOOT') ?? 'yes').toLowerCase() !== 'no' };
}

/** A NetworkManager keyfile (INI): [connection] id, interface-name, autoconnect. */
export function parseNmKeyfile(text: string): { id?: string; interfaceName?: string; autoconnect: boolean } {
  let section = '';
  const conn = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1];
    else if (section === 'connection' && line.includes('=')) conn.set(line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1).trim());
  }
  return { id: conn.get('id'), interfaceName: conn.get('interface-name'), autoconnect: (conn.get('autoconnect') ?? 'true') !== 'false' };
}

/** Debian's /etc/network/interfaces: each configured interface, and whether `auto`/`allow-hotplug` brings it up. */
export function parseInterfaces(text: string): Record<string, { auto: boolean }> {
  const out: Record<string, { auto: boolean }> = {};
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (fields[0] === 'iface' && fields[1] && fields[1] !== 'lo') out[fields[1]] ??= { auto: false };
    if ((fields[0] === 'auto' || fields[0] === 'allow-hotplug') && fields.length > 1) {
      for (const name of fields.slice(1)) if (name !== 'lo') out[name] = { auto: true };
    }
  }
  return out;
}

/** systemd-networkd *.network: the names it matches ([Match] Name=, exact names only). */
export function parseNetworkdNetwork(text: string): string[] {
  let section = '';
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1];
    else if (section === 'Match' && /^Name\s*=/.test(line))
      names.push(
        ...line
          .split('=')[1]
          .trim()
          .split(/\s+/)
          .filter((n) => /^[\w.-]+$/.test(n)),
      );
  }
  return names;
}
