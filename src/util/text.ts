// Text from outside (API objects, logs, host files, BIRD) reaches a terminal through here.

/**
 * Characters that can change what a terminal shows without being seen: C0 controls (newline, tab
 * and carriage return included: a newline lets an event message forge a whole "ok" row or a fake
 * `fix:` line), DEL, C1 controls, bidi embeddings/overrides/isolates (U+202A–202E, U+2066–2069,
 * and the marks U+200E, U+200F, U+061C), zero-width characters (U+200B–200D, U+2060, U+FEFF), and
 * the Unicode line and paragraph separators.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Shows each unsafe character as a visible escape (\n, \x1b, \u202e), so a reader sees it is there. */
export function sanitize(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A quote of outside text in evidence: sanitized later, but never longer than a line on a screen. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
