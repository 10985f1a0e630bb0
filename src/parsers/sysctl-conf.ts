/**
 * sysctl.d(5) files: `key = value` lines (keys with / or . as separators; `-` prefix: ignore
 * errors). Returns the settings in file order; the last one for a key wins.
 */
export function parseSysctlConf(text: string): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = normalizeKey(line.slice(0, eq).trim().replace(/^-/, ''));
    out.push({ key, value: line.slice(eq + 1).trim() });
  }
  return out;
}

/** "net/ipv4/conf/eth0.100/forwarding" → "net.ipv4.conf.eth0/100.forwarding": when the first separator is a slash, slashes and dots swap (sysctl.d(5)). */
export function normalizeKey(key: string): string {
  const first = /[./]/.exec(key)?.[0];
  return first === '/' ? key.replace(/[./]/g, (c) => (c === '/' ? '.' : '/')) : key;
}

/** modules-load.d(5) and /etc/modules: one module name a line. */
export function parseModulesLoad(text: string): string[] {
  return text
    .split('\n')
    .map(
      (l) =>
        l
          .replace(/[#;].*/, '')
          .trim()
          .split(/\s+/)[0],
    )
    .filter((m): m is string => !!m && /^[\w-]+$/.test(m));
}
