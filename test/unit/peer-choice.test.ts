// Peer choice at scale (src/probe/choice.ts): the guarantees the probe design rests on, checked on
// 5,000 simulated nodes and on random clusters.
import fc from 'fast-check';
import { type Candidate, choosePeers, EXTRA, probersOf, ring } from '../../src/probe/choice';
import { peerTarget, podNetworkAddress } from '../../src/probe/targets';

const K = 5;
const cluster = (n: number, ineligible = new Set<number>()): Candidate[] => Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, eligible: !ineligible.has(i) }));

function graph(candidates: Candidate[], k = K): Map<string, string[]> {
  const built = ring(candidates);
  return new Map(candidates.map((c) => [c.name, choosePeers(c.name, candidates, k, built)]));
}

function inDegrees(g: Map<string, string[]>): Map<string, number> {
  const d = new Map<string, number>();
  for (const targets of g.values()) for (const t of targets) d.set(t, (d.get(t) ?? 0) + 1);
  return d;
}

describe('on 5,000 nodes', () => {
  const nodes = cluster(5000, new Set([7, 99, 1234, 4321])); // four NotReady / cordoned / autoscaler-deleted
  const g = graph(nodes);
  const deg = inDegrees(g);

  test('every eligible node is probed by at least k others, and ineligible nodes by nobody', () => {
    for (const c of nodes) {
      if (c.eligible) expect(deg.get(c.name) ?? 0).toBeGreaterThanOrEqual(K);
      else expect(deg.get(c.name) ?? 0).toBe(0);
    }
  });

  test('each node probes at most k + EXTRA peers, never itself', () => {
    for (const [self, targets] of g) {
      expect(targets.length).toBeLessThanOrEqual(K + EXTRA);
      expect(targets.length).toBe(K + EXTRA);
      expect(targets).not.toContain(self);
      expect(new Set(targets).size).toBe(targets.length);
    }
  });

  test('no node is probed by many more than the average (the rendezvous extras spread)', () => {
    const max = Math.max(...deg.values());
    expect(max).toBeLessThanOrEqual(K + 4 * EXTRA + 4);
  });

  test('one node joining or leaving changes few choices', () => {
    const joined = graph([...nodes, { name: 'node-new', eligible: true }]);
    const left = graph(nodes.filter((c) => c.name !== 'node-2500'));
    const changed = (a: Map<string, string[]>, b: Map<string, string[]>) => {
      let n = 0;
      for (const [self, targets] of a) {
        const other = b.get(self);
        if (!other) continue;
        const before = new Set(other);
        n += targets.filter((t) => !before.has(t)).length;
      }
      return n;
    };
    // The ring moves k choices by one; the extras move where the newcomer ranks in a top EXTRA.
    expect(changed(joined, g)).toBeLessThanOrEqual(K + 4 * EXTRA + 4);
    expect(changed(left, g)).toBeLessThanOrEqual(K + 4 * EXTRA + 4);
  });

  test('probersOf names exactly the nodes that choose the target', () => {
    const target = 'node-42';
    const expected = [...g].filter(([, ts]) => ts.includes(target)).map(([n]) => n);
    expect(probersOf(target, nodes, K).sort()).toEqual(expected.sort());
  });
});

test('on any cluster: in-degree ≥ min(k, eligible - 1), out-degree ≤ k + EXTRA', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 119 }), { maxLength: 20 }), (n, k, bad) => {
      const nodes = cluster(n, new Set(bad));
      const g = graph(nodes, k);
      const deg = inDegrees(g);
      const eligible = nodes.filter((c) => c.eligible).length;
      for (const c of nodes) {
        const targets = g.get(c.name)!;
        if (targets.length > k + EXTRA || targets.includes(c.name)) return false;
        if (targets.some((t) => !nodes.find((x) => x.name === t)?.eligible)) return false;
        if (c.eligible && (deg.get(c.name) ?? 0) < Math.min(k, eligible - 1)) return false;
      }
      return true;
    }),
    { numRuns: 200 },
  );
});

describe('pod-network addresses, from what each CNI writes on the Node', () => {
  const node = (annotations: Record<string, string>, podCIDR = '10.244.3.0/24') => ({
    metadata: { name: 'n3', annotations },
    spec: { podCIDR },
    status: { addresses: [{ type: 'InternalIP', address: '192.168.33.13' }], conditions: [{ type: 'Ready', status: 'True' }] },
  });
  // flannel's annotations as `kubectl get node -o yaml` shows them on a VXLAN cluster
  // (flannel-io/flannel Documentation/kubernetes.md; backend-data {"VNI":1,"VtepMAC":...}).
  test('flannel VXLAN: flannel.1 holds the podCIDR network address', () => {
    const n = node({
      'flannel.alpha.coreos.com/backend-type': 'vxlan',
      'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"7a:4f:2d:1c:9e:01"}',
      'flannel.alpha.coreos.com/public-ip': '192.168.33.13',
    });
    expect(podNetworkAddress(n)).toEqual({ address: '10.244.3.0', source: 'flannel.1 (vxlan, podCIDR 10.244.3.0/24)' });
  });
  test('flannel host-gw: the bridge cni0 holds the first address', () => {
    expect(podNetworkAddress(node({ 'flannel.alpha.coreos.com/backend-type': 'host-gw' })).address).toBe('10.244.3.1');
  });
  test('Calico IPIP and VXLAN tunnel addresses, Cilium cilium_host', () => {
    expect(podNetworkAddress(node({ 'projectcalico.org/IPv4IPIPTunnelAddr': '192.168.84.128' })).address).toBe('192.168.84.128');
    expect(podNetworkAddress(node({ 'projectcalico.org/IPv4VXLANTunnelAddr': '192.168.84.129' })).address).toBe('192.168.84.129');
    expect(podNetworkAddress(node({ 'network.cilium.io/ipv4-cilium-host': '10.0.1.183' })).address).toBe('10.0.1.183');
  });
  test('no overlay annotation, or a value that is not an address: the path is not probed', () => {
    expect(podNetworkAddress(node({})).address).toBeUndefined();
    expect(podNetworkAddress(node({ 'network.cilium.io/ipv4-cilium-host': '10.0.1.183; rm -rf /' })).address).toBeUndefined();
  });
  test('NotReady, cordoned and autoscaler-deleted nodes are not eligible', () => {
    const base = node({});
    expect(peerTarget(base as never).eligible).toBe(true);
    expect(peerTarget({ ...base, spec: { ...base.spec, unschedulable: true } } as never).ineligible).toBe('cordoned');
    expect(peerTarget({ ...base, spec: { ...base.spec, taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1700000000', effect: 'NoSchedule' }] } } as never).ineligible).toMatch(/autoscaler/);
    expect(peerTarget({ ...base, status: { ...base.status, conditions: [{ type: 'Ready', status: 'Unknown' }] } } as never).ineligible).toBe('not Ready');
  });
});
