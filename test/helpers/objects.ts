// Builders for the Kubernetes objects and facts the check unit tests evaluate.
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { ClusterFacts, HostFacts, NodeFacts } from '../../src/core/facts';

export const NOW = Date.parse('2026-11-23T12:00:00Z');
export const ago = (seconds: number) => new Date(NOW - seconds * 1000);

export function node(
  opts: { name?: string; ip?: string; podCIDR?: string; ready?: 'True' | 'False' | 'Unknown'; readyMessage?: string; annotations?: Record<string, string>; heartbeatAgo?: number } = {},
): V1Node {
  const ready = opts.ready ?? 'True';
  return {
    metadata: { name: opts.name ?? 'n1', annotations: opts.annotations ?? {} },
    spec: opts.podCIDR ? { podCIDR: opts.podCIDR, podCIDRs: [opts.podCIDR] } : {},
    status: {
      addresses: [{ type: 'InternalIP', address: opts.ip ?? '192.168.1.10' }],
      conditions: [
        { type: 'NetworkUnavailable', status: 'False', reason: 'FlannelIsUp', lastHeartbeatTime: ago(86400 * 3) },
        {
          type: 'Ready',
          status: ready,
          reason: ready === 'True' ? 'KubeletReady' : ready === 'Unknown' ? 'NodeStatusUnknown' : 'KubeletNotReady',
          message: opts.readyMessage ?? (ready === 'Unknown' ? 'Kubelet stopped posting node status.' : 'kubelet is posting ready status'),
          lastHeartbeatTime: ago(opts.heartbeatAgo ?? 10),
        },
      ],
    },
  } as V1Node;
}

const CNI_PODS = {
  flannel: { name: 'kube-flannel-ds-abcde', namespace: 'kube-flannel', generateName: 'kube-flannel-ds-', labels: { app: 'flannel' }, container: 'kube-flannel' },
  calico: { name: 'calico-node-abcde', namespace: 'kube-system', generateName: 'calico-node-', labels: { 'k8s-app': 'calico-node' }, container: 'calico-node' },
  cilium: { name: 'cilium-abcde', namespace: 'kube-system', generateName: 'cilium-', labels: { 'k8s-app': 'cilium' }, container: 'cilium-agent' },
} as const;

export function cniPod(kind: keyof typeof CNI_PODS, opts: { ready?: boolean; env?: Record<string, string>; waiting?: string; restarts?: number; namespace?: string } = {}): V1Pod {
  const ready = opts.ready ?? true;
  const p = CNI_PODS[kind];
  return {
    metadata: {
      name: p.name,
      namespace: opts.namespace ?? p.namespace,
      generateName: p.generateName,
      labels: { ...p.labels },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: p.generateName.slice(0, -1), uid: 'u1', controller: true }],
    },
    spec: { nodeName: 'n1', containers: [{ name: p.container, env: Object.entries(opts.env ?? {}).map(([n, value]) => ({ name: n, value })) }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: p.container, image: '', imageID: '', ready, restartCount: opts.restarts ?? 0, state: opts.waiting ? { waiting: { reason: opts.waiting } } : { running: {} } }],
    },
  } as V1Pod;
}

export function event(about: { namespace: string; name: string }, reason: string, message: string, count = 1): CoreV1Event {
  return { metadata: {}, involvedObject: { kind: 'Pod', ...about }, reason, message, count, type: 'Warning' } as CoreV1Event;
}

export function facts(
  parts: { node?: V1Node; pods?: V1Pod[]; events?: CoreV1Event[]; cniLogs?: Record<string, string>; cluster?: ClusterFacts; host?: HostFacts; unavailable?: NodeFacts['unavailable'] } = {},
): NodeFacts {
  return { nodeName: parts.node?.metadata?.name ?? 'n1', now: NOW, unavailable: {}, ...parts };
}

