// The probe checks on what the agent's probes found (shapes as exporter/probe.ts measures them).
import { apiService } from '../../src/checks/api-service';
import { clusterDns } from '../../src/checks/cluster-dns';
import { peers } from '../../src/checks/peers';
import type { PeerProbe } from '../../src/core/probes';
import { evaluateCheck, evaluateNode } from '../../src/engine';
import { facts, healthyHost, node } from '../helpers/objects';

const peer = (name: string, i: number, under: Partial<PeerProbe> = {}, pod: Partial<PeerProbe> = {}): PeerProbe[] => [
  { peer: name, path: 'underlay', target: `192.168.33.1${i}:9742`, ok: true, ...under },
  { peer: name, path: 'pod-network', target: `10.244.${i}.0:9742`, ok: true, ...pod },
];
const withPeers = (results: PeerProbe[]) => facts({ node: node(), host: { ...healthyHost, peerProbes: { chosen: new Set(results.map((r) => r.peer)).size, eligible: 4, noPodAddress: [], results } } });

describe('api-service', () => {
  test('the Service answers: ok, with the way the agent got through first', () => {
    const r = evaluateCheck(apiService, facts({ node: node(), host: healthyHost }));
    expect(r.status).toBe('ok');
    expect(r.evidence[0]).toBe('the agent reaches the API through the kubernetes Service 10.96.0.1:443');
    expect(r.measures).toEqual({ reachable: 1 });
  });
  test('the VIP times out and the API server answers directly: fail, naming both', () => {
    const host = {
      ...healthyHost,
      apiService: {
        service: { target: '10.96.0.1:443', ok: false, error: 'timeout' as const },
        direct: [{ target: '192.168.33.10:6443', ok: true }],
        directSource: 'kubernetes EndpointSlice',
        agentVia: 'directly at 192.168.33.10:6443 (kubernetes EndpointSlice): the Service failed',
      },
    };
    const r = evaluateCheck(apiService, facts({ node: node(), host }));
    expect(r.status).toBe('fail');
    expect(r.summary).toBe('the host cannot reach the kubernetes Service 10.96.0.1:443 (timeout); the API server answers at 192.168.33.10:6443');
    expect(r.evidence[0]).toMatch(/^the agent reaches the API directly at 192.168.33.10:6443/);
    expect(r.steps?.[0].run).toContain("nc -vz -w 3 '10.96.0.1' '443'");
  });
  test('nothing answers: fail saying neither', () => {
    const host = {
      ...healthyHost,
      apiService: { service: { target: '10.96.0.1:443', ok: false, error: 'unreachable' as const }, direct: [{ target: '192.168.33.10:6443', ok: false, error: 'timeout' as const }] },
    };
    expect(evaluateCheck(apiService, facts({ node: node(), host })).summary).toBe(
      'the host reaches neither the kubernetes Service 10.96.0.1:443 (unreachable) nor the API server at 192.168.33.10:6443',
    );
  });
  test('without the agent: unknown, never fail', () => {
    expect(evaluateCheck(apiService, facts({ node: node() })).status).toBe('unknown');
  });
});

describe('cluster-dns', () => {
  test('an answer: ok; a timeout: fail; no clusterDNS: skip', () => {
    expect(evaluateCheck(clusterDns, facts({ node: node(), host: healthyHost })).status).toBe('ok');
    const silent = { ...healthyHost.clusterDns!, result: { target: '10.96.0.10:53', ok: false, error: 'timeout' as const } };
    const r = evaluateCheck(clusterDns, facts({ node: node(), host: { ...healthyHost, clusterDns: silent } }));
    expect(r.status).toBe('fail');
    expect(r.summary).toBe('the cluster DNS Service 10.96.0.10 does not answer from the host (timeout)');
    expect(evaluateCheck(clusterDns, facts({ node: node(), host: { ...healthyHost, clusterDns: null } })).status).toBe('skip');
  });
  test('NXDOMAIN for kubernetes.default: fail with the rcode', () => {
    const nx = { ...healthyHost.clusterDns!, rcode: 'NXDOMAIN', answer: undefined };
    expect(evaluateCheck(clusterDns, facts({ node: node(), host: { ...healthyHost, clusterDns: nx } })).summary).toMatch(/with NXDOMAIN$/);
  });
});

describe('peers', () => {
  test('one peer unreachable over the pod network while the others answer: not this node’s fault (ok, named)', () => {
    const r = evaluateCheck(peers, withPeers([...peer('n2', 2), ...peer('n3', 3, {}, { ok: false, error: 'timeout' }), ...peer('n4', 4)]));
    expect(r.status).toBe('ok');
    expect(r.summary).toMatch(/^unreachable from here: n3 over the pod network \(timeout\)/);
  });
  test('no peer over the pod network while the underlay answers: this node fails', () => {
    const down = { ok: false, error: 'timeout' as const };
    const r = evaluateCheck(peers, withPeers([...peer('n1', 1, {}, down), ...peer('n2', 2, {}, down), ...peer('n4', 4, {}, down)]));
    expect(r.status).toBe('fail');
    expect(r.summary).toBe('pod network unreachable to all 3 peers probed (timeout); underlay fine');
  });
  test('a stopped agent (refused on both paths) is not a network fault', () => {
    const refused = { ok: false, error: 'refused' as const };
    const r = evaluateCheck(peers, withPeers([...peer('n2', 2), ...peer('n4', 4, refused, refused)]));
    expect(r.status).toBe('ok');
  });
  test('the series are per node (path × result), never per peer', () => {
    const { report } = { report: evaluateNode(withPeers([...peer('n2', 2), ...peer('n3', 3, {}, { ok: false, error: 'timeout' })])) };
    expect(report.checks.find((c) => c.id === 'peers')?.status).toBe('ok');
    const outcome = peers.evaluate(withPeers([...peer('n2', 2), ...peer('n3', 3, {}, { ok: false, error: 'timeout' })]));
    expect(outcome.series?.netcheck_probe_peers).toEqual([
      { labels: { path: 'underlay', result: 'ok' }, value: 2 },
      { labels: { path: 'underlay', result: 'fail' }, value: 0 },
      { labels: { path: 'underlay', result: 'unknown' }, value: 0 },
      { labels: { path: 'pod-network', result: 'ok' }, value: 1 },
      { labels: { path: 'pod-network', result: 'fail' }, value: 1 },
      { labels: { path: 'pod-network', result: 'unknown' }, value: 0 },
    ]);
  });
});
