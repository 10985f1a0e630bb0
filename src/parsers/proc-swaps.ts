import { ParseError } from './parse-error';

export interface SwapArea {
  filename: string;
  type: string;
  sizeKiB: number;
}

/** /proc/swaps: a header line, then one active swap area per line. */
export function parseProcSwaps(text: string): SwapArea[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  if (!lines[0].startsWith('Filename')) throw new ParseError('/proc/swaps', 'missing the Filename header');
  return lines.slice(1).map((line) => {
    const fields = line.trim().split(/\s+/);
    const sizeKiB = Number(fields[2]);
    if (fields.length < 5 || !Number.isFinite(sizeKiB)) {
      throw new ParseError('/proc/swaps', `unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    }
    // The kernel escapes blanks in paths as \040.
    return { filename: fields[0].replace(/\\040/g, ' '), type: fields[1], sizeKiB };
  });
}
