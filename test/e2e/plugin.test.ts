import type { ClusterReport, NodeReport } from '../../src/core/model';
import { kubectl, kubectlNetcheck, type Sim, startSim } from './harness';

const statusOf = (report: NodeReport, id: string) => report.checks.find((c) => c.id === id)!;

function nodeJson(sim: Sim, name: string, extra: string[] = []): { report: NodeReport; code: number } {
  const run = kubectlNetcheck(['node', name, '-o', 'json', '--kubeconfig', sim.kubeconfig, ...extra]);
  expect(run.stderr).toBe('');
  return { report: JSON.parse(run.stdout) as NodeReport, code: run.code };
}

describe('kubectl netcheck against the flannel incidents (seeds 000 and 001)', () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim(['flannel-incidents.yaml']);
  });
  afterAll(() => sim.stop());

  test('real kubectl can read the simulated cluster', () => {
    expect(kubectl(['get', 'nodes'], sim.kubeconfig).stdout).toMatch(/n02\s+Ready/);
    expect(kubectl(['describe', 'node', 'n02'], sim.kubeconfig).stdout).toMatch(/PodCIDR:\s+10\.244\.4\.0\/24/);
  });

  test('n02: NIC down → no route to 10.96.0.1 → subnet.env missing; exit 2', () => {
    const { report, code } = nodeJson(sim, 'n02');
    expect(code).toBe(2);
    expect(report).toMatchObject({ apiVersion: 'netcheck/v1', kind: 'NodeReport', node: 'n02', status: 'fail' });
    expect(statusOf(report, 'default-route').status).toBe('fail');
    expect(statusOf(report, 'default-route').summary).toMatch(/10\.96\.0\.1:443/);
    expect(statusOf(report, 'flannel-subnet-env').status).toBe('fail');
    expect(statusOf(report, 'flannel-subnet-env').evidence.join('\n')).toMatch(/253 FailedCreatePodSandBox events/);
    expect(statusOf(report, 'cni-ready').steps).toContainEqual({ on: 'cluster', run: "kubectl -n 'kube-system' delete pod 'kube-flannel-ds-amd64-dvgdn'" });
    expect(statusOf(report, 'bgp-established').status).toBe('skip');
  });

  test('n03: flannel finds no default route (seed 001)', () => {
    const { report } = nodeJson(sim, 'n03');
    expect(statusOf(report, 'default-route')).toMatchObject({ status: 'fail', summary: 'no default route (the CNI says so)' });
    expect(statusOf(report, 'swap').evidence).toContain('agent: no netcheck agent pod on n03 in namespace netcheck');
  });

  test('healthy nodes show no failing check; exit 0', () => {
    for (const name of ['m01', 'n01']) {
      const { report, code } = nodeJson(sim, name);
      expect(code).toBe(0);
      expect(report.checks.filter((c) => c.status === 'fail' || c.status === 'warn')).toEqual([]);
    }
  });

  test('the table names the root cause and shows evidence and the fix', () => {
    const run = kubectlNetcheck(['node', 'n02', '--kubeconfig', sim.kubeconfig]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^root cause: default-route: no route to the API service 10\.96\.0\.1:443/m);
    expect(run.stdout).toMatch(/^CHECK\s+STATUS\s+SUMMARY$/m);
    expect(run.stdout).toMatch(/fix: On n02: ip -br link \(the interface that is DOWN\) and ip route show default;/);
    expect(run.stdout).not.toMatch(/\u001b\[/); // NO_COLOR
  });

  test('`nodes` gives one row per node, failing first, and yaml parses', () => {
    const run = kubectlNetcheck(['nodes', '--kubeconfig', sim.kubeconfig, '-o', 'json']);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as ClusterReport;
    expect(report.kind).toBe('ClusterReport');
    expect(report.nodes.map((n) => n.node)).toEqual(['n02', 'n03', 'm01', 'n01']);
    const table = kubectlNetcheck(['nodes', '--kubeconfig', sim.kubeconfig]);
    expect(table.stdout.split('\n')[0]).toMatch(/^NODE\s+STATUS\s+KUBELET\s+CNI\s+SUBNET-ENV\s+BGP\s+SWAP\s+POD-CIDR\s+ROUTE\s+ADDRESS\s+CLUSTER-CIDR$/);
    expect(kubectlNetcheck(['node', 'n01', '-o', 'yaml', '--kubeconfig', sim.kubeconfig]).stdout).toMatch(/^kind: NodeReport$/m);
  });

  test('node X costs at most 7 API requests and never lists all pods', async () => {
    for (const name of ['n01', 'n02', 'n03']) {
      await sim.resetRequests();
      expect(kubectlNetcheck(['node', name, '--kubeconfig', sim.kubeconfig]).code).not.toBe(1);
      const requests = await sim.requests();
      expect(requests.length).toBeLessThanOrEqual(7); // node, pods, report; kcm flags, flannel config; events, CNI log when troubled
      expect(requests.filter((r) => /^\/api\/v1\/pods(\?|$)/.test(r.path) && !/fieldSelector=spec.nodeName/.test(r.path))).toEqual([]);
    }
  });

  test('nodes lists pods only by CNI label, never all pods', async () => {
    await sim.resetRequests();
    kubectlNetcheck(['nodes', '--kubeconfig', sim.kubeconfig]);
    const podLists = (await sim.requests()).filter((r) => /^\/api\/v1\/pods/.test(r.path));
    expect(podLists.length).toBeGreaterThan(0);
    for (const r of podLists) expect(r.path).toMatch(/labelSelector=/);
  });
});

