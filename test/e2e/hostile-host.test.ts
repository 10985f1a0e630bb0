// The agent on hosts shaped like real production nodes, and on hosts that fight back: hundreds of
// interfaces, FIFOs, symlinks out of the root, huge /proc files, a BIRD that drips, an API that
// streams without end. Each runs the real agent process and asserts it stays bounded in memory,
// keeps finishing cycles, says why a fact is unknown, and leaks nothing from outside its root.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { NodeReport } from '../../src/core/model';
import { type AgentProcess, IMAGE_NODE_FLAGS, ROOT, type Sim, startAgent, startSim, tmpdir } from './harness';

const HOSTS = path.join(ROOT, 'test/fixtures/hosts');

/** A copy of a fixture host tree to break. */
function hostCopy(base: string): string {
  const dir = tmpdir();
  fs.cpSync(path.join(HOSTS, base), dir, { recursive: true });
  return dir;
}

const NO_API = { KUBECONFIG: '/nonexistent' };

async function report(agent: AgentProcess): Promise<NodeReport> {
  return (await (await agent.get('/checks')).json()) as NodeReport;
}

const check = (r: NodeReport, id: string) => r.checks.find((c) => c.id === id)!;

/** Cycles finished so far. */
const cycles = (agent: AgentProcess) => agent.sample('netcheck_cycles_total{');

async function cyclesKeepComing(agent: AgentProcess, atLeast: number) {
  const before = (await cycles(agent)) ?? 0;
  await agent.waitFor(`${atLeast} more check cycles`, async () => ((await cycles(agent)) ?? 0) >= before + atLeast);
}

describe('a node shaped like a busy production node', () => {
  let agent: AgentProcess;
  afterEach(() => agent?.stop('SIGKILL'));

  test('400 veths, 100 physical-looking links and 2,000 routes: memory stays bounded and cycles keep coming', async () => {
    const host = hostCopy('healthy-flannel');
    const net = path.join(host, 'sys/class/net');
    for (let i = 0; i < 400; i++) {
      fs.mkdirSync(path.join(net, `veth${i.toString(16).padStart(8, '0')}`));
      fs.writeFileSync(path.join(net, `veth${i.toString(16).padStart(8, '0')}/operstate`), 'up\n');
    }
    for (let i = 0; i < 100; i++) {
      fs.mkdirSync(path.join(net, `ens${i}`));
      fs.writeFileSync(path.join(net, `ens${i}/operstate`), 'up\n');
    }
    const route = fs.readFileSync(path.join(host, 'proc/net/route'), 'utf8');
    const extra = Array.from({ length: 2000 }, (_, i) => `cali${i}\t${(0x0a000000 + i).toString(16).toUpperCase().padStart(8, '0')}\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0`).join('\n');
    fs.writeFileSync(path.join(host, 'proc/net/route'), `${route.trimEnd()}\n${extra}\n`);

    agent = await startAgent(['--node-name', 'n1', '--host-root', host, '--interval', '200ms'], { env: NO_API, nodeFlags: IMAGE_NODE_FLAGS });
    await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
    await cyclesKeepComing(agent, 10);
    const r = await report(agent);
    expect(check(r, 'default-route')).toMatchObject({ status: 'ok' });
    expect(await agent.sample('netcheck_default_route_present{')).toBe(1);
    // Before: a 1 MiB buffer per file and every operstate at once peaked above 500 MiB.
    expect(agent.peakRssMiB()).toBeLessThan(100);
  });
});

