// The clusters people run, healthy: no check fails on any node, and `kubectl netcheck nodes` exits
// 0. Then one node's kubelet reports the network plugin not ready, and that node fails cni-ready
// on every platform, whatever its CNI (the kubelet's NetworkReady is judged without knowing it).
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { CLUSTERS, kubectlNetcheck, type Sim, startSim } from './harness';

const PLATFORMS = fs
  .readdirSync(CLUSTERS)
  .filter((f) => /^platform-.*\.yaml$/.test(f))
  .sort();

const NOT_READY = 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';

interface Report {
  node: string;
  status: string;
  checks: { id: string; status: string; summary: string }[];
}

test('there is a fixture of each platform netcheck must be right on', () => {
  expect(PLATFORMS).toEqual(
    expect.arrayContaining([
      'platform-eks.yaml',
      'platform-gke-dataplane-v2.yaml',
      'platform-gke-calico.yaml',
      'platform-aks-overlay.yaml',
      'platform-aks-kubenet.yaml',
      'platform-k3s.yaml',
      'platform-rke2-canal.yaml',
      'platform-kind.yaml',
      'platform-openshift-ovn.yaml',
    ]),
  );
});

describe.each(PLATFORMS)('%s', (fixture) => {
  let sim: Sim;
  const items = (yaml.load(fs.readFileSync(path.join(CLUSTERS, fixture), 'utf8')) as { items: { kind: string; metadata: { name: string }; status?: { conditions?: { type: string }[] } }[] }).items;
  const nodes = items.filter((o) => o.kind === 'Node');
  beforeAll(async () => {
    sim = await startSim([fixture]);
  });
  afterAll(() => sim?.stop());

  test('healthy: no check fails on any node, and nodes exits 0', () => {
    const run = kubectlNetcheck(['nodes', '-o', 'json', '--no-agent', '--kubeconfig', sim.kubeconfig]);
    const failing = (JSON.parse(run.stdout || '{"nodes":[]}') as { nodes: Report[] }).nodes.flatMap((n) => n.checks.filter((c) => c.status === 'fail').map((c) => `${n.node} ${c.id}: ${c.summary}`));
    expect({ failing, stderr: run.stderr }).toEqual({ failing: [], stderr: '' });
    expect(run.code).toBe(0);
    const table = kubectlNetcheck(['nodes', '--no-agent', '--kubeconfig', sim.kubeconfig]);
    expect({ code: table.code, stderr: table.stderr }).toEqual({ code: 0, stderr: '' });
  });

  test('every node: cni-ready is not fail, and says which CNI when it knows', () => {
    for (const node of nodes) {
      const run = kubectlNetcheck(['node', node.metadata.name, '-o', 'json', '--no-agent', '--kubeconfig', sim.kubeconfig]);
      const report = JSON.parse(run.stdout) as Report;
      const cni = report.checks.find((c) => c.id === 'cni-ready')!;
      expect({ node: node.metadata.name, status: cni.status, summary: cni.summary }).toEqual({ node: node.metadata.name, status: 'ok', summary: expect.stringMatching(/ready/) });
      expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    }
  });

  test('a node whose kubelet reports NetworkPluginNotReady fails cni-ready', async () => {
    const victim = structuredClone(nodes[nodes.length - 1]) as (typeof nodes)[number] & { status: { conditions: Record<string, string>[] } };
    victim.status.conditions = victim.status.conditions.map((c) =>
      c.type === 'Ready'
        ? { ...c, status: 'False', reason: 'KubeletNotReady', message: NOT_READY, lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date(Date.now() - 120_000).toISOString() }
        : c,
    );
    await sim.upsert({ apiVersion: 'v1', ...victim });
    const run = kubectlNetcheck(['node', victim.metadata.name, '-o', 'json', '--no-agent', '--kubeconfig', sim.kubeconfig]);
    expect(run.code).toBe(2);
    const cni = (JSON.parse(run.stdout) as Report).checks.find((c) => c.id === 'cni-ready')!;
    expect(cni.status).toBe('fail');
    expect(cni.summary).toContain('NetworkReady=false');
    const all = kubectlNetcheck(['nodes', '-o', 'json', '--no-agent', '--kubeconfig', sim.kubeconfig]);
    const byNode = new Map((JSON.parse(all.stdout) as { nodes: Report[] }).nodes.map((n) => [n.node, n.checks.find((c) => c.id === 'cni-ready')!.status]));
    expect(byNode.get(victim.metadata.name)).toBe('fail');
    for (const other of nodes.slice(0, -1)) expect(byNode.get(other.metadata.name)).not.toBe('fail');
  });
});
