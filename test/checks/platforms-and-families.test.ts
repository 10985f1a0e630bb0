// The checks that depend on knowing the CNI and the platform, and on the address family: what they
// say on a CNI they do not understand, on managed control planes, and on IPv6-only and dual-stack hosts.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { clusterCidr } from '../../src/checks/cluster-cidr';
import { cniReady } from '../../src/checks/cni-ready';
import { defaultRoute } from '../../src/checks/default-route';
import { podCidrAssigned } from '../../src/checks/pod-cidr-assigned';
import { CNI_POD_SELECTORS, nodeCni } from '../../src/cni/cni';
import { platformOf } from '../../src/cni/platform';
import type { HostFacts } from '../../src/core/facts';
import { evaluateCheck } from '../../src/engine';
import { shq } from '../../src/remedy/shell';
import { facts, healthyHost, node } from '../helpers/objects';

const NOT_READY = 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';

function pod(name: string, namespace: string, labels: Record<string, string>, ready = true): V1Pod {
  return {
    metadata: { name, namespace, labels },
    spec: { nodeName: 'n1', containers: [{ name: 'c' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'c', image: '', imageID: '', ready, restartCount: 0, state: { running: {} } }],
    },
  } as V1Pod;
}

function on(base: V1Node, change: { labels?: Record<string, string>; annotations?: Record<string, string>; providerID?: string; podCIDR?: null }): V1Node {
  const n = structuredClone(base);
  n.metadata = { ...n.metadata, labels: { ...n.metadata?.labels, ...change.labels }, annotations: { ...n.metadata?.annotations, ...change.annotations } };
  if (change.providerID) n.spec = { ...n.spec, providerID: change.providerID };
  if (change.podCIDR === null) n.spec = { ...n.spec, podCIDR: undefined, podCIDRs: undefined };
  return n;
}

const eks = () => on(node(), { labels: { 'eks.amazonaws.com/nodegroup': 'ng-1' }, providerID: 'aws:///us-west-2a/i-0a1b2c3d4e5f67890' });
const gke = (podCIDR?: string) => on(node({ podCIDR }), { labels: { 'cloud.google.com/gke-nodepool': 'default-pool' }, providerID: 'gce://acme/us-central1-a/gke-prod-default-pool-3f5e6a1b-k2lx' });
const k3s = () =>
  on(node({ podCIDR: '10.42.1.0/24' }), {
    labels: { 'node.kubernetes.io/instance-type': 'k3s' },
    annotations: { 'flannel.alpha.coreos.com/backend-type': 'vxlan', 'k3s.io/node-args': '["server","--cluster-cidr","10.42.0.0/16"]' },
  });
const notReady = (n: V1Node) => {
  const c = structuredClone(n);
  c.status!.conditions = c.status!.conditions!.map((x) => (x.type === 'Ready' ? { ...x, status: 'False', reason: 'KubeletNotReady', message: NOT_READY } : x));
  return c;
};

