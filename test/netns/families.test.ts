// IPv6-only and dual-stack hosts on a real kernel: network namespaces the test makes, each with a
// veth to an underlay namespace, its own addresses and default routes. The simulated API server and
// the agent run inside the host's namespace (`ip netns exec`), so the agent reads that kernel's
// /proc/net/route, /proc/net/ipv6_route and /sys/class/net through --host-root /, as on a node.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Netns, removeNamespaces, run, veth } from '../helpers/netns';

const ROOT = path.resolve(__dirname, '../..');
const PREFIX = `nc22-${process.pid % 100000}-`;
const spawned: ChildProcess[] = [];
const machine = () => run('ip', ['-o', 'addr']) + run('ip', ['route']) + run('ip', ['-6', 'route']);
let before = '';
beforeAll(() => {
  removeNamespaces(PREFIX);
  before = machine();
});

afterAll(() => {
  for (const child of spawned) if (child.exitCode === null) child.kill('SIGTERM');
  removeNamespaces(PREFIX);
});

interface Check {
  id: string;
  status: string;
  summary: string;
  evidence: string[];
}

/** A process inside `ns`, its output kept for the failure message. */
function inside(ns: Netns, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(child);
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  return { child, output: () => out };
}

/** Resolves with the first match of `pattern` in the process's output; rejects when it exits first or after `ms`. */
function waitForOutput(p: ReturnType<typeof inside>, pattern: RegExp, what: string, ms = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms; it printed:\n${p.output()}`)), ms);
    const look = () => {
      const m = pattern.exec(p.output());
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    p.child.stdout!.on('data', look);
    p.child.stderr!.on('data', look);
    p.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: exited with ${code}; it printed:\n${p.output()}`));
    });
    look();
  });
}

/** GET on the namespace's loopback, from inside it (the agent serves /checks on loopback only). */
function getInside(ns: Netns, url: string): { status: number; body: string } {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })), (e) => process.stdout.write(JSON.stringify({ status: 0, body: String(e) })))`;
  const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000 });
  return JSON.parse(r.stdout || '{"status":0,"body":""}');
}

function nodeFixture(name: string, addresses: string[]): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-families-')), 'cluster.yaml');
  fs.writeFileSync(
    file,
    `apiVersion: v1
kind: List
items:
- kind: Namespace
  metadata: {name: kube-system}
- kind: Node
  metadata: {name: ${name}}
  spec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24]}
  status:
    addresses: [${addresses.map((a) => `{type: InternalIP, address: "${a}"}`).join(', ')}, {type: Hostname, address: ${name}}]
    conditions:
    - {type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status, lastHeartbeatTime: now-5s, lastTransitionTime: now-1d}
