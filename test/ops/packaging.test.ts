import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { tmpdir } from '../e2e/harness';

const ROOT = path.resolve(__dirname, '../..');

// Packs what `make build` produced (--ignore-scripts: rebuilding here would swap dist/ under the
// end-to-end tests running beside this one).
function pack(): { file: string; files: string[] } {
  const dir = tmpdir();
  const out = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  expect(out.status).toBe(0);
  const [info] = JSON.parse(out.stdout) as { filename: string; files: { path: string }[] }[];
  return { file: path.join(dir, info.filename), files: info.files.map((f) => f.path) };
}

test('npm pack ships the bundles and launchers only, and `npm i -g` puts kubectl-netcheck on PATH for kubectl', () => {
  const { file, files } = pack();
  expect(files).toContain('bin/kubectl-netcheck');
  expect(files).toContain('dist/plugin.mjs');
  expect(files).not.toContain('dist/sim.mjs');
  expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  const prefix = tmpdir();
  const install = spawnSync('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, file], { encoding: 'utf8' });
  expect(install.status).toBe(0);
  const run = spawnSync('kubectl', ['netcheck', 'version'], { encoding: 'utf8', env: { ...process.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH}` } });
  expect(run.stdout).toBe(`kubectl-netcheck ${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n`);
  const plugins = spawnSync('kubectl', ['plugin', 'list'], { encoding: 'utf8', env: { ...process.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}/usr/bin:/bin` } });
  expect(plugins.stdout).toContain(path.join(prefix, 'bin', 'kubectl-netcheck'));
});

test('the krew manifest follows krew-index rules: one self-contained archive per platform, with its sha256', () => {
  const manifest = yaml.load(fs.readFileSync(path.join(ROOT, 'plugin/netcheck.yaml'), 'utf8')) as any;
  expect(manifest.apiVersion).toBe('krew.googlecontainertools.github.com/v1alpha2');
  expect(manifest.kind).toBe('Plugin');
  expect(manifest.metadata.name).toBe('netcheck');
  expect(manifest.spec.version).toBe(`v${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}`);
  expect(manifest.spec.shortDescription.length).toBeLessThanOrEqual(50);
  expect(manifest.spec.caveats).not.toMatch(/Node\.js/); // the executable needs no runtime
  const platforms = manifest.spec.platforms.map((p: any) => `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch}`);
  expect(platforms.sort()).toEqual(['darwin/amd64', 'darwin/arm64', 'linux/amd64', 'linux/arm64']);
  for (const platform of manifest.spec.platforms) {
    const { os, arch } = platform.selector.matchLabels;
    expect(platform.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(platform.uri).toMatch(new RegExp(`/${manifest.spec.version}/kubectl-netcheck_${manifest.spec.version}_${os}_${arch}\\.tar\\.gz$`));
    expect(platform.files.map((f: any) => f.from)).toEqual(['kubectl-netcheck', 'kubectl_complete-netcheck', 'LICENSE', 'THIRD_PARTY_NOTICES.txt']);
    expect(platform.bin).toBe('kubectl-netcheck');
  }
});