describe('hostile host files', () => {
  let agent: AgentProcess;
  afterEach(() => agent?.stop('SIGKILL'));

  test('FIFOs where files should be are refused unopened: the cycle completes, health stays honest, SIGTERM exits at once', async () => {
    const host = hostCopy('healthy-flannel');
    for (const file of ['run/flannel/subnet.env', 'proc/swaps']) {
      fs.rmSync(path.join(host, file));
      fs.mkdirSync(path.dirname(path.join(host, file)), { recursive: true });
      require('node:child_process').execFileSync('mkfifo', [path.join(host, file)]);
    }
    agent = await startAgent(['--node-name', 'n1', '--host-root', host, '--interval', '200ms'], { env: NO_API });
    await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
    await cyclesKeepComing(agent, 3);
    const r = await report(agent);
    expect(check(r, 'flannel-subnet-env').status).toBe('unknown');
    expect(check(r, 'flannel-subnet-env').evidence.join('\n')).toContain('subnetEnv: /run/flannel/subnet.env is a FIFO, not a regular file; not read');
    expect(check(r, 'swap').status).toBe('unknown');
    expect(check(r, 'swap').evidence.join('\n')).toContain('/proc/swaps is a FIFO, not a regular file; not read');
    expect(check(r, 'default-route').status).toBe('ok'); // the rest of the host still answers
    expect((await agent.get('/healthz')).status).toBe(200);
    expect(await agent.sample('netcheck_fact_unavailable{node="n1",fact="subnetEnv"}')).toBe(1);
    const { code, ms } = await agent.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });

  test('symlinks out of the root, absolute and ../.., resolve inside it: a secret outside is never read or shown', async () => {
    const host = hostCopy('healthy-flannel');
    const outside = tmpdir();
    const MARK = 'NETCHECK-SECRET-7f3a9c';
    const secret = path.join(outside, 'shadow');
    fs.writeFileSync(secret, `root:$6$${MARK}:19000:0:99999:7:::\nFLANNEL_SUBNET=${MARK}\n`);
    // Inside the root too, at the host path the absolute link names: read, but never quoted.
    fs.mkdirSync(path.join(host, 'etc/secret'), { recursive: true });
    fs.writeFileSync(path.join(host, 'etc/secret/shadow'), `root:$6$${MARK}:19000:0:99999:7:::\n`);
    const link = (rel: string, target: string) => {
      fs.rmSync(path.join(host, rel), { force: true, recursive: true });
      fs.symlinkSync(target, path.join(host, rel));
    };
    link('run/flannel/subnet.env', secret); // absolute, pointing out of the root
    link('proc/swaps', `${'../'.repeat(12)}${secret.slice(1)}`); // climbing out with ..
    link('etc/fstab', '/etc/secret/shadow'); // absolute: the host's /etc/secret/shadow, inside the root
    link('var/lib/kubelet/config.yaml', 'config.yaml'); // a loop
    link('etc/cni/net.d/10-flannel.conflist', secret); // listed by name only, never read

    agent = await startAgent(['--node-name', 'n1', '--host-root', host, '--interval', '200ms'], { env: NO_API });
    await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
    await cyclesKeepComing(agent, 2);
    const r = await report(agent);
    const everything = JSON.stringify(r) + (await agent.metrics()) + agent.output();
    expect(everything).not.toContain(MARK);
    expect(everything).not.toContain(outside);
    // Resolved in the root, the absolute link names a file the host does not have.
    expect(check(r, 'flannel-subnet-env')).toMatchObject({ status: 'fail', summary: '/run/flannel/subnet.env is missing' });
    expect(check(r, 'swap').evidence.join('\n')).toContain('swaps: /proc/swaps does not exist');
    expect(check(r, 'swap').evidence.join('\n')).toContain('/var/lib/kubelet/config.yaml: too many levels of symbolic links');
  });

  test('a 64 MiB file in /proc is refused at its cap, without reading it whole', async () => {
    const host = hostCopy('healthy-flannel');
    fs.truncateSync(path.join(host, 'proc/swaps'), 64 * 1024 * 1024);
    fs.writeFileSync(path.join(host, 'proc/net/route'), '');
    fs.truncateSync(path.join(host, 'proc/net/route'), 64 * 1024 * 1024);
    agent = await startAgent(['--node-name', 'n1', '--host-root', host, '--interval', '200ms'], { env: NO_API, nodeFlags: IMAGE_NODE_FLAGS });
    await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
    await cyclesKeepComing(agent, 5);
    const r = await report(agent);
    expect(check(r, 'swap').evidence.join('\n')).toContain('/proc/swaps is larger than 65536 bytes; not read');
    expect(check(r, 'default-route').evidence.join('\n')).toContain('/proc/net/route is larger than 1048576 bytes; not read');
    expect(agent.peakRssMiB()).toBeLessThan(100);
  });

  test('a BIRD socket that drips a byte at a time: BGP is unknown at the deadline, cycles stay on time, SIGTERM exits at once', async () => {
    const dir = tmpdir();
    const socket = path.join(dir, 'bird.ctl');
    const drips: NodeJS.Timeout[] = [];
    const server = net.createServer((s) => {
      const timer = setInterval(() => s.write('0'), 50);
      drips.push(timer);
      s.on('error', () => clearInterval(timer));
      s.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      agent = await startAgent(['--node-name', 'n1', '--host-root', path.join(HOSTS, 'healthy-calico'), '--bird-socket', socket, '--interval', '300ms', '--fact-timeout', '500ms'], { env: NO_API });
      await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
      const started = Date.now();
      await cyclesKeepComing(agent, 4);
      // Each cycle ends at the 500 ms deadline, and the next starts right after: ~0.5 s apart.
      expect(Date.now() - started).toBeLessThan(10_000);
      const bgp = check(await report(agent), 'bgp-established');
      expect(bgp.status).toBe('unknown');
      expect(bgp.evidence.join('\n')).toContain('bgpSessions: timed out after 500ms asking BIRD (show protocols all)');
      expect(await agent.sample('netcheck_fact_unavailable{node="n1",fact="bgpSessions"}')).toBe(1);
      const { code, ms } = await agent.stop('SIGTERM');
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5000);
    } finally {
      drips.forEach(clearInterval);
      server.close();
    }
  });
});

describe('an API server that streams without end', () => {
  let sim: Sim;
  let agent: AgentProcess;
  afterEach(async () => {
    await agent?.stop('SIGKILL');
    await sim?.stop();
  });

  test('a WATCH that sends one endless line: the agent drops it at 1 MiB, reconnects, and keeps its memory', async () => {
    sim = await startSim(['flannel-incidents.yaml'], ['--fault', 'endless-watch']);
    agent = await startAgent(['--node-name', 'n01', '--host-root', path.join(HOSTS, 'healthy-flannel'), '--interval', '200ms', '--kubeconfig', sim.kubeconfig], {
      nodeFlags: IMAGE_NODE_FLAGS,
    });
    await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
    const logged = () => agent.output().match(/(node|pods) watch: WATCH \S+ sent an event larger than/g) ?? [];
    // Both watches (node and pods) hit the cap; on a loaded machine the second can take a while.
    await agent.waitFor('both watch errors in the log', () => logged().length >= 2, 60_000);
    const watches = async () => (await sim.requests()).filter((r) => /[?&]watch=/.test(r.path)).length;
    const before = await watches();
    await agent.waitFor('reconnects after the errors were logged', async () => (await watches()) >= before + 2, 60_000);
    await cyclesKeepComing(agent, 5);
    expect(agent.peakRssMiB()).toBeLessThan(105);
    expect(logged()).toHaveLength(2); // node and pods: once each, not once per retry
    expect((await agent.get('/healthz')).status).toBe(200);
  }, 180_000); // its waits allow a loaded machine 60 s each
});
