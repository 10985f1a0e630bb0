import { CHECK_IDS } from '../../src/checks';
import { clusterCidr } from '../../src/checks/cluster-cidr';
import { nodeAddress } from '../../src/checks/node-address';
import { podCidrAssigned } from '../../src/checks/pod-cidr-assigned';
import type { ClusterFacts } from '../../src/core/facts';
import { evaluateCheck, evaluateNode, mergeAgentReport } from '../../src/engine';
import { cniPod, facts, healthyHost, node } from '../helpers/objects';

const kcm = (flags: Record<string, string>): ClusterFacts['controllerManager'] => ({ flags, source: 'pod kube-system/kube-controller-manager-m1' });

describe('pod-cidr-assigned', () => {
  test('fails with the cause and a free subnet when the controller-manager does not allocate (seed 004)', () => {
    const cluster: ClusterFacts = {
      controllerManager: kcm({ kubeconfig: '/etc/kubernetes/controller-manager.conf' }),
      flannel: { network: '172.18.0.0/16', source: 'configmap kube-flannel/kube-flannel-cfg' },
      peers: [
        { name: 'm1', podCIDRs: ['172.18.0.0/24'] },
        { name: 'w2', podCIDRs: ['172.18.1.0/24'] },
      ],
    };
    const result = evaluateCheck(podCidrAssigned, facts({ node: node({ name: 'w1' }), pods: [cniPod('flannel')], cluster }));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('no podCIDR assigned: kube-controller-manager does not allocate node CIDRs (--allocate-node-cidrs is not true); kubeadm init ran without --pod-network-cidr');
    expect(result.remedy).toContain(`kubectl patch node w1 -p '{"spec":{"podCIDR":"172.18.2.0/24","podCIDRs":["172.18.2.0/24"]}}'`);
    expect(result.remedy).toContain('--cluster-cidr=172.18.0.0/16');
  });

  test('fails when the podCIDR overlaps another node', () => {
    const cluster: ClusterFacts = { controllerManager: kcm({ 'allocate-node-cidrs': 'true', 'cluster-cidr': '10.244.0.0/16' }), peers: [{ name: 'n9', podCIDRs: ['10.244.1.0/24'] }] };
    expect(evaluateCheck(podCidrAssigned, facts({ node: node({ podCIDR: '10.244.1.0/24' }), cluster })).summary).toMatch(/of node n9 overlaps/);
  });

  test('fails when outside the cluster CIDR; ok inside', () => {
    const cluster: ClusterFacts = { controllerManager: kcm({ 'allocate-node-cidrs': 'true', 'cluster-cidr': '10.244.0.0/16' }) };
    expect(evaluateCheck(podCidrAssigned, facts({ node: node({ podCIDR: '10.99.1.0/24' }), cluster })).status).toBe('fail');
    expect(evaluateCheck(podCidrAssigned, facts({ node: node({ podCIDR: '10.244.1.0/24' }), cluster })).status).toBe('ok');
  });

  test("fails when the podCIDR is inside --cluster-cidr but outside flannel's Network", () => {
    const cluster: ClusterFacts = { controllerManager: kcm({ 'allocate-node-cidrs': 'true', 'cluster-cidr': '10.244.0.0/16' }), flannel: { network: '172.18.0.0/16', source: 'cm' } };
    expect(evaluateCheck(podCidrAssigned, facts({ node: node({ podCIDR: '10.244.1.0/24' }), cluster })).summary).toBe("podCIDR 10.244.1.0/24 is outside flannel's Network 172.18.0.0/16");
  });

  test('skip on Calico without node CIDR allocation', () => {
    expect(evaluateCheck(podCidrAssigned, facts({ node: node(), pods: [cniPod('calico')], cluster: { controllerManager: kcm({}) } })).status).toBe('skip');
  });
});

describe('node-address', () => {
  test('fails when Calico autodetected another NIC (seed 002), with IP_AUTODETECTION_METHOD advice', () => {
    const n = node({ ip: '172.17.73.66', annotations: { 'projectcalico.org/IPv4Address': '10.0.0.66/24' } });
    const result = evaluateCheck(nodeAddress, facts({ node: n, pods: [cniPod('calico')] }));
    expect(result).toMatchObject({ status: 'fail', summary: "Calico chose 10.0.0.66, not the node's InternalIP 172.17.73.66" });
    expect(result.remedy).toMatch(/IP_AUTODETECTION_METHOD=kubernetes-internal-ip/);
  });

  test('fails on a shared flannel public-ip (Vagrant 10.0.2.15, seed 003) and names the other nodes', () => {
    const n = node({ name: 'node-1', ip: '192.168.56.11', annotations: { 'flannel.alpha.coreos.com/public-ip': '10.0.2.15' } });
    const cluster = { peers: [{ name: 'node-2', internalIP: '192.168.56.12', podCIDRs: [], cniAddress: '10.0.2.15' }] };
    const result = evaluateCheck(nodeAddress, facts({ node: n, pods: [cniPod('flannel')], cluster }));
    expect(result.summary).toBe('10.0.2.15 (the VirtualBox/Vagrant NAT address every VM shares) is also the flannel address of node-2');
    expect(result.remedy).toMatch(/--iface-can-reach=192\.168\.56\.12/);
  });

  test('ok when the address is the InternalIP and unique', () => {
    const n = node({ ip: '192.168.1.10', annotations: { 'flannel.alpha.coreos.com/public-ip': '192.168.1.10' } });
    expect(evaluateCheck(nodeAddress, facts({ node: n, cluster: { peers: [] } })).status).toBe('ok');
  });
});

