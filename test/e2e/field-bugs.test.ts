// The smaller field bugs, each as users met it: --request-timeout against a server that never
// answers, completion of node names on a large cluster, the agent's first LIST, and the events of a
// busy cluster.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { kubectlNetcheck, PLUGIN_DIR, ROOT, type Sim, startAgent, startSim, tmpdir } from './harness';

const HOSTS = path.join(ROOT, 'test/fixtures/hosts');

// kubectl's own text for the flag (kubectl options; kubernetes/kubernetes#103619): "The length of
// time to wait before giving up on a single server request. Non-zero values should contain a
// corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests."
describe('--request-timeout, against a server that accepts and never answers', () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim(['flannel-incidents.yaml'], ['--fault', 'blackhole']);
  });
  afterAll(() => sim.stop());

  test.each([
    [['node', 'n02'], 'GET /api/v1/nodes/n02'],
    [['nodes'], 'GET /api/v1/nodes'],
  ])('%j --request-timeout 3s ends in about 3 s with one error line and exit 1', (args, what) => {
    const run = kubectlNetcheck([...args, '--request-timeout', '3s', '--kubeconfig', sim.kubeconfig]);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(new RegExp(`^error: the API server at \\S+ did not answer ${what} within 3s \\(--request-timeout\\)\\n$`)),
    });
    expect(run.ms).toBeGreaterThanOrEqual(3000);
    expect(run.ms).toBeLessThan(6000);
  });

  test('the default gives up well before 20 s', () => {
    const run = kubectlNetcheck(['node', 'n02', '--kubeconfig', sim.kubeconfig], {}, 40_000);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.ms).toBeLessThan(14_000);
  });
});

test('--request-timeout 0 means no timeout, as with kubectl: the run waits for the answer', async () => {
  const sim = await startSim(['flannel-incidents.yaml']);
  try {
    const run = kubectlNetcheck(['node', 'n01', '-o', 'json', '--request-timeout', '0', '--kubeconfig', sim.kubeconfig]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout).node).toBe('n01');
  } finally {
    await sim.stop();
  }
});

test('completion of node names asks for metadata only, and pages through a large cluster', async () => {
  const sim = await startSim([], ['--generate', '1200x1']);
  try {
    await sim.resetRequests();
    const run = spawnSync('kubectl', ['__complete', 'netcheck', 'node', ''], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, KUBECONFIG: sim.kubeconfig, PATH: `${PLUGIN_DIR}${path.delimiter}${process.env.PATH}` },
    });
    const names = run.stdout.trim().split('\n').slice(0, -1);
    expect(names).toHaveLength(1200);
    const lists = (await sim.requests()).filter((r) => r.path.startsWith('/api/v1/nodes'));
    expect(lists.length).toBe(3); // 500 a page
    for (const r of lists) expect(r.accept).toBe('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json');
  } finally {
    await sim.stop();
  }
});

test("the agent's first LISTs come from the watch cache (resourceVersion=0)", async () => {
  const sim = await startSim(['flannel-incidents.yaml']);
  const agent = await startAgent(['--node-name', 'n01', '--host-root', path.join(HOSTS, 'healthy-flannel'), '--interval', '300ms', '--kubeconfig', sim.kubeconfig]);
  try {
    await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
    const lists = (await sim.requests()).filter((r) => r.method === 'GET' && /^\/api\/v1\/(nodes|pods)\?/.test(r.path) && !r.path.includes('watch=true'));
    expect(lists.length).toBeGreaterThanOrEqual(2);
    for (const r of lists) expect(new URL(r.path, 'https://x').searchParams.get('resourceVersion')).toBe('0');
  } finally {
    await agent.stop();
    await sim.stop();
  }
});

