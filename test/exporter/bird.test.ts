import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Agent } from '../../exporter/agent';
import { readHostFacts } from '../../src/sources/host';
import { cniPod, node } from '../helpers/objects';
import { tmpdir } from '../e2e/harness';

// Three BIRD 1.6 daemons on loopback, as Calico's node-to-node mesh: .2 (this node) peers with .3
// and .4, which run, and with .9, where nothing listens. The agent reads .2's control socket.
const dir = tmpdir();
const birds = new Map<string, ChildProcess>();

function startBird(ip: string, peers: string[]): ChildProcess {
  const conf = path.join(dir, `${ip}.conf`);
  const protocols = peers
    .map((peer) => `protocol bgp Mesh_${peer.replace(/\./g, '_')} {\n  local ${ip} as 64512;\n  neighbor ${peer} port 1179 as 64512;\n  connect delay time 1;\n  connect retry time 1;\n  error wait time 1, 2;\n  hold time 6;\n}\n`)
    .join('');
  fs.writeFileSync(conf, `router id ${ip};\nlisten bgp address ${ip} port 1179;\nprotocol device { scan time 10; }\n${protocols}`);
  const child = spawn('bird', ['-f', '-c', conf, '-s', path.join(dir, `${ip}.ctl`), '-P', path.join(dir, `${ip}.pid`)], { stdio: 'inherit' });
  birds.set(ip, child);
  return child;
}

const birdc = (ip: string) => spawnSync('birdc', ['-s', path.join(dir, `${ip}.ctl`), 'show', 'protocols'], { encoding: 'utf8' }).stdout;

async function until(predicate: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  startBird('127.0.0.2', ['127.0.0.3', '127.0.0.4', '127.0.0.9']);
  startBird('127.0.0.3', ['127.0.0.2']);
  startBird('127.0.0.4', ['127.0.0.2']);
  await until(() => (birdc('127.0.0.2').match(/Established/g) ?? []).length === 2, 20000);
});

afterAll(() => {
  for (const child of birds.values()) child.kill('SIGTERM');
});

test('BGP counts match `birdc show protocols`, and drop when a peer stops', async () => {
  const agent = new Agent({
    nodeName: 'k8smaster2',
    readHost: () => readHostFacts({ root: path.join(__dirname, '../fixtures/hosts/healthy-calico'), birdSocket: path.join(dir, '127.0.0.2.ctl'), birdTimeoutMs: 1000 }),
    readApi: () => ({ node: node({ name: 'k8smaster2', ip: '127.0.0.2' }), pods: [cniPod('calico')], unavailable: {} }),
    log: () => {},
  });
  await agent.runCycle();
  const bgp = () => agent.report!.checks.find((c) => c.id === 'bgp-established')!;
  const fromBirdc = birdc('127.0.0.2');
  const established = (fromBirdc.match(/BGP\s+master\s+up\s+\S+\s+Established/g) ?? []).length;
  const configured = (fromBirdc.match(/ BGP /g) ?? []).length;
  expect([established, configured]).toEqual([2, 3]);
  expect(agent.metrics.text).toContain(`netcheck_bgp_sessions_established{node="k8smaster2"} ${established}`);
  expect(agent.metrics.text).toContain(`netcheck_bgp_sessions{node="k8smaster2"} ${configured}`);
  expect(bgp()).toMatchObject({ status: 'warn', summary: '2/3 BGP sessions Established; not with 127.0.0.9' });
  expect(bgp().evidence.join('\n')).toMatch(/127\.0\.0\.9 .* is Active \(Socket: Connection refused\)/);

  birds.get('127.0.0.3')!.kill('SIGTERM');
  await until(async () => {
    await agent.runCycle();
    return agent.metrics.text.includes('netcheck_bgp_sessions_established{node="k8smaster2"} 1');
  }, 20000);
  expect(bgp().summary).toBe('1/3 BGP sessions Established; not with 127.0.0.3, 127.0.0.9');
});

test('a BIRD that hangs, refuses or talks garbage makes BGP unknown, not a crash', async () => {
  const net = await import('node:net');
  const cases: [string, (s: import('node:net').Socket) => void][] = [
    ['hang', () => {}],
    ['garbage', (s) => s.end('HTTP/1.1 200 OK\r\n\r\n')],
  ];
  for (const [name, behave] of cases) {
    const socket = path.join(dir, `${name}.ctl`);
    const server = net.createServer(behave).listen(socket);
    const facts = await readHostFacts({ root: path.join(__dirname, '../fixtures/hosts/healthy-calico'), birdSocket: socket, birdTimeoutMs: 300 });
    server.close();
    expect(facts.host.bgpSessions).toBeUndefined();
    expect(facts.unavailable.bgpSessions).toMatch(name === 'hang' ? /did not answer within 300 ms/ : /sent no greeting/);
  }
  const refused = path.join(dir, 'stale.ctl');
  fs.writeFileSync(refused, ''); // a socket file nobody listens on
  const facts = await readHostFacts({ root: path.join(__dirname, '../fixtures/hosts/healthy-calico'), birdSocket: refused, birdTimeoutMs: 300 });
  expect(facts.unavailable.bgpSessions).toMatch(/BIRD socket .*stale\.ctl/);
});