describe('the CNI table', () => {
  test.each([
    ['aws-node-7mx2k', 'kube-system', { 'k8s-app': 'aws-node' }, 'aws-vpc-cni'],
    ['anetd-6xq2p', 'kube-system', { 'k8s-app': 'cilium' }, 'gke-dataplane-v2'],
    ['rke2-canal-5kzxw', 'kube-system', { 'k8s-app': 'canal' }, 'canal'],
    ['calico-node-x1', 'calico-system', { 'k8s-app': 'calico-node' }, 'calico'],
    ['azure-cns-8vh2k', 'kube-system', { 'k8s-app': 'azure-cns' }, 'azure-cni'],
    ['kindnet-4xkq7', 'kube-system', { app: 'kindnet', 'k8s-app': 'kindnet' }, 'kindnet'],
    ['ovnkube-node-7hx9p', 'openshift-ovn-kubernetes', { app: 'ovnkube-node' }, 'ovn-kubernetes'],
    ['antrea-agent-2k9x', 'kube-system', { app: 'antrea', component: 'antrea-agent' }, 'antrea'],
    ['weave-net-5d2p', 'kube-system', { name: 'weave-net' }, 'weave'],
    ['kube-router-8x2f', 'kube-system', { 'k8s-app': 'kube-router' }, 'kube-router'],
  ])('%s is recognised as %s', (name, ns, labels, id) => {
    expect(nodeCni({ pods: [pod(name, ns, labels)] }).row?.id).toBe(id);
  });

  test('Multus is a meta-plugin: the CNI it delegates to is the one judged', () => {
    const pods = [pod('multus-2vnxd', 'openshift-multus', { app: 'multus' }), pod('ovnkube-node-7hx9p', 'openshift-ovn-kubernetes', { app: 'ovnkube-node' })];
    expect(nodeCni({ pods }).row?.id).toBe('ovn-kubernetes');
    expect(nodeCni({ pods: [], host: { cniConfigFiles: ['00-multus.conf', '10-calico.conflist'] } }).row?.id).toBe('calico');
  });

  test("k3s's built-in flannel is known from the node's annotations; a CNI pod seen wins", () => {
    expect(nodeCni({ node: k3s(), pods: [] }).row?.id).toBe('k3s-flannel');
    expect(nodeCni({ node: k3s(), pods: [pod('cilium-abcde', 'kube-system', { 'k8s-app': 'cilium' })] }).row?.id).toBe('cilium');
  });

  test('cluster-wide lists: one set-based selector per label key, every CNI with a pod in one of them', () => {
    expect(CNI_POD_SELECTORS.length).toBeLessThanOrEqual(4);
    expect(CNI_POD_SELECTORS).toContain('k8s-app in (aws-node,azure-cns,calico-node,canal,cilium,kube-router)');
  });
});

describe('platforms', () => {
  test.each([
    [eks(), 'eks', true],
    [gke(), 'gke', true],
    [on(node(), { labels: { 'kubernetes.azure.com/cluster': 'MC_rg_aks_eastus' } }), 'aks', true],
    [k3s(), 'k3s', false],
    [on(node(), { providerID: 'kind://docker/kind/kind-worker' }), 'kind', false],
    [on(node(), { labels: { 'node.openshift.io/os_id': 'rhcos' } }), 'openshift', false],
    [node(), undefined, undefined],
  ])('%#: %s', (n, id, managed) => {
    expect(platformOf(n)?.id).toBe(id);
    expect(platformOf(n)?.managed).toBe(managed);
  });
});

describe('cni-ready', () => {
  test('EKS: aws-node Ready is ready', () => {
    const r = evaluateCheck(cniReady, facts({ node: eks(), pods: [pod('aws-node-7mx2k', 'kube-system', { 'k8s-app': 'aws-node' })] }));
    expect(r).toMatchObject({ status: 'ok', summary: 'AWS VPC CNI (aws-node) is ready' });
  });
  test("k3s's built-in flannel: ready from the kubelet, with no pod to judge", () => {
    expect(evaluateCheck(cniReady, facts({ node: k3s(), pods: [] }))).toMatchObject({
      status: 'ok',
      summary: 'flannel (built into k3s) is ready (no agent pod: the kubelet reports the network ready)',
    });
  });
  // k3s's containerd reads CNI configs from /var/lib/rancher/k3s/agent/etc/cni/net.d (the conf_dir of
  // the containerd config.toml k3s writes under /var/lib/rancher/k3s/agent/etc/containerd), not
  // /etc/cni/net.d, which is empty or absent on a healthy k3s node.
  test("k3s: an empty /etc/cni/net.d is not k3s's CNI config directory, and no failure", () => {
    const r = evaluateCheck(cniReady, facts({ node: k3s(), pods: [], host: { ...healthyHost, cniConfigFiles: [] } }));
    expect(r.status).toBe('ok');
    expect(r.evidence.join('\n')).toMatch(/k3s keeps its CNI config in \/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d, which the agent reads with deploy\/components\/k3s/);
    // k3s with --flannel-backend=none (Calico here) keeps /etc/cni/net.d: empty there is a failure.
    const k3sCalico = evaluateCheck(cniReady, facts({ node: k3s(), pods: [pod('calico-node-x1', 'calico-system', { 'k8s-app': 'calico-node' })], host: { ...healthyHost, cniConfigFiles: [] } }));
    expect(k3sCalico).toMatchObject({ status: 'fail', summary: 'no CNI config in /etc/cni/net.d' });
    // Elsewhere an empty /etc/cni/net.d is what NetworkPluginNotReady means.
    expect(evaluateCheck(cniReady, facts({ node: notReady(node()), pods: [], host: { ...healthyHost, cniConfigFiles: [] } })).status).toBe('fail');
  });
  test('a CNI not in the table is not understood: unknown, never fail', () => {
    const r = evaluateCheck(cniReady, facts({ node: node(), pods: [], host: { ...healthyHost, cniConfigFiles: ['10-zebranet.conflist'] } }));
    expect(r).toMatchObject({ status: 'unknown', summary: 'CNI zebranet is not understood: its agent cannot be judged; the kubelet reports the network ready' });
  });
  test('no CNI pod recognised and nothing else known: unknown, never fail', () => {
    expect(evaluateCheck(cniReady, facts({ node: node(), pods: [] })).status).toBe('unknown');
  });
  test('the generic part still runs on an unknown CNI: the kubelet reporting NetworkPluginNotReady fails', () => {
    const r = evaluateCheck(cniReady, facts({ node: notReady(node()), pods: [], host: { ...healthyHost, cniConfigFiles: ['10-zebranet.conflist'] } }));
    expect(r.status).toBe('fail');
    expect(r.summary).toContain('NetworkReady=false');
  });
  test('a restart step by label, for a CNI whose pod is not seen', () => {
    const r = evaluateCheck(cniReady, facts({ node: notReady(eks()), pods: [], host: { ...healthyHost, cniConfigFiles: ['10-aws.conflist'] } }));
    expect(r.status).toBe('fail');
  });
});

