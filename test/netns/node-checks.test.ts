// The node checks' host readers on a real kernel: inside a network namespace the test makes, the
// readers read the real /proc and /sys (root "/"), as the agent does under --host-root. A real
// bridge with hairpin on and off per port, per-namespace rp_filter, and module presence as the
// kernel shows it.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { hairpin } from '../../src/checks/hairpin';
import { kernelModules } from '../../src/checks/kernel-modules';
import { rpFilter } from '../../src/checks/rp-filter';
import type { HostFacts } from '../../src/core/facts';
import { evaluateCheck } from '../../src/engine';
import { KERNEL_MODULES } from '../../src/parsers/kernel-modules';
import { Netns, removeNamespaces, run } from '../helpers/netns';
import { cniPod, facts, node } from '../helpers/objects';

const ROOT = path.join(__dirname, '../..');
const PREFIX = 'nc27-';
const BUNDLE = path.join(ROOT, '.tmp/nc27-read-host.cjs');
let ns: Netns;

/** The agent's host readers, run inside the namespace on the real / (a child process: the namespace is per process). */
function readInside(): { host: HostFacts; unavailable: Record<string, string> } {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, BUNDLE], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`reading host facts in ${ns.name} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  removeNamespaces(PREFIX);
  fs.mkdirSync(path.dirname(BUNDLE), { recursive: true });
  const entry = path.join(ROOT, '.tmp/nc27-read-host.ts');
  fs.writeFileSync(
    entry,
    `import { SYSCTLS } from '../src/checks';\nimport { readHostFacts } from '../src/host/readers';\nimport { HostRoot } from '../src/host/root';\n` +
      `HostRoot.open('/').then((root) => readHostFacts({ root, factTimeoutMs: 5000, sysctls: SYSCTLS, kubeProxyLivez: 'http://127.0.0.1:10256/livez' })).then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); });\n`,
  );
  execFileSync(path.join(ROOT, 'node_modules/.bin/esbuild'), [entry, '--bundle', '--platform=node', '--format=cjs', '--log-level=warning', `--outfile=${BUNDLE}`]);
  ns = Netns.create(`${PREFIX}node`);
  // A CNI bridge with two pod ports, as the bridge plugin makes them (veth host ends enslaved to cni0).
  ns.ip('link', 'add', 'cni0', 'type', 'bridge');
  ns.ip('link', 'set', 'cni0', 'up');
  for (const [port, peer] of [
    ['veth1a2b3c4d', 'eth0p1'],
    ['veth5e6f7a8b', 'eth0p2'],
  ]) {
    ns.ip('link', 'add', port, 'type', 'veth', 'peer', 'name', peer);
    ns.ip('link', 'set', port, 'master', 'cni0');
    ns.ip('link', 'set', port, 'up');
  }
  ns.exec('bridge', ['link', 'set', 'dev', 'veth1a2b3c4d', 'hairpin', 'on']);
  ns.exec('bridge', ['link', 'set', 'dev', 'veth5e6f7a8b', 'hairpin', 'off']);
  // Cilium's host devices (a veth pair, as cilium-agent makes them), to judge rp_filter as Cilium needs it.
  ns.ip('link', 'add', 'cilium_host', 'type', 'veth', 'peer', 'name', 'cilium_net');
}, 60_000);
afterAll(() => removeNamespaces(PREFIX));

const bridgeConf = {
  file: '/etc/cni/net.d/10-mynet.conflist',
  network: 'mynet',
  plugins: [
    { type: 'bridge', role: 'plugin' as const },
    { type: 'host-local', role: 'ipam' as const },
  ],
  bridge: { name: 'cni0', hairpinMode: true },
};

test('hairpin: a real bridge port with hairpin off fails, the one with it on does not count; turning it on makes it ok', () => {
  const { host } = readInside();
  expect(host.bridgePorts?.cni0).toEqual({ veth1a2b3c4d: '1', veth5e6f7a8b: '0' });
  const f = (h: HostFacts) => facts({ node: node(), host: { ...h, cniPlugins: bridgeConf } });
  const r = evaluateCheck(hairpin, f(host));
  expect(r).toMatchObject({ status: 'fail', summary: 'hairpin mode is off on 1 of 2 pod ports of cni0: those pods cannot reach themselves through their own Service' });
  // The remedy's own command, run in the namespace, is the fix.
  ns.exec('sh', ['-c', r.steps![0].run]);
  expect(evaluateCheck(hairpin, f(readInside().host)).status).toBe('ok');
});

test("rp-filter: the namespace's own sysctls, max(all, interface), judged for Cilium", () => {
  ns.sysctl('net.ipv4.conf.all.rp_filter', '1');
  ns.sysctl('net.ipv4.conf.cilium_host.rp_filter', '0');
  ns.sysctl('net.ipv4.conf.cilium_net.rp_filter', '0');
  let { host } = readInside();
  expect(host.rpFilter).toMatchObject({ all: '1', cilium_host: '0' });
  const cilium = (h: HostFacts) => facts({ node: node(), pods: [cniPod('cilium')], host: h });
  expect(evaluateCheck(rpFilter, cilium(host))).toMatchObject({
    status: 'fail',
    summary: "strict reverse-path filtering on cilium_host, cilium_net: Cilium's traffic arrives asymmetrically and is dropped (Cilium wants 0 or 2)",
  });
  ns.sysctl('net.ipv4.conf.all.rp_filter', '2');
  host = readInside().host;
  expect(evaluateCheck(rpFilter, cilium(host)).status).toBe('ok');
  // The machine's own namespace was not touched.
  expect(fs.readFileSync('/proc/sys/net/ipv4/conf/all/rp_filter', 'utf8').trim()).toBe(run('sysctl', ['-n', 'net.ipv4.conf.all.rp_filter']).trim());
});

test('kernel-modules: what the readers say is present is what the kernel shows (/proc/modules, /sys/module)', () => {
  // A VXLAN device makes the kernel load vxlan if it is a module (or use it if built in).
  ns.ip('link', 'add', 'flannel.1', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'dev', 'lo');
  const { host, unavailable } = readInside();
  expect(unavailable.kernelModules).toBeUndefined();
  const km = host.kernelModules!;
  const loaded = fs.existsSync('/proc/modules')
    ? fs
        .readFileSync('/proc/modules', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[0])
    : [];
  for (const m of KERNEL_MODULES) {
    const kernel = loaded.includes(m) || fs.existsSync(`/sys/module/${m}`);
    expect([m, km.present[m] !== undefined || km.available?.includes(m) === true]).toEqual([m, kernel || (km.available?.includes(m) ?? false)]);
  }
  expect(km.present.vxlan).toBeDefined();
  const r = evaluateCheck(kernelModules, facts({ node: node(), pods: [cniPod('flannel')], host }));
  expect(r).toMatchObject({ status: 'ok', summary: 'vxlan: present' });
});