test("on a busy cluster the node's own events are found past the first 500, and the newest first", async () => {
  // 1,200 Warning events in namespaces that sort before the node's pods', then the node's own.
  const dir = tmpdir();
  const file = path.join(dir, 'events.yaml');
  const noise = Array.from({ length: 1200 }, (_, i) => ({
    kind: 'Event',
    type: 'Warning',
    metadata: { name: `aaa-${String(i).padStart(5, '0')}`, namespace: 'aaa-batch' },
    involvedObject: { kind: 'Pod', namespace: 'aaa-batch', name: `job-${i}` },
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    source: { component: 'kubelet', host: 'elsewhere' },
    count: 1,
    lastTimestamp: 'now-1m',
  }));
  fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Namespace', metadata: { name: 'aaa-batch' } }, ...noise] }));
  // The noise first: the API server lists by key (namespace, name), and aaa-batch sorts first.
  const sim = await startSim([file, 'flannel-incidents.yaml']);
  try {
    const run = kubectlNetcheck(['node', 'n02', '-o', 'json', '--no-agent', '--kubeconfig', sim.kubeconfig]);
    const cni = (JSON.parse(run.stdout) as { checks: { id: string; evidence: string[] }[] }).checks.find((c) => c.id === 'cni-ready')!;
    expect(cni.evidence.join('\n')).toMatch(/FailedCreatePodSandBox/);
    // And the requests paged on: three pages of Warning events.
    expect((await sim.requests()).filter((r) => r.path.startsWith('/api/v1/events')).length).toBe(3);
  } finally {
    await sim.stop();
  }
});

// GKE's kubelet runs with --config /home/kubernetes/kubelet-config.yaml (kube-bench's GKE notes;
// the kubelet command lines in public GKE node dumps), outside every directory the base DaemonSet
// mounts. With swap on (GKE node swap sets failSwapOn: false), guessing the kubelet's defaults from
// a file the agent cannot see would page for a kubelet that tolerates swap.
describe("a kubelet config the kubelet names but the agent cannot see (GKE's /home/kubernetes)", () => {
  function gkeHost(withConfig: boolean): string {
    const root = path.join(tmpdir(), 'host');
    fs.cpSync(path.join(HOSTS, 'swap-on'), root, { recursive: true });
    fs.rmSync(path.join(root, 'var/lib/kubelet'), { recursive: true, force: true });
    fs.mkdirSync(path.join(root, 'proc/2817'), { recursive: true });
    fs.writeFileSync(path.join(root, 'proc/2817/comm'), 'kubelet\n');
    const argv = [
      '/home/kubernetes/bin/kubelet',
      '--v=2',
      '--cloud-provider=external',
      '--experimental-mounter-path=/home/kubernetes/containerized_mounter/mounter',
      '--cert-dir=/var/lib/kubelet/pki/',
      '--kubeconfig=/var/lib/kubelet/kubeconfig',
      '--config',
      '/home/kubernetes/kubelet-config.yaml',
    ];
    fs.writeFileSync(path.join(root, 'proc/2817/cmdline'), `${argv.join('\0')}\0`);
    if (withConfig) {
      fs.mkdirSync(path.join(root, 'home/kubernetes'), { recursive: true });
      fs.writeFileSync(
        path.join(root, 'home/kubernetes/kubelet-config.yaml'),
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfailSwapOn: false\nmemorySwap:\n  swapBehavior: LimitedSwap\n',
      );
    }
    return root;
  }

  async function swapCheck(root: string) {
    // No API here: KUBECONFIG naming no file runs the agent on the host alone.
    const agent = await startAgent(['--node-name', 'gke-pool-1-a1b2', '--host-root', root, '--interval', '300ms'], { env: { KUBECONFIG: '/nonexistent' } });
    try {
      await agent.waitFor('the first report', async () => (await agent.get('/checks')).ok);
      const report = (await (await agent.get('/checks')).json()) as { checks: { id: string; status: string; summary: string; evidence: string[] }[] };
      return report.checks.find((c) => c.id === 'swap');
    } finally {
      await agent.stop();
    }
  }

  test('not mounted: swap is unknown, and the evidence says which file and which component mounts it', async () => {
    const swap = await swapCheck(gkeHost(false));
    expect(swap?.status).toBe('unknown');
    expect(swap?.summary).toMatch(/kubelet's config cannot be read/);
    expect(swap?.evidence.join('\n')).toMatch(
      /\/home\/kubernetes\/kubelet-config\.yaml, the kubelet's --config, is not visible to the agent \(not mounted: on GKE add deploy\/components\/gke-kubelet-config\)/,
    );
  });

  test('mounted (the gke-kubelet-config component): failSwapOn: false is read, swap is tolerated, not a failure', async () => {
    const swap = await swapCheck(gkeHost(true));
    expect(swap?.status).toBe('warn');
    expect(swap?.evidence.join('\n')).toMatch(/kubelet config \/home\/kubernetes\/kubelet-config\.yaml: failSwapOn: false, memorySwap\.swapBehavior: LimitedSwap/);
  });
});