describe('pod-cidr-assigned', () => {
  test('EKS with the VPC CNI: no podCIDR is right (skip), no manifest named', () => {
    const r = evaluateCheck(
      podCidrAssigned,
      facts({
        node: eks(),
        pods: [pod('aws-node-7mx2k', 'kube-system', { 'k8s-app': 'aws-node' })],
        unavailable: { controllerManager: 'no kube-controller-manager pod in kube-system (managed control plane?)' },
      }),
    );
    expect(r).toMatchObject({ status: 'skip' });
    expect(JSON.stringify(r)).not.toContain('/etc/kubernetes/manifests');
  });
  test("GKE with no podCIDR: fails with GKE's own fix (the Pod secondary range), never a manifest", () => {
    const r = evaluateCheck(podCidrAssigned, facts({ node: gke(), pods: [pod('anetd-6xq2p', 'kube-system', { 'k8s-app': 'cilium' })] }));
    expect(r.status).toBe('fail');
    expect(r.summary).toContain('Pod secondary range');
    expect(r.remedy).toContain('--additional-pod-ipv4-ranges');
    expect(r.steps).toEqual([
      { on: 'cluster', run: "gcloud compute instances describe gke-prod-default-pool-3f5e6a1b-k2lx --zone us-central1-a --project acme --format='value(metadata.items.cluster-name)'" },
    ]);
    expect(JSON.stringify(r)).not.toContain('/etc/kubernetes/manifests');
  });
  test('a CNI not understood and no controller-manager seen: unknown', () => {
    const r = evaluateCheck(podCidrAssigned, facts({ node: node(), pods: [], host: { ...healthyHost, cniConfigFiles: ['10-zebranet.conflist'] } }));
    expect(r).toMatchObject({ status: 'unknown', summary: 'no podCIDR, and CNI zebranet is not understood: whether it needs one cannot be told' });
  });
  test('k3s: the podCIDR is judged against the server --cluster-cidr of node-args', () => {
    const n = on(k3s(), {});
    n.spec = { podCIDR: '10.99.0.0/24', podCIDRs: ['10.99.0.0/24'] };
    const r = evaluateCheck(podCidrAssigned, facts({ node: n, pods: [] }));
    expect(r).toMatchObject({ status: 'fail', summary: 'podCIDR 10.99.0.0/24 is outside --cluster-cidr 10.42.0.0/16' });
  });
});

