// Reading commands as bash does, for tests: what is outside quotes, and a lint over the code that
// builds fixes (test/unit/remedy-quoting.test.ts).

/** What bash reads outside quotes (single-quoted text and backslash-escaped characters left out). */
export function bare(command: string): string {
  let out = '';
  for (let i = 0, quoted = false; i < command.length; i++) {
    const c = command[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '\\') i++;
    else if (!quoted) out += c;
  }
  return out;
}

/** Words a command line starts with: a template or string starting so is a command. */
const COMMAND =
  /^\s*(sysctl|sed|printf|echo|modprobe|systemctl|kubectl|calicoctl|ip|nmcli|ifup|ifdown|netplan|swapoff|swapon|journalctl|grep|conntrack|cat|ls|mount|ethtool|networkctl|resolvectl|rm|mv|cp|tee|chmod|touch|crictl|birdcl)\b/;

/** What may stand inside `${...}` in a command. */
function allowed(expr: string): boolean {
  const e = expr.trim();
  if (/^shq\([\s\S]*\)$/.test(e) && balanced(e.slice(4, -1))) return true;
  if (/^shqAll\([\s\S]*\)$/.test(e) && balanced(e.slice(7, -1))) return true;
  if (/^(\w+\.)?node$/.test(e)) return true;
  if (/^[A-Z][A-Z0-9_]*$/.test(e)) return true;
  // A list of names, each quoted: `${units.map((u) => shq(u)).join(' ')}`
  if (/^[\w.]+\.map\(\((\w+)\) => shq\(\1\)\)\.join\(' '\)$/.test(e)) return true;
  return false;
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

interface Literal {
  line: number;
  /** The literal text with each interpolation replaced by \u0000. */
  text: string;
  exprs: string[];
}

/** Every template literal of a source file (nested ones too), with its interpolations. */
export function templates(src: string): Literal[] {
  const out: Literal[] = [];
  const lineAt = (i: number) => src.slice(0, i).split('\n').length;
  // Scans a template starting after its opening backtick; returns the index after its closing one.
  const scanTemplate = (start: number): number => {
    let text = '';
    const exprs: string[] = [];
    let i = start;
    while (i < src.length && src[i] !== '`') {
      if (src[i] === '\\') {
        text += src.slice(i, i + 2);
        i += 2;
      } else if (src[i] === '$' && src[i + 1] === '{') {
        const end = scanCode(i + 2, '}');
        exprs.push(src.slice(i + 2, end));
        text += '\u0000';
        i = end + 1;
      } else text += src[i++];
    }
    out.push({ line: lineAt(start), text, exprs });
    return i + 1;
  };
  // Scans code up to the closing `close` at depth 0; returns its index.
  const scanCode = (start: number, close: string | undefined): number => {
    let depth = 0;
    let i = start;
    while (i < src.length) {
      const c = src[i];
      if (c === '`') i = scanTemplate(i + 1);
      else if (c === "'" || c === '"') {
        const q = c;
        i++;
        while (i < src.length && src[i] !== q) i += src[i] === '\\' ? 2 : 1;
        i++;
      } else if (c === '/' && src[i + 1] === '/') i = src.indexOf('\n', i) === -1 ? src.length : src.indexOf('\n', i);
      else if (c === '/' && src[i + 1] === '*') i = src.indexOf('*/', i) + 2;
      else if (c === '{') {
        depth++;
        i++;
      } else if (c === '}') {
        if (depth === 0 && close === '}') return i;
        depth--;
        i++;
      } else i++;
    }
    return i;
  };
  scanCode(0, undefined);
  return out;
}

/** The unquoted interpolations and concatenations in command strings of one file. */
export function unquoted(file: string, src: string): string[] {
  const problems: string[] = [];
  for (const t of templates(src)) {
    if (!COMMAND.test(t.text.replace(/\u0000/g, 'x'))) continue;
    for (const e of t.exprs) if (!allowed(e)) problems.push(`${file}:${t.line}: \${${e}} enters a command without shq()`);
  }
  src.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/(['`])((?:(?!\1)[^\\]|\\.)*)\1\s*\+/g)) {
      if (COMMAND.test(m[2])) problems.push(`${file}:${i + 1}: a command built with + (${m[0].trim()})`);
    }
  });
  return problems;
}
