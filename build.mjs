// Bundles the three programs with esbuild. Splitting keeps the Kubernetes client in its own chunk,
// loaded only by the commands that talk to a cluster.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
rmSync('dist', { recursive: true, force: true }); // chunk names change with content

await build({
  entryPoints: { plugin: 'plugin/main.ts', exporter: 'exporter/main.ts', sim: 'test/sim/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { NETCHECK_VERSION: JSON.stringify(version) },
  // Some bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
