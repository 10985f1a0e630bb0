// Bundles the three programs with esbuild. Splitting keeps the Kubernetes client in its own chunk,
// loaded only by the commands that talk to a cluster. Writes, beside the bundles, the license
// notices of everything bundled (dist/THIRD_PARTY_NOTICES.txt) and a CycloneDX SBOM
// (dist/sbom.cdx.json), both read from esbuild's metafile.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { revision as computeRevision } from './tools/revision.mjs';
import { thirdParty } from './tools/third-party.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
// The source revision for netcheck_build_info; a tree with uncommitted changes says so.
const revision = computeRevision();
rmSync('dist', { recursive: true, force: true }); // chunk names change with content

// node:http and node:https through require(), not import: Node 22's ESM facade of a built-in reads
// every export, and node:http's lazy WebSocket getter then loads undici and compiles its WebAssembly
// parser at start-up (about 6 MiB of RSS in the agent, and no --jitless: it has no WebAssembly).
const cjsBuiltins = {
  name: 'cjs-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:https?$/ }, (a) => (a.namespace === 'cjs-builtin' ? { path: a.path, external: true } : { path: a.path, namespace: 'cjs-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'cjs-builtin' }, (a) => ({ contents: `module.exports = require(${JSON.stringify(a.path)});`, loader: 'js' }));
  },
};

// Fastify's schema compilers (ajv, fast-json-stringify: ~4 MiB of the agent's RSS just to load)
// serve routes that declare schemas; the agent declares none, so the bundle carries stand-ins that
// say so if a route ever does. Tests run the sources, with the real compilers.
const noSchemaCompilers = {
  name: 'no-schema-compilers',
  setup(b) {
    b.onResolve({ filter: /^@fastify\/(ajv-compiler|fast-json-stringify-compiler)$/ }, (a) => ({ path: a.path, namespace: 'no-schema-compiler' }));
    b.onLoad({ filter: /.*/, namespace: 'no-schema-compiler' }, (a) => ({
      contents: `module.exports = () => () => { throw new Error(${JSON.stringify(`${a.path} is left out of this bundle (build.mjs): declare no route schemas`)}); };`,
      loader: 'js',
    }));
  },
};

// Built-ins a bundled library loads at start for a feature the agent does not use: Fastify's
// server.js requires node:http2 for `http2: true` servers, prom-client's pushgateway.js requires
// zlib to gzip pushes. Together about 1.5 MiB of the agent's RSS (docs/benchmarks.md). Only those
// importers get the stand-in, which throws if the feature is ever reached.
const UNUSED_BUILTINS = [
  { importer: /[\\/]fastify[\\/]lib[\\/]server\.js$/, builtin: /^node:http2$/ },
  { importer: /[\\/]prom-client[\\/]lib[\\/]pushgateway\.js$/, builtin: /^zlib$/ },
];
const unusedBuiltins = {
  name: 'unused-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z0-9]+$/ }, (a) => {
      const hit = UNUSED_BUILTINS.find((u) => u.builtin.test(a.path) && u.importer.test(a.importer));
      return hit ? { path: `${a.path} for ${a.importer.split(/[\\/]node_modules[\\/]/).pop()}`, namespace: 'unused-builtin' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'unused-builtin' }, (a) => ({
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${a.path} is left out of this bundle (build.mjs)`)}); };\nmodule.exports = new Proxy({}, { get: (_, k) => (typeof k === 'symbol' || k === '__esModule' ? undefined : fail) });`,
      loader: 'js',
    }));
  },
};

const result = await build({
  plugins: [cjsBuiltins, noSchemaCompilers, unusedBuiltins],
  entryPoints: { plugin: 'plugin/main.ts', exporter: 'exporter/main.ts', sim: 'test/sim/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  metafile: true,
  // The notices file carries every bundled license in full; per-file comments would repeat them.
  legalComments: 'none',
  logLevel: 'warning',
  define: { NETCHECK_VERSION: JSON.stringify(pkg.version), NETCHECK_REVISION: JSON.stringify(revision) },
  // Some bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

const { notices, sbom } = thirdParty(result.metafile, ['dist/plugin.mjs', 'dist/exporter.mjs'], { name: pkg.name, version: pkg.version, license: pkg.license });
writeFileSync('dist/THIRD_PARTY_NOTICES.txt', notices);
writeFileSync('dist/sbom.cdx.json', sbom);
// The agent image carries the exporter alone: its own SBOM (tools/image/build.mjs adds the base).
writeFileSync('dist/exporter.sbom.cdx.json', thirdParty(result.metafile, ['dist/exporter.mjs'], { name: pkg.name, version: pkg.version, license: pkg.license }).sbom);
