// The plugin as one self-contained executable per platform: Bun's `build --compile --bytecode`
// (the `bun` devDependency, pinned in package-lock). Measured against Node single-executable
// applications in docs/benchmarks.md: Bun's executable starts in a fraction of kubectl's time,
// while any Node build starts slower than kubectl (Node's own start-up is about 2× kubectl's).
//
//   node tools/compile.mjs                 this platform → dist/bin/kubectl-netcheck
//   node tools/compile.mjs --release       linux amd64/arm64, darwin amd64/arm64 → dist/release/
//
// Cross-compiling uses the target's Bun runtime from its npm package (@oven/bun-<os>-<arch>),
// fetched with `npm pack` at the version package-lock pins and checked against its integrity.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { revision as computeRevision } from './revision.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const BUN = path.resolve('node_modules/.bin/bun');

const revision = computeRevision();

function compile(outfile, target, runtime) {
  const args = ['build', 'plugin/main.ts', '--compile', '--minify', '--bytecode', '--format=esm', '--outfile', outfile];
  args.push('--define', `NETCHECK_VERSION=${JSON.stringify(pkg.version)}`, '--define', `NETCHECK_REVISION=${JSON.stringify(revision)}`);
  if (target) args.push(`--target=${target}`);
  if (runtime) args.push(`--compile-executable-path=${runtime}`);
  execFileSync(BUN, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The Bun runtime of another platform, from its npm package at the locked version. */
function runtimeOf(npmName) {
  const entry = lock.packages[`node_modules/${npmName}`];
  if (!entry) throw new Error(`${npmName} is not in package-lock.json`);
  const dir = path.resolve('.tmp/bun-runtimes', npmName.replace('/', '+'));
  const binary = path.join(dir, 'package/bin', npmName.includes('windows') ? 'bun.exe' : 'bun');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', `${npmName}@${entry.version}`, '--silent', '--pack-destination', dir], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  const file = path.join(dir, tgz);
  const [algo, expected] = entry.integrity.split('-');
  const actual = createHash(algo).update(readFileSync(file)).digest('base64');
  if (actual !== expected) throw new Error(`${npmName}@${entry.version}: integrity mismatch with package-lock.json`);
  execFileSync('tar', ['-xzf', file, '-C', dir]);
  return binary;
}

// The executable embeds the Bun runtime; its npm package ships no license file, so say it here.
const BUN_NOTICE = `
--------------------------------------------------------------------------------
bun ${lock.packages['node_modules/bun'].version} (the runtime embedded in this executable)
License: MIT, with bundled components under their own licenses, notably WebKit's JavaScriptCore
(LGPL-2.1) and BoringSSL, zig and mimalloc: https://bun.sh/docs/project/licensing
`;

const TARGETS = [
  { os: 'linux', arch: 'amd64', bun: 'bun-linux-x64', npm: '@oven/bun-linux-x64' },
  { os: 'linux', arch: 'arm64', bun: 'bun-linux-arm64', npm: '@oven/bun-linux-aarch64' },
  { os: 'darwin', arch: 'amd64', bun: 'bun-darwin-x64', npm: '@oven/bun-darwin-x64' },
  { os: 'darwin', arch: 'arm64', bun: 'bun-darwin-arm64', npm: '@oven/bun-darwin-aarch64' },
];

if (process.argv.includes('--release')) {
  const out = path.resolve('dist/release');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const sums = [];
  for (const t of TARGETS) {
    const stage = path.join(out, `kubectl-netcheck_${t.os}_${t.arch}`);
    mkdirSync(stage, { recursive: true });
    compile(path.join(stage, 'kubectl-netcheck'), t.bun, runtimeOf(t.npm));
    copyFileSync('LICENSE', path.join(stage, 'LICENSE'));
    copyFileSync('bin/kubectl_complete-netcheck', path.join(stage, 'kubectl_complete-netcheck'));
    writeFileSync(path.join(stage, 'THIRD_PARTY_NOTICES.txt'), readFileSync('dist/THIRD_PARTY_NOTICES.txt', 'utf8') + BUN_NOTICE);
    const archive = `kubectl-netcheck_v${pkg.version}_${t.os}_${t.arch}.tar.gz`;
    execFileSync('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--mtime=@0',
      '-czf',
      path.join(out, archive),
      '-C',
      stage,
      'kubectl-netcheck',
      'kubectl_complete-netcheck',
      'LICENSE',
      'THIRD_PARTY_NOTICES.txt',
    ]);
    rmSync(stage, { recursive: true });
    sums.push({
      ...t,
      archive,
      sha256: createHash('sha256')
        .update(readFileSync(path.join(out, archive)))
        .digest('hex'),
    });
    process.stdout.write(`${archive}\n`);
  }
  writeFileSync(path.join(out, 'checksums.json'), `${JSON.stringify(sums, null, 2)}\n`);
} else {
  mkdirSync('dist/bin', { recursive: true });
  compile('dist/bin/kubectl-netcheck');
  // kubectl's plugin completion runs kubectl_complete-netcheck, found on PATH beside the plugin
  copyFileSync('bin/kubectl_complete-netcheck', 'dist/bin/kubectl_complete-netcheck');
}