describe('cluster-cidr', () => {
  test("fails when flannel's Network differs from --cluster-cidr (seed 004)", () => {
    const cluster: ClusterFacts = {
      controllerManager: kcm({ 'allocate-node-cidrs': 'true', 'cluster-cidr': '10.244.0.0/16' }),
      flannel: { network: '172.18.0.0/16', source: 'configmap kube-flannel/kube-flannel-cfg' },
    };
    expect(evaluateCheck(clusterCidr, facts({ cluster }))).toMatchObject({ status: 'fail', summary: "flannel's Network 172.18.0.0/16 does not contain --cluster-cidr 10.244.0.0/16" });
  });
  test('ok when all agree; unknown when nothing could be read', () => {
    const cluster: ClusterFacts = {
      controllerManager: kcm({ 'allocate-node-cidrs': 'true', 'cluster-cidr': '10.244.0.0/16' }),
      kubeadm: { podSubnet: '10.244.0.0/16', source: 'cm' },
      flannel: { network: '10.244.0.0/16', source: 'cm' },
    };
    expect(evaluateCheck(clusterCidr, facts({ cluster })).summary).toBe('all agree on 10.244.0.0/16');
    expect(evaluateCheck(clusterCidr, facts({})).status).toBe('unknown');
  });
});

describe('engine', () => {
  test('every check appears in every report, and a healthy flannel node has no failing check', () => {
    const n = node({ podCIDR: '10.244.1.0/24', annotations: { 'flannel.alpha.coreos.com/public-ip': '192.168.1.10' } });
    const cluster: ClusterFacts = { controllerManager: kcm({ 'allocate-node-cidrs': 'true', 'cluster-cidr': '10.244.0.0/16' }), flannel: { network: '10.244.0.0/16', source: 'cm' }, peers: [] };
    const report = evaluateNode(facts({ node: n, pods: [cniPod('flannel')], cluster, host: healthyHost }));
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(report.checks.filter((c) => c.status !== 'ok' && c.status !== 'skip')).toEqual([]);
    expect(report.status).toBe('ok');
  });

  test('an unknown check lists the needed facts that could not be gathered, with the reason', () => {
    const report = evaluateNode(facts({ node: node(), unavailable: { swaps: 'open /host/proc/swaps: permission denied', controllerManager: 'pods is forbidden' } }));
    expect(report.checks.find((c) => c.id === 'swap')!.evidence).toContain('swaps: open /host/proc/swaps: permission denied');
    expect(report.checks.find((c) => c.id === 'cluster-cidr')!.evidence).toContain('controllerManager: pods is forbidden');
  });

  test('a check that throws becomes unknown and the others still run', () => {
    const broken = facts({ node: node({ podCIDR: 'not-a-cidr' }), cluster: { controllerManager: kcm({ 'allocate-node-cidrs': 'true', 'cluster-cidr': '10.244.0.0/16' }) } });
    const report = evaluateNode(broken);
    expect(report.checks.find((c) => c.id === 'pod-cidr-assigned')).toMatchObject({ status: 'unknown' });
    expect(report.checks).toHaveLength(CHECK_IDS.length);
  });

  test('merging: the host view wins for host checks, the API view for cluster checks', () => {
    const api = evaluateNode(facts({ node: node({ podCIDR: '10.244.1.0/24' }), pods: [cniPod('flannel')] }));
    const agent = evaluateNode(facts({ node: node({ podCIDR: '10.244.1.0/24' }), pods: [cniPod('flannel')], host: { ...healthyHost, swaps: [{ filename: '/swap', type: 'file', sizeKiB: 1 }] } }));
    const merged = mergeAgentReport(api, agent);
    expect(merged.checks.find((c) => c.id === 'swap')?.status).toBe('fail');
    expect(merged.status).toBe('fail');
    expect(merged.rootCause).toBe('swap');
  });
});
