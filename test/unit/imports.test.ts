// The architecture as a test: the import graph of the program (type-only imports included) has
// no cycles, the engine (src/) never imports its fronts, and the core imports nothing of the rooms
// built on it. docs/architecture.md draws the same rooms.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const ROOMS = ['src', 'plugin', 'exporter'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import in a text: `import type`, `export ... from` and `import()` included. */
function specsOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
}

/** A file's relative imports, resolved to files. */
function importsOf(file: string): string[] {
  return specsOf(fs.readFileSync(file, 'utf8')).map((spec) => {
    const base = path.resolve(path.dirname(file), spec);
    const hit = [`${base}.ts`, path.join(base, 'index.ts'), base].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (!hit) throw new Error(`${path.relative(ROOT, file)} imports ${spec}, which does not resolve`);
    return hit;
  });
}

function graph(): Map<string, string[]> {
  const files = ROOMS.flatMap((r) => sourceFiles(path.join(ROOT, r)));
  return new Map(files.map((f) => [f, importsOf(f)]));
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.map((f) => path.relative(ROOT, f)).sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const rel = (f: string) => path.relative(ROOT, f);

describe('the import graph', () => {
  const g = graph();

  it('finds a cycle when there is one (the detector itself can fail)', () => {
    const [a, b, c] = ['src/a.ts', 'src/b.ts', 'src/c.ts'].map((f) => path.join(ROOT, f));
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [c]],
          [c, [a]],
        ]),
      ),
    ).toEqual([['src/a.ts', 'src/b.ts', 'src/c.ts']]);
    expect(
      cycles(
        new Map([
          [a, [b, c]],
          [b, [c]],
          [c, []],
        ]),
      ),
    ).toEqual([]);
    expect(specsOf("import type { A } from './a';\nexport { B } from '../b';\nconst c = await import('./c');\nimport x from 'node:fs';")).toEqual(['./a', '../b', './c']);
  });

  it('has no cycles, type-only imports included', () => {
    expect(cycles(g)).toEqual([]);
  });

  it('keeps the engine free of the fronts: nothing in src/ imports plugin/ or exporter/', () => {
    const upward = [...g].flatMap(([f, deps]) => (rel(f).startsWith('src/') ? deps.filter((d) => !rel(d).startsWith('src/')).map((d) => `${rel(f)} → ${rel(d)}`) : []));
    expect(upward).toEqual([]);
  });

  it('keeps the core (src/core) to itself, the parsers and the utilities', () => {
    const allowed = /^src\/(core|parsers|util)\//;
    const outside = [...g].flatMap(([f, deps]) => (rel(f).startsWith('src/core/') ? deps.filter((d) => !allowed.test(rel(d))).map((d) => `${rel(f)} → ${rel(d)}`) : []));
    expect(outside).toEqual([]);
  });

  it('keeps parsers and utilities at the bottom: they import only each other', () => {
    const allowed = /^src\/(parsers|util)\//;
    const outside = [...g].flatMap(([f, deps]) => (/^src\/(parsers|util)\//.test(rel(f)) ? deps.filter((d) => !allowed.test(rel(d))).map((d) => `${rel(f)} → ${rel(d)}`) : []));
    expect(outside).toEqual([]);
  });
});
