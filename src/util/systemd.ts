/**
 * The name systemd gives the unit of a path, as `systemd-escape -p --suffix=swap PATH` prints it:
 * /dev/sda3 → dev-sda3.swap, /swap.img → swap.img.swap, /dev/mapper/vg-swap → dev-mapper-vg\x2dswap.swap.
 */
export function unitNameOfPath(path: string, suffix: string): string {
  const trimmed = path.replace(/\/+/g, '/').replace(/^\/|\/$/g, '');
  if (trimmed === '') return `-.${suffix}`;
  const escaped = [...trimmed]
    .map((c, i) => {
      if (c === '/') return '-';
      if (/[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0)) return c;
      return [...Buffer.from(c, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
    })
    .join('');
  return `${escaped}.${suffix}`;
}

/** `What=` of a .swap unit file ([Swap] section). */
export function swapUnitWhat(text: string): string | undefined {
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1];
    else if (section === 'Swap' && /^What\s*=/.test(line)) return line.slice(line.indexOf('=') + 1).trim();
  }
  return undefined;
}
