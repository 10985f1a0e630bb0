/** Active (uncommented) swap entries in /etc/fstab: these come back at every boot. */
export function parseFstabSwaps(text: string): string[] {
  const swaps: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    if (fields.length >= 3 && fields[2] === 'swap' && !(fields[3] ?? '').split(',').includes('noauto')) {
      swaps.push(fields[0]);
    }
  }
  return swaps;
}
