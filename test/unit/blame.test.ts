// Blame across reports (src/probe/blame.ts): the node its probers cannot reach while they reach
// others is the culprit, in its own row; probers, stopped agents and lone failures are not.
import type { NodeReport } from '../../src/core/model';
import type { PeerProbe } from '../../src/core/probes';
import { assemble } from '../../src/engine';
import { judge, withBlame } from '../../src/probe/blame';

const probe = (peer: string, path: PeerProbe['path'], ok: boolean, error?: PeerProbe['error']): PeerProbe => ({ peer, path, target: `${peer}:9742`, ok, ...(error ? { error } : {}) });
const report = (node: string, probes: PeerProbe[], peersStatus: 'ok' | 'fail' = 'ok'): NodeReport => ({
  ...assemble(node, [
    { id: 'cni-ready', status: node === 'n3' ? 'fail' : 'ok', summary: node === 'n3' ? 'kube-flannel/kube-flannel-ds-x2x9v is CrashLoopBackOff' : 'flannel Ready', evidence: [] },
    { id: 'peers', status: peersStatus, summary: 'as the agent saw it', evidence: [] },
  ]),
  probes,
});
const all = ['n1', 'n2', 'n3', 'n4'];
const meshExcept = (self: string, bad: (peer: string, path: PeerProbe['path']) => PeerProbe['error'] | undefined) =>
  all.filter((p) => p !== self).flatMap((p) => (['underlay', 'pod-network'] as const).map((path) => (bad(p, path) ? probe(p, path, false, bad(p, path)) : probe(p, path, true))));

test('a node unreachable over the pod network from every prober, underlay fine: named in its own row, with what explains it', () => {
  const reports = all.map((n) =>
    report(
      n,
      meshExcept(n, (p, path) => (path === 'pod-network' && (p === 'n3' || n === 'n3') ? 'timeout' : undefined)),
      n === 'n3' ? 'fail' : 'ok',
    ),
  );
  const out = withBlame(reports, reports, assemble);
  const n3 = out.find((r) => r.node === 'n3')!.checks.find((c) => c.id === 'peers')!;
  expect(n3.status).toBe('fail');
  expect(n3.summary).toBe('pod network unreachable from n1, n2, n4; underlay fine');
  expect(n3.evidence).toContain('explained on n3 by cni-ready: kube-flannel/kube-flannel-ds-x2x9v is CrashLoopBackOff');
  for (const n of ['n1', 'n2', 'n4']) expect(out.find((r) => r.node === n)!.checks.find((c) => c.id === 'peers')!.status).toBe('ok');
  expect([...judge(reports).keys()]).toEqual(['n3']);
});

test('a stopped agent (refused) is not a culprit; neither is a node only one prober misses', () => {
  const refused = all.map((n) =>
    report(
      n,
      meshExcept(n, (p) => (p === 'n4' ? 'refused' : undefined)),
    ),
  );
  expect(judge(refused).size).toBe(0);
  const lone = all.map((n) =>
    report(
      n,
      meshExcept(n, (p, path) => (n === 'n1' && p === 'n2' && path === 'pod-network' ? 'timeout' : undefined)),
    ),
  );
  expect(judge(lone).size).toBe(0);
});

test('a prober that reaches nobody over the path does not count against the target', () => {
  // n1's own overlay is dead: it misses everyone, so its miss of n2 is no evidence against n2.
  const reports = all.map((n) =>
    report(
      n,
      meshExcept(n, (p, path) => (path === 'pod-network' && (n === 'n1' || p === 'n1') ? 'timeout' : undefined)),
    ),
  );
  expect([...judge(reports).keys()]).toEqual(['n1']);
});
