// The compiled executable (dist/bin/kubectl-netcheck) on its own: no Node, nothing else on PATH,
// and the same reports as the Node build on the same simulated cluster. (make test also runs the
// plugin's end-to-end suites through kubectl on it: NETCHECK_PLUGIN=exe.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, type Sim, startSim } from './harness';

const EXE = path.join(ROOT, 'dist/bin/kubectl-netcheck');
const NODE_BUILD = path.join(ROOT, 'bin/kubectl-netcheck');
const bare = (file: string, args: string[], env: Record<string, string> = {}) => spawnSync(file, args, { encoding: 'utf8', env: { PATH: '/nonexistent', NO_COLOR: '1', ...env }, timeout: 30_000 });
const ages = (text: string) => text.replace(/\b\d+(\.\d+)?(ms|s|m|h|d) ago\b/g, 'AGE ago');

let sim: Sim;
beforeAll(async () => {
  sim = await startSim(['flannel-incidents.yaml']);
});
afterAll(() => sim?.stop());

test('runs with nothing else on PATH: help, version, --version', () => {
  expect(fs.statSync(EXE).mode & 0o111).toBeTruthy();
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  expect(bare(EXE, ['version']).stdout).toBe(`kubectl-netcheck ${version}\n`);
  expect(bare(EXE, ['--version']).stdout).toBe(`kubectl-netcheck ${version}\n`);
  const help = bare(EXE, ['--help']);
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/^Usage:\n {2}kubectl netcheck node NAME/m);
});

test('node and nodes: the same JSON and table as the Node build', () => {
  for (const args of [
    ['node', 'n02', '-o', 'json'],
    ['node', 'n03'],
    ['nodes', '-o', 'json'],
    ['nodes', '-o', 'wide'],
  ]) {
    const exe = bare(EXE, [...args, '--kubeconfig', sim.kubeconfig]);
    const node = spawnSync(NODE_BUILD, [...args, '--kubeconfig', sim.kubeconfig], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect([args.join(' '), exe.status, exe.stderr]).toEqual([args.join(' '), node.status, '']);
    expect(ages(exe.stdout)).toBe(ages(node.stdout));
  }
});

test('failures: one line, exit 1, as the Node build', () => {
  const cases = [
    ['node', 'n99', '--kubeconfig', sim.kubeconfig],
    ['nodes', '--bogus'],
    ['nodes', '--kubeconfig', '/nonexistent/config'],
  ];
  for (const args of cases) {
    const exe = bare(EXE, args);
    const node = spawnSync(NODE_BUILD, args, { encoding: 'utf8' });
    expect([args.join(' '), exe.status, exe.stdout, exe.stderr]).toEqual([args.join(' '), 1, '', node.stderr]);
  }
});
