import { ParseError } from '../util/parse-error';

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
  // Errors name the line, never quote it: the file may not be what it claims to be.
  return lines.slice(1).map((line, i) => {
    const fields = line.trim().split(/\s+/);
    const sizeKiB = Number(fields[2]);
    if (fields.length < 5 || !Number.isFinite(sizeKiB)) {
      throw new ParseError('/proc/swaps', `line ${i + 2} is not a swap area (Filename Type Size Used Priority)`);
    }
    // The kernel escapes blanks in paths as \040.
    return { filename: fields[0].replace(/\\040/g, ' '), type: fields[1], sizeKiB };
  });
}