describe('cluster-cidr', () => {
  test('EKS with the VPC CNI: skip, nothing to agree on', () => {
    expect(evaluateCheck(clusterCidr, facts({ node: eks(), pods: [pod('aws-node-7mx2k', 'kube-system', { 'k8s-app': 'aws-node' })] })).status).toBe('skip');
  });
  test('GKE: skip, the managed control plane hides its flags', () => {
    expect(evaluateCheck(clusterCidr, facts({ node: gke('10.8.0.0/24'), pods: [pod('anetd-6xq2p', 'kube-system', { 'k8s-app': 'cilium' })] }))).toMatchObject({
      status: 'skip',
      summary: 'GKE manages the control plane: its --cluster-cidr is hidden, and nothing else here declares the pod network',
    });
  });
  test("k3s: the server's --cluster-cidr from node-args", () => {
    expect(evaluateCheck(clusterCidr, facts({ node: k3s(), pods: [] }))).toMatchObject({ status: 'ok', summary: 'k3s server --cluster-cidr: 10.42.0.0/16' });
  });
});

describe('default-route, by address family', () => {
  const v6Only: HostFacts = {
    routes: [
      { iface: 'eth0', destination: 'fd00::', gateway: '::', mask: '/64', prefix: 64, up: true, family: 6 },
      { iface: 'eth0', destination: '::', gateway: 'fe80::1', mask: '/0', prefix: 0, up: true, family: 6 },
      { iface: 'lo', destination: '::', gateway: '::', mask: '/0', prefix: 0, up: true, family: 6, reject: true },
    ],
    interfaces: { lo: 'unknown', eth0: 'up' },
  };
  test('IPv6-only: the v6 default route is found', () => {
    const r = evaluateCheck(defaultRoute, facts({ node: node({ ip: 'fd00::10' }), host: v6Only }));
    expect(r).toMatchObject({ status: 'ok', summary: 'default via fe80::1 dev eth0' });
    expect(r.evidence[0]).toBe('/proc/net/ipv6_route: default via fe80::1 dev eth0 (up)');
  });
  test('IPv6-only: the link of the InternalIP down is named', () => {
    const r = evaluateCheck(defaultRoute, facts({ node: node({ ip: 'fd00::10' }), host: { ...v6Only, interfaces: { lo: 'unknown', eth0: 'down' } } }));
    expect(r).toMatchObject({ status: 'fail', summary: "eth0, the interface of the node's InternalIP, is down" });
    expect(r.steps?.[0]).toEqual({ on: 'n1', run: "ip link set 'eth0' up" });
  });
  test('only the unreachable ::/0 on lo: no default route', () => {
    const host: HostFacts = { routes: [v6Only.routes![2]], interfaces: { lo: 'unknown', eth0: 'up' } };
    expect(evaluateCheck(defaultRoute, facts({ node: node({ ip: 'fd00::10' }), host })).summary).toBe('no default route, and no interface is down');
  });
  test('dual-stack: both defaults ok; the v6 one missing is a warning', () => {
    const dual = node();
    dual.status!.addresses!.push({ type: 'InternalIP', address: 'fd00::10' });
    const both: HostFacts = { ...healthyHost, routes: [...healthyHost.routes!, ...v6Only.routes!] };
    expect(evaluateCheck(defaultRoute, facts({ node: dual, host: both }))).toMatchObject({ status: 'ok', summary: 'default via 192.168.1.1 dev eth0' });
    const r = evaluateCheck(defaultRoute, facts({ node: dual, host: { ...healthyHost, routes: [...healthyHost.routes!, v6Only.routes![0]] } }));
    expect(r).toMatchObject({ status: 'warn', summary: 'no IPv6 default route (the node has an IPv6 InternalIP; default via 192.168.1.1 dev eth0)' });
  });
  test('a hostile interface name enters the steps quoted', () => {
    const host: HostFacts = { routes: [], interfaces: { "e$(reboot)'x": 'down' }, linkConfig: {} };
    const r = evaluateCheck(defaultRoute, facts({ node: node(), host }));
    expect(r.status).toBe('fail');
    expect(r.steps?.[0]).toEqual({ on: 'n1', run: `ip link set ${shq("e$(reboot)'x")} up` });
    // The prose names no host text that is not a plain word: the name is in the quoted step only.
    expect(r.remedy).not.toContain('reboot');
  });
});
