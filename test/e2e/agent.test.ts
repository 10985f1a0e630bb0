import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { NodeReport } from '../../src/model';
import { freePort, kubeconfigFor, kubectlNetcheck, ROOT, type Sim, startSim, tmpdir } from './harness';


/** The agent DaemonSet's pod on `node`, reachable through pods/proxy at 127.0.0.1:port. */
function agentPodFixture(node: string, port: number): string {
  const file = path.join(tmpdir(), 'agent.yaml');
  fs.writeFileSync(
    file,
    `items:
- kind: Namespace
  metadata: {name: netcheck}
- kind: Pod
  metadata: {name: netcheck-agent-x7k2p, namespace: netcheck, labels: {app.kubernetes.io/name: netcheck-agent}}
  spec:
    nodeName: ${node}
    containers: [{name: agent, image: netcheck:dev, ports: [{name: metrics, containerPort: ${port}}]}]
  status: {phase: Running, podIP: 127.0.0.1, conditions: [{type: Ready, status: "True"}]}
`,
  );
  return file;
}

function startAgent(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/exporter.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stdout!.on('data', () => {}); // always drained, so a full pipe never blocks the agent
  return child;
}

async function waitReady(port: number, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('agent not ready');
}

describe('kubectl netcheck reading a running agent (seed 000 on n02)', () => {
  let sim: Sim;
  let agent: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    sim = await startSim(['flannel-incidents.yaml', agentPodFixture('n02', port)]);
    agent = startAgent(['--node-name', 'n02', '--host-root', path.join(ROOT, 'test/fixtures/hosts/nic-down'), '--port', String(port), '--address', '127.0.0.1', '--interval', '1s', '--kubeconfig', sim.kubeconfig]);
    await waitReady(port);
  });

  afterAll(async () => {
    agent.kill('SIGKILL');
    await sim.stop();
  });

  test('host findings only the agent can see appear in the report', () => {
    const run = kubectlNetcheck(['node', 'n02', '-o', 'json', '--kubeconfig', sim.kubeconfig]);
    expect(run.code).toBe(2);
    const byId = Object.fromEntries((JSON.parse(run.stdout) as NodeReport).checks.map((c) => [c.id, c]));
    expect(byId['default-route'].summary).toBe('no default route; eth0 is down');
    expect(byId['flannel-subnet-env'].evidence.join()).toMatch(/agent on n02: \/run\/flannel\/subnet\.env does not exist/);
    expect(byId['flannel-subnet-env'].summary).toBe('/run/flannel/subnet.env is missing: the host has no usable default route, so flannel cannot reach the API service (see default-route)');
    expect(byId.swap).toMatchObject({ status: 'ok', summary: 'swap is off' });
    expect(byId['cluster-cidr'].status).toBe('ok'); // the cluster view still comes from the API
  });

  test('--no-agent keeps to what the API shows', () => {
    const run = kubectlNetcheck(['node', 'n02', '-o', 'json', '--no-agent', '--kubeconfig', sim.kubeconfig]);
    const swap = (JSON.parse(run.stdout) as NodeReport).checks.find((c) => c.id === 'swap')!;
    expect(swap.status).toBe('unknown');
  });

  test('the agent answers /metrics while checks run in the background', async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/^netcheck_default_route_present\{node="n02"\} 0$/m);
    expect(text).toMatch(/^netcheck_pod_cidr_assigned\{node="n02"\} 1$/m);
  });
});

describe('agent faults', () => {
  test('with the API server unreachable it still serves, API checks unknown; SIGTERM exits 0', async () => {
    const port = await freePort();
    const kubeconfig = kubeconfigFor('https://127.0.0.1:1');
    const agent = startAgent(['--node-name', 'n9', '--host-root', path.join(ROOT, 'test/fixtures/hosts/healthy-flannel'), '--port', String(port), '--address', '127.0.0.1', '--interval', '1s', '--kubeconfig', kubeconfig]);
    let stderr = '';
    agent.stderr!.on('data', (c) => (stderr += c));
    try {
      await waitReady(port);
      const report = (await (await fetch(`http://127.0.0.1:${port}/checks`)).json()) as NodeReport;
      expect(report.checks.find((c) => c.id === 'kubelet-ready')!.status).toBe('unknown');
      expect(report.checks.find((c) => c.id === 'swap')!.status).toBe('ok');
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  test('bad flags: one line, exit 1', async () => {
    const agent = spawn(process.execPath, [path.join(ROOT, 'dist/exporter.mjs'), '--port', 'x', '--node-name', 'n1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    agent.stderr!.on('data', (c) => (stderr += c));
    const code = await new Promise((resolve) => agent.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toBe('error: invalid --port x (see netcheck-exporter --help)');
  });

  test('a zero --interval is refused, not run as a busy loop', async () => {
    const agent = spawn(process.execPath, [path.join(ROOT, 'dist/exporter.mjs'), '--interval', '0s', '--node-name', 'n1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    agent.stderr!.on('data', (c) => (stderr += c));
    expect(await new Promise((resolve) => agent.once('exit', resolve))).toBe(1);
    expect(stderr.split('\n')[0]).toBe('error: --interval: invalid duration "0s": must be more than zero (see netcheck-exporter --help)');
  });
});

describe('agent faults mid-run', () => {
  test('the API server going away mid-run: the agent keeps serving and cycling, and says so once', async () => {
    const port = await freePort();
    const sim = await startSim(['flannel-incidents.yaml']);
    const agent = startAgent(['--node-name', 'n01', '--host-root', path.join(ROOT, 'test/fixtures/hosts/healthy-flannel'), '--port', String(port), '--address', '127.0.0.1', '--interval', '300ms', '--kubeconfig', sim.kubeconfig]);
    let logs = ''; // JSON lines on stdout
    agent.stdout!.on('data', (c) => (logs += c));
    const cycles = async () => Number(/^netcheck_cycles_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())![1]);
    try {
      await waitReady(port);
      await sim.stop();
      const before = await cycles();
      await new Promise((r) => setTimeout(r, 2500));
      expect(await cycles()).toBeGreaterThan(before);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200); // ready = checks are running
      const report = (await (await fetch(`http://127.0.0.1:${port}/checks`)).json()) as NodeReport;
      expect(report.checks.find((c) => c.id === 'swap')!.status).toBe('ok');
    } finally {
      agent.kill('SIGKILL');
    }
    const watchErrors = logs.split('\n').filter((l) => /node watch: .*refused/.test(l));
    expect(watchErrors.length).toBe(1); // one log line per change of error, not one per retry
  });

  test('SIGTERM while a cycle waits on a hanging BIRD: clean exit within the grace period', async () => {
    const dir = tmpdir();
    const socket = path.join(dir, 'bird.ctl');
    const hanging = net.createServer(() => {}).listen(socket);
    const port = await freePort();
    const agent = startAgent(['--node-name', 'n1', '--host-root', path.join(ROOT, 'test/fixtures/hosts/healthy-calico'), '--bird-socket', socket, '--port', String(port), '--address', '127.0.0.1', '--interval', '100ms'], { KUBECONFIG: '/nonexistent' });
    try {
      await waitReady(port); // the first cycle ends when the BIRD read times out
      await new Promise((r) => setTimeout(r, 300)); // the next cycle is now waiting on BIRD
      const started = Date.now();
      const exited = new Promise<number | null>((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000); // the DaemonSet's terminationGracePeriodSeconds
    } finally {
      hanging.close();
    }
  });
});
