import type { CheckResult } from '../../src/core/model';
import { assemble } from '../../src/engine';
import { nodeReportCrd, reportObject } from '../../src/report/resource';
import type { Store } from './store';

/** What a healthy agent on a generated node reports; every 500th node has swap turned back on. */
function agentChecks(i: number, name: string, ip: string, cidr: string): CheckResult[] {
  const swapOn = i % 500 === 499;
  return [
    { id: 'kubelet-ready', status: 'ok', summary: 'kubelet is Ready and posting status', evidence: ['node condition Ready=True (KubeletReady: kubelet is posting ready status)'] },
    { id: 'cni-ready', status: 'ok', summary: 'flannel is ready', evidence: [`/etc/cni/net.d: 10-flannel.conflist`] },
    {
      id: 'flannel-subnet-env',
      status: 'ok',
      summary: `present, FLANNEL_SUBNET=${cidr.replace('.0/24', '.1/24')}`,
      evidence: [`/run/flannel/subnet.env: FLANNEL_NETWORK=10.64.0.0/10 FLANNEL_SUBNET=${cidr.replace('.0/24', '.1/24')}`],
    },
    { id: 'bgp-established', status: 'skip', summary: 'no BGP: not a Calico node (flannel)', evidence: [] },
    swapOn
      ? {
          id: 'swap',
          status: 'fail',
          summary: 'swap is on and the kubelet refuses to run with it (failSwapOn: true)',
          evidence: ['/proc/swaps: /dev/sdb2 (partition, 4096 MiB)'],
          remedy: `On ${name}: swapoff -a && systemctl restart kubelet`,
        }
      : { id: 'swap', status: 'ok', summary: 'swap is off', evidence: ['/proc/swaps: no active swap'] },
    { id: 'pod-cidr-assigned', status: 'ok', summary: `podCIDR ${cidr}`, evidence: [`spec.podCIDRs: ${cidr}`] },
    { id: 'default-route', status: 'ok', summary: `default via 10.20.0.1 dev eth0`, evidence: [`/proc/net/route: default via 10.20.0.1 dev eth0 (up)`] },
    { id: 'node-address', status: 'ok', summary: `${ip} is the InternalIP`, evidence: [] },
    { id: 'cluster-cidr', status: 'ok', summary: 'all agree on 10.64.0.0/10', evidence: [] },
  ];
}

/**
 * A large healthy flannel cluster for benchmarks: `nodes` nodes with a podCIDR each inside
 * 10.64.0.0/10, `podsPerNode` pods on every node (one of them the flannel pod), and the
 * controller-manager and flannel config that declare that pod network.
 */
export function generateCluster(store: Store, nodes: number, podsPerNode: number, reports = false): void {
  if (reports) store.add(nodeReportCrd() as Record<string, unknown> as never);
  const created = new Date(Date.now() - 30 * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const heartbeat = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  store.add({
    kind: 'Pod',
    metadata: { name: 'kube-controller-manager-node-00000', namespace: 'kube-system', labels: { component: 'kube-controller-manager', tier: 'control-plane' } },
    spec: {
      nodeName: 'node-00000',
      containers: [{ name: 'kube-controller-manager', command: ['kube-controller-manager', '--allocate-node-cidrs=true', '--cluster-cidr=10.64.0.0/10', '--node-cidr-mask-size=24'] }],
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }] },
  });
  store.add({ kind: 'ConfigMap', metadata: { name: 'kube-flannel-cfg', namespace: 'kube-flannel' }, data: { 'net-conf.json': '{"Network": "10.64.0.0/10", "Backend": {"Type": "vxlan"}}' } });
  for (let i = 0; i < nodes; i++) {
    const name = `node-${String(i).padStart(5, '0')}`;
    const ip = `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    const cidr = `10.${(i >> 8) + 64}.${i & 255}.0/24`;
    store.add({
      kind: 'Node',
      metadata: {
        name,
        creationTimestamp: created,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': `zone-${i % 3}` },
        annotations: { 'flannel.alpha.coreos.com/public-ip': ip, 'flannel.alpha.coreos.com/backend-type': 'vxlan', 'node.alpha.kubernetes.io/ttl': '0' },
      },
      spec: { podCIDR: cidr, podCIDRs: [cidr] },
      status: {
        conditions: [
          { type: 'NetworkUnavailable', status: 'False', reason: 'FlannelIsUp', message: 'Flannel is running on this node', lastHeartbeatTime: created, lastTransitionTime: created },
          { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: heartbeat, lastTransitionTime: created },
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: heartbeat, lastTransitionTime: created },
        ],
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: name },
        ],
        capacity: { cpu: '8', memory: '32Gi', pods: '110' },
        allocatable: { cpu: '8', memory: '31Gi', pods: '110' },
        nodeInfo: {
          kubeletVersion: 'v1.32.4',
          containerRuntimeVersion: 'containerd://1.7.24',
          osImage: 'Debian GNU/Linux 12',
          kernelVersion: '6.1.0',
          architecture: 'amd64',
          operatingSystem: 'linux',
        },
      },
    });
    if (reports) {
      const report = assemble(name, agentChecks(i, name, ip, cidr));
      store.add(reportObject(report, { observedAt: Date.now() - 20_000, agentVersion: '0.1.0', heartbeatSeconds: 300, intervalSeconds: 30, rootCause: report.rootCause }) as never);
    }
    for (let p = 0; p < podsPerNode; p++) {
      const flannel = p === 0;
      const podName = flannel ? `kube-flannel-ds-${i.toString(36).padStart(5, '0')}` : `app-${i}-${p}`;
      store.add({
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace: flannel ? 'kube-flannel' : `team-${p % 10}`,
          creationTimestamp: created,
          labels: flannel ? { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' } : { app: `app-${p}` },
          ...(flannel ? { generateName: 'kube-flannel-ds-' } : {}),
        },
        spec: {
          nodeName: name,
          containers: [{ name: flannel ? 'kube-flannel' : 'app', image: flannel ? 'docker.io/flannel/flannel:v0.26.1' : 'registry.example/app:1.0' }],
          volumes: flannel ? [{ name: 'flannel-cfg', configMap: { name: 'kube-flannel-cfg' } }] : [],
        },
        status: {
          phase: 'Running',
          podIP: flannel ? ip : `10.${(i >> 8) + 64}.${i & 255}.${p + 2}`,
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: { startedAt: created } } }],
        },
      });
    }
  }
}