describe('kubectl netcheck on the other seed clusters', () => {
  test('seed 004: podCIDR never assigned, with a free subnet and the lasting fix', async () => {
    const sim = await startSim(['flannel-no-pod-cidr.yaml']);
    try {
      const { report } = nodeJson(sim, 'worker-0001');
      const check = statusOf(report, 'pod-cidr-assigned');
      expect(check.status).toBe('fail');
      expect(check.summary).toMatch(/--allocate-node-cidrs is not true.*kubeadm init ran without --pod-network-cidr/);
      expect(check.remedy).toContain(`kubectl patch node worker-0001 -p '{"spec":{"podCIDR":"172.18.3.0/24","podCIDRs":["172.18.3.0/24"]}}'`);
      expect(statusOf(report, 'cluster-cidr').status).toBe('fail');
    } finally {
      await sim.stop();
    }
  });

  test('seed 002: BGP not established, the peer named by node; the wrong NIC; the dead kubelet', async () => {
    const sim = await startSim(['calico-bgp.yaml']);
    try {
      const master2 = nodeJson(sim, 'k8smaster2').report;
      expect(statusOf(master2, 'bgp-established').summary).toBe("BGP not established with 10.0.0.66 (node k8smater1's Calico address; its InternalIP is 172.17.73.66)");
      expect(statusOf(master2, 'node-address').status).toBe('ok');
      const master1 = nodeJson(sim, 'k8smater1').report;
      expect(statusOf(master1, 'node-address').summary).toBe("Calico chose 10.0.0.66, not the node's InternalIP 172.17.73.66");
      expect(statusOf(master1, 'flannel-subnet-env').status).toBe('skip');
      const ceph = nodeJson(sim, 'k8scephnode').report;
      expect(statusOf(ceph, 'kubelet-ready').summary).toMatch(/^kubelet stopped posting node status/);
      expect(statusOf(ceph, 'swap').evidence.join()).toMatch(/swap turned back on at reboot/);
    } finally {
      await sim.stop();
    }
  });

  test('seed 003: every Vagrant node shares flannel public-ip 10.0.2.15', async () => {
    const sim = await startSim(['vagrant-flannel.yaml']);
    try {
      const run = kubectlNetcheck(['nodes', '-o', 'json', '--kubeconfig', sim.kubeconfig]);
      const report = JSON.parse(run.stdout) as ClusterReport;
      for (const node of report.nodes) {
        const check = statusOf(node, 'node-address');
        expect(check.status).toBe('fail');
        // Per node: flannel's public-ip-overwrite annotation with the node's own InternalIP, and its flannel pod.
        expect(check.steps?.[0].run).toMatch(new RegExp(`^kubectl annotate node ${node.node} --overwrite 'flannel\\.alpha\\.coreos\\.com/public-ip-overwrite=192\\.168\\.56\\.1[0-2]'$`));
      }
      expect(statusOf(nodeJson(sim, 'node-1').report, 'node-address').summary).toMatch(/also the flannel address of k8s-master, node-2/);
    } finally {
      await sim.stop();
    }
  });
});