export const healthyHost: HostFacts = {
  subnetEnv: { network: '10.244.0.0/16', subnet: '10.244.1.1/24', mtu: 1450, ipMasq: true },
  swaps: [],
  fstabSwaps: [],
  kubeletConfig: { failSwapOn: true },
  routes: [
    { iface: 'eth0', destination: '0.0.0.0', gateway: '192.168.1.1', mask: '0.0.0.0', prefix: 0, up: true },
    { iface: 'eth0', destination: '192.168.1.0', gateway: '0.0.0.0', mask: '255.255.255.0', prefix: 24, up: true },
  ],
  interfaces: { lo: 'unknown', eth0: 'up', 'flannel.1': 'unknown', cni0: 'up' },
  cniConfigFiles: ['10-flannel.conflist'],
  cniConfig: { file: '/etc/cni/net.d/10-flannel.conflist', types: ['flannel', 'portmap'], bridge: true },
  sysctls: {
    'net.ipv4.ip_forward': '1',
    'net.bridge.bridge-nf-call-iptables': '1',
    'net.netfilter.nf_conntrack_count': '3150',
    'net.netfilter.nf_conntrack_max': '262144',
  },
  sysctlFiles: {},
  modulesLoad: [{ module: 'br_netfilter', file: '/etc/modules-load.d/k8s.conf' }],
  mtus: { lo: 65536, eth0: 1500, 'flannel.1': 1450, cni0: 1450 },
  // What the agent's probes find on a healthy node (exporter/probe.ts).
  apiService: { service: { target: '10.96.0.1:443', ok: true, rttSeconds: 0.002 }, serviceSource: 'KUBERNETES_SERVICE_HOST', direct: [], agentVia: 'through the kubernetes Service 10.96.0.1:443' },
  clusterDns: { server: '10.96.0.10', name: 'kubernetes.default.svc.cluster.local', result: { target: '10.96.0.10:53', ok: true, rttSeconds: 0.001 }, rcode: 'NOERROR', answer: '10.96.0.1' },
  peerProbes: {
    chosen: 2,
    eligible: 3,
    noPodAddress: [],
    results: [
      { peer: 'n2', path: 'underlay', target: '192.168.1.12:9742', ok: true },
      { peer: 'n2', path: 'pod-network', target: '10.244.2.0:9742', ok: true },
      { peer: 'n3', path: 'underlay', target: '192.168.1.13:9742', ok: true },
      { peer: 'n3', path: 'pod-network', target: '10.244.3.0:9742', ok: true },
    ],
  },
  cniBin: { dirs: [{ dir: '/opt/cni/bin', source: 'the default', binaries: ['bandwidth', 'bridge', 'flannel', 'host-local', 'loopback', 'portmap'] }] },
  cniPlugins: {
    file: '/etc/cni/net.d/10-flannel.conflist',
    network: 'cbr0',
    plugins: [
      { type: 'flannel', role: 'plugin' },
      { type: 'bridge', role: 'delegate' },
      { type: 'host-local', role: 'delegate' },
      { type: 'portmap', role: 'plugin' },
    ],
    bridge: { name: 'cni0', hairpinMode: true },
  },
  kernelModules: {
    release: '5.15.0-91-generic',
    present: { vxlan: 'loaded', br_netfilter: 'loaded', nf_conntrack: 'loaded' },
    available: ['vxlan', 'wireguard', 'ipip', 'br_netfilter', 'nf_conntrack'],
    builtinKnown: true,
  },
  resolvConfs: { '/etc/resolv.conf': ['192.168.1.1'], '/run/systemd/resolve/resolv.conf': null },
  ipamLeases: [{ network: 'cbr0', leases: [] }],
  networkManager: { running: false, unmanaged: [], networkdRunning: false, networkd: [] },
  kubeProxyLivez: { url: 'http://127.0.0.1:10256/livez', error: 'connection refused', refused: true },
  ipv6Addresses: [],
  vtepMac: null,
  bridgePorts: { cni0: { veth1a2b3c4d: '1' } },
  rpFilter: { all: '0', default: '1', eth0: '1', cni0: '1', 'flannel.1': '1' },
  netCounters: { now: { at: NOW, udpInCsumErrors: 0, ipReversePathFilter: 0, overlay: { device: 'flannel.1', rxErrors: 0, rxDropped: 0 } } },
};
