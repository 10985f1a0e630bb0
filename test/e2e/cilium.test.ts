// Cilium: what the API shows (the BPF filesystem, kube-proxy replacement without the API server's
// address), and what the agent hears from cilium-agent's own API socket.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { NodeReport } from '../../src/core/model';
import { type AgentProcess, kubeconfigFor, kubectlNetcheck, ROOT, type Sim, startAgent, startSim, tmpdir } from './harness';

let sim: Sim;
beforeAll(async () => {
  sim = await startSim(['cilium.yaml']);
});
afterAll(() => sim?.stop());

const env = () => ({ KUBECONFIG: kubeconfigFor(sim.url) });

function check(run: { stdout: string; stderr: string }, id: string) {
  let report: NodeReport;
  try {
    report = JSON.parse(run.stdout) as NodeReport;
  } catch {
    throw new Error(`not a JSON report; the plugin printed:\n${run.stdout}\n${run.stderr}`);
  }
  return { report, check: report.checks.find((c) => c.id === id)! };
}

describe('from the API', () => {
  test('BPF filesystem not mounted: the root cause, and the mount that lasts past a reboot', () => {
    const run = kubectlNetcheck(['node', 'c2', '-o', 'json'], env());
    expect(run.code).toBe(2);
    const { report, check: cni } = check(run, 'cni-ready');
    expect(report.rootCause).toBe('cni-ready');
    expect(cni.summary).toBe('cilium cannot start: the BPF filesystem is not mounted at /sys/fs/bpf');
    expect(cni.remedy).toBe(
      "On c2: mount bpffs -t bpf /sys/fs/bpf && echo 'bpffs /sys/fs/bpf bpf defaults 0 0' >> /etc/fstab (so it is there after a reboot); then delete its pod on c2 (the step; its DaemonSet starts it again there, other nodes are left alone)",
    );
    expect(cni.steps?.map((s) => s.run)).toEqual(["mount bpffs -t bpf /sys/fs/bpf && echo 'bpffs /sys/fs/bpf bpf defaults 0 0' >> /etc/fstab", "kubectl -n 'kube-system' delete pod 'cilium-9pq4t'"]);
  });

  test('kube-proxy replaced, API service unreachable: point Cilium at the endpoint the API publishes', () => {
    const run = kubectlNetcheck(['node', 'c3', '-o', 'json'], env());
    expect(run.code).toBe(2);
    const { check: cni } = check(run, 'cni-ready');
    expect(cni.summary).toBe('cilium cannot reach the API server through the kubernetes Service (10.96.0.1:443): it replaces kube-proxy, and nothing else routes that address on this node');
    expect(cni.remedy).toMatch(
      /^Point Cilium at the API server itself, not its Service: kubectl -n 'kube-system' set env 'daemonset\/cilium' 'KUBERNETES_SERVICE_HOST=192\.168\.10\.11' 'KUBERNETES_SERVICE_PORT=6443' /,
    );
    // Each line of evidence once, though two clues quote the same log line.
    expect(new Set(cni.evidence).size).toBe(cni.evidence.length);
  });

  test('the healthy node: cni-ready ok, and no bridge check on a CNI without a bridge', () => {
    const { check: cni, report } = check(kubectlNetcheck(['node', 'c1', '-o', 'json'], env()), 'cni-ready');
    expect(cni).toMatchObject({ status: 'ok', summary: 'cilium is ready' });
    expect(report.checks.find((c) => c.id === 'bridge-netfilter')!.status).toBe('skip');
  });
});

describe("from cilium-agent's socket", () => {
  let host: string;
  let server: http.Server;
  let reply: (res: http.ServerResponse) => void;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    host = tmpdir();
    fs.cpSync(path.join(ROOT, 'test/fixtures/hosts/healthy-cilium'), host, { recursive: true });
    fs.mkdirSync(path.join(host, 'run/cilium'), { recursive: true });
    server = http.createServer((req, res) => (req.url === '/v1/healthz' ? reply(res) : res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(path.join(host, 'run/cilium/cilium.sock'), resolve));
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  const cniReady = async () => {
    agent = await startAgent(['--node-name', 'c1', '--host-root', host, '--interval', '1s', '--fact-timeout', '1s', '--kubeconfig', kubeconfigFor(sim.url)]);
    let seen: NodeReport['checks'][number] | undefined;
    await agent.waitFor('a report with cni-ready', async () => {
      const res = await agent!.get('/checks');
      if (res.status !== 200) return false;
      seen = ((await res.json()) as NodeReport).checks.find((c) => c.id === 'cni-ready');
      return !!seen;
    });
    return seen!;
  };

  test('Ok: ready, with what the agent said as evidence', async () => {
    reply = (res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cilium: { state: 'Ok', msg: '' }, kubernetes: { state: 'Ok', msg: '1.31 (v1.31.2) [linux/amd64]' } }));
    const cni = await cniReady();
    expect(cni.status).toBe('ok');
    expect(cni.evidence).toContain('cilium-agent health (agent on c1): Ok; Kubernetes: Ok');
  });

  test('Failure: fails though the pod is still Ready, and the fix asks that pod why', async () => {
    reply = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cilium: { state: 'Failure', msg: 'Kubernetes service is not ready: 10.96.0.1:443' } }));
    const cni = await cniReady();
    expect(cni.status).toBe('fail');
    expect(cni.summary).toBe('cilium reports Failure: Kubernetes service is not ready: 10.96.0.1:443');
    expect(cni.remedy).toBe('See what it says is wrong (the step asks it).');
    expect(cni.steps?.map((s) => s.run)).toEqual([expect.stringMatching(/^kubectl -n 'kube-system' exec 'cilium-\w+' -- cilium-dbg status --verbose$/)]);
  });

  test('a socket that never answers: the cycle ends on time, the evidence says so, the agent stays healthy', async () => {
    reply = () => undefined; // accepts, never answers
    const cni = await cniReady();
    expect(cni.evidence.join('\n')).toMatch(/ciliumHealth: .*(did not answer|1s)/);
    expect((await agent!.get('/healthz')).status).toBe(200);
  });
});
