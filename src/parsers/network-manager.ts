// NetworkManager.conf(5) keyfile settings and systemd.network(5) matches: which interfaces the
// host's network managers take, and which they are told to leave alone.

/** `unmanaged-devices=` values of a NetworkManager conf file ([keyfile] or [device] sections). */
export function parseNmUnmanaged(text: string): string[] {
  const specs: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*unmanaged-devices\s*=\s*(.*)$/.exec(line);
    if (m)
      specs.push(
        ...m[1]
          .split(/[;,]/)
          .map((s) => s.trim())
          .filter(Boolean),
      );
  }
  return specs;
}

/** Does a NetworkManager device spec (interface-name:cali*, except:..., mac:...) cover `iface`? */
export function nmSpecCovers(spec: string, iface: string): boolean {
  const m = /^interface-name:(=)?(.+)$/.exec(spec);
  if (!m) return false;
  return m[1] ? m[2] === iface : globMatch(m[2], iface);
}

/** A systemd-networkd .network file's [Match] Name= globs, and [Link] Unmanaged=yes. */
export function parseNetworkdMatch(text: string): { names: string[]; unmanaged: boolean } {
  let section = '';
  const names: string[] = [];
  let unmanaged = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const kv = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    if (section === 'Match' && kv[1] === 'Name') names.push(...kv[2].split(/\s+/).filter(Boolean));
    if (section === 'Link' && kv[1] === 'Unmanaged') unmanaged = /^(yes|true|1|on)$/i.test(kv[2]);
  }
  return { names, unmanaged };
}

/** Shell-style glob (* ? [...]) as NetworkManager and systemd match interface names. */
export function globMatch(glob: string, name: string): boolean {
  const re = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  try {
    return new RegExp(`^${re}$`).test(name);
  } catch {
    return false;
  }
}
