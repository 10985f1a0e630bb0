import fs from 'node:fs';
import path from 'node:path';
import type { NodeReport } from '../../src/core/model';
import { type AgentProcess, readableCopy, startAgent } from '../e2e/harness';
import { hostFacts, testAgent } from '../helpers/agent';
import { BirdMesh } from '../helpers/bird';
import { cniPod, node } from '../helpers/objects';

// Three BIRD 1.6 daemons on loopback, as Calico's node-to-node mesh: 2 (this node) peers with 3
// and 4, which run, and with 9, where nothing listens. The agent reads 2's control socket.
const mesh = new BirdMesh();
const birdc = (i: number) => mesh.birdc(i);

beforeAll(async () => {
  mesh.start(2, [3, 4, 9]);
  mesh.start(3, [2]);
  mesh.start(4, [2]);
  await mesh.established(2, 2);
});

afterAll(() => mesh.stopAll());

async function until(predicate: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not reached in time; BIRD says:\n${mesh.birdc(2)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('BGP counts match `birdc show protocols`, and drop when a peer stops', async () => {
  const { agent } = await testAgent(
    path.join(__dirname, '../fixtures/hosts/healthy-calico'),
    { node: node({ name: 'k8smaster2', ip: mesh.addr(2) }), pods: [cniPod('calico')], unavailable: {} },
    { birdSocket: mesh.socket(2) },
  );
  await agent.runCycle();
  const bgp = () => agent.report!.checks.find((c) => c.id === 'bgp-established')!;
  const fromBirdc = birdc(2);
  const established = (fromBirdc.match(/BGP\s+master\s+up\s+\S+\s+Established/g) ?? []).length;
  const configured = (fromBirdc.match(/ BGP /g) ?? []).length;
  expect([established, configured]).toEqual([2, 3]);
  expect(agent.metrics.text).toContain(`netcheck_bgp_sessions_established{node="k8smaster2"} ${established}`);
  expect(agent.metrics.text).toContain(`netcheck_bgp_sessions{node="k8smaster2"} ${configured}`);
  const [a3, a9] = [mesh.addr(3), mesh.addr(9)];
  const m = (a: string) => a.replace(/\./g, '_');
  expect(bgp()).toMatchObject({ status: 'fail', summary: `BGP not established with ${a9}` });
  expect(bgp().evidence[0]).toBe('BIRD (agent on k8smaster2): 2 of 3 BGP sessions Established');
  expect(agent.metrics.text).toContain(`netcheck_bgp_peer_up{node="k8smaster2",peer="${a3}",protocol="Mesh_${m(a3)}",state="Established"} 1`);
  expect(agent.metrics.text).toContain(`netcheck_bgp_peer_up{node="k8smaster2",peer="${a9}",protocol="Mesh_${m(a9)}",state="Active"} 0`);
  expect(bgp().evidence.join('\n')).toContain(`Mesh_${m(a9)} ${a9} is Active (Socket: Connection refused)`);

  mesh.stop(3);
  await until(async () => {
    await agent.runCycle();
    return agent.metrics.text.includes('netcheck_bgp_sessions_established{node="k8smaster2"} 1');
  }, 20000);
  expect(bgp().summary).toBe(`BGP not established with ${a3}, ${a9}`);
});

test('a BIRD that hangs, refuses or talks garbage makes BGP unknown, not a crash', async () => {
  const net = await import('node:net');
  const cases: [string, (s: import('node:net').Socket) => void][] = [
    ['hang', () => {}],
    ['garbage', (s) => s.end('HTTP/1.1 200 OK\r\n\r\n')],
  ];
  for (const [name, behave] of cases) {
    const socket = path.join(mesh.dir, `${name}.ctl`);
    const server = net.createServer(behave).listen(socket);
    const facts = await hostFacts(path.join(__dirname, '../fixtures/hosts/healthy-calico'), { birdSocket: socket, factTimeoutMs: 300 });
    server.close();
    expect(facts.host.bgpSessions).toBeUndefined();
    expect(facts.unavailable.bgpSessions).toMatch(name === 'hang' ? /^timed out after 300ms asking BIRD \(show protocols all\)$/ : /sent no greeting/);
  }
  const refused = path.join(mesh.dir, 'stale.ctl');
  fs.writeFileSync(refused, ''); // a regular file where the socket should be
  const facts = await hostFacts(path.join(__dirname, '../fixtures/hosts/healthy-calico'), { birdSocket: refused, factTimeoutMs: 300 });
  expect(facts.unavailable.bgpSessions).toMatch(/stale\.ctl \(--bird-socket\) is not a socket/);
});

test("as the DaemonSet runs it (uid 65532), BIRD's 0660 root:root socket is refused and named; with group 0 it answers", async () => {
  fs.chmodSync(mesh.dir, 0o755); // mkdtemp makes it 0700: let the non-root agent reach the socket
  const socket = mesh.socket(2);
  expect(fs.statSync(socket).mode & 0o777).toBe(0o660);
  // The agent runs as another uid: it gets copies it can read wherever the clone lives (0700 too).
  const args = ['--node-name', 'k8smaster2', '--host-root', readableCopy(path.join(__dirname, '../fixtures/hosts/healthy-calico')), '--bird-socket', socket, '--interval', '200ms'];
  const bgp = async (agent: AgentProcess) => {
    await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
    return ((await (await agent.get('/checks')).json()) as NodeReport).checks.find((c) => c.id === 'bgp-established')!;
  };
  const user = await startAgent(args, { env: { KUBECONFIG: '/nonexistent' }, uid: 65532, gid: 65532 });
  try {
    const check = await bgp(user);
    expect(check.status).toBe('unknown');
    expect(check.evidence.join('\n')).toContain(`permission denied connecting to BIRD at ${socket}: BIRD makes its socket 0660 root:root, so the agent needs group 0 (deploy/components/cni-sockets)`);
  } finally {
    await user.stop();
  }
  const group0 = await startAgent(args, { env: { KUBECONFIG: '/nonexistent' }, uid: 65532, gid: 0 });
  try {
    await group0.waitFor('BGP counts from BIRD', async () => (await group0.sample('netcheck_bgp_sessions{')) === 3);
    expect((await bgp(group0)).evidence[0]).toMatch(/^BIRD \(agent on k8smaster2\): \d of 3 BGP sessions Established$/);
  } finally {
    await group0.stop();
  }
});