`,
  );
  return file;
}

/** The agent's NodeReport, once its first cycle is done, from a sim and an agent run inside `ns`. */
async function agentReport(ns: Netns, nodeName: string, addresses: string[]): Promise<{ checks: Check[]; output: string }> {
  const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-families-')), 'kubeconfig');
  const sim = inside(ns, [path.join(ROOT, 'dist/sim.mjs'), '--fixtures', nodeFixture(nodeName, addresses), '--kubeconfig-out', kubeconfig]);
  await waitForOutput(sim, /listening on (\S+)/, 'the simulated cluster');
  const agent = inside(ns, [
    path.join(ROOT, 'dist/exporter.mjs'),
    '--host-root',
    '/',
    '--node-name',
    nodeName,
    '--kubeconfig',
    kubeconfig,
    '--address',
    '127.0.0.1',
    '--port',
    '0',
    '--interval',
    '1s',
  ]);
  const url = (await waitForOutput(agent, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/, 'the agent'))[1];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = getInside(ns, `${url}/checks`);
    if (r.status === 200) {
      const checks = (JSON.parse(r.body) as { checks: Check[] }).checks;
      // The first cycle may run before the node is listed; wait for the one that saw it.
      if (!checks.find((c) => c.id === 'default-route')?.summary.includes('could not')) return { checks, output: agent.output() };
    }
    if (Date.now() > deadline) throw new Error(`no report from the agent within 30 s (last: ${r.status} ${r.body.slice(0, 300)}); it printed:\n${agent.output()}`);
    await new Promise((resolve) => agent.child.stdout!.once('data', resolve));
  }
}

test('an IPv6-only host: the agent finds the v6 default route on the real kernel', async () => {
  const host = Netns.create(`${PREFIX}v6`);
  const underlay = Netns.create(`${PREFIX}u6`);
  veth(host, 'eth0', ['fd00::10/64'], underlay, 'eth0', ['fd00::1/64']);
  host.ip('-6', 'route', 'add', 'default', 'via', 'fd00::1', 'dev', 'eth0');
  expect(host.exec('cat', ['/proc/net/route']).trim().split('\n')).toHaveLength(1); // the header alone: no IPv4 route at all
  const { checks, output } = await agentReport(host, 'v6-node', ['fd00::10']);
  const route = checks.find((c) => c.id === 'default-route')!;
  expect({ route, output: route.status === 'ok' ? '' : output }).toMatchObject({ route: { status: 'ok', summary: 'default via fd00::1 dev eth0' }, output: '' });
  expect(route.evidence).toContain('/proc/net/ipv6_route: default via fd00::1 dev eth0 (up)');
});

test('an IPv6-only host whose v6 default route is removed fails default-route', async () => {
  const host = Netns.create(`${PREFIX}v6b`);
  const underlay = Netns.create(`${PREFIX}u6b`);
  veth(host, 'eth0', ['fd00::10/64'], underlay, 'eth0', ['fd00::1/64']);
  // Only the kernel's unreachable ::/0 on lo is left, which is no default route.
  const { checks } = await agentReport(host, 'v6-node', ['fd00::10']);
  expect(checks.find((c) => c.id === 'default-route')).toMatchObject({ status: 'fail', summary: 'no default route, and no interface is down' });
});

test('a dual-stack host: both default routes; without the v6 one, a warning naming the family', async () => {
  const host = Netns.create(`${PREFIX}ds`);
  const underlay = Netns.create(`${PREFIX}uds`);
  veth(host, 'eth0', ['192.0.2.10/24', 'fd00:1::10/64'], underlay, 'eth0', ['192.0.2.1/24', 'fd00:1::1/64']);
  host.ip('route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'eth0');
  host.ip('-6', 'route', 'add', 'default', 'via', 'fd00:1::1', 'dev', 'eth0');
  const both = await agentReport(host, 'ds-node', ['192.0.2.10', 'fd00:1::10']);
  const route = both.checks.find((c) => c.id === 'default-route')!;
  expect(route).toMatchObject({ status: 'ok', summary: 'default via 192.0.2.1 dev eth0' });
  expect(route.evidence).toEqual(expect.arrayContaining(['/proc/net/route: default via 192.0.2.1 dev eth0 (up)', '/proc/net/ipv6_route: default via fd00:1::1 dev eth0 (up)']));

  const host2 = Netns.create(`${PREFIX}ds2`);
  const underlay2 = Netns.create(`${PREFIX}uds2`);
  veth(host2, 'eth0', ['192.0.2.10/24', 'fd00:1::10/64'], underlay2, 'eth0', ['192.0.2.1/24', 'fd00:1::1/64']);
  host2.ip('route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'eth0');
  const v4only = await agentReport(host2, 'ds-node', ['192.0.2.10', 'fd00:1::10']);
  expect(v4only.checks.find((c) => c.id === 'default-route')).toMatchObject({ status: 'warn', summary: 'no IPv6 default route (the node has an IPv6 InternalIP; default via 192.0.2.1 dev eth0)' });
});

test("the machine's own addresses and routes are as they were", () => {
  expect(machine()).toBe(before);
});
