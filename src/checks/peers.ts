// Can this node reach the peers it probes, over the underlay and over the pod network? The agent
// probes a bounded sample (src/probe/choice.ts); this check judges what this node alone can tell:
// reaching no peer over a path while reaching them over the other points at this node. One
// unreachable peer among reachable ones is that peer's fault, named by the plugin across reports
// (src/probe/blame.ts), so it does not fail here: the page goes to the culprit, not its probers.
import { defineCheck, found, type Outcome, type Series } from '../core/check';
import type { NodeFacts } from '../core/facts';
import type { PeerProbe, ProbePath } from '../core/probes';
import { hostFactRemedy } from '../remedy/agent';
import { shq } from '../remedy/shell';

const PATHS: ProbePath[] = ['underlay', 'pod-network'];
const PATH_WORDS: Record<ProbePath, string> = { underlay: 'underlay', 'pod-network': 'pod network' };

/** Refused: the peer's kernel answered, nothing listens (its agent is down): not a network fault. */
const counts = (r: PeerProbe) => !r.ok && r.error !== 'refused';

const listPeers = (rs: PeerProbe[]) => {
  const names = [...new Set(rs.map((r) => r.peer))];
  return names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ');
};

const OVERLAY_DIAG = (a: { node: string }) =>
  `Every peer answers ${a.node} over the underlay but none over the pod network: the overlay of ${a.node} is broken (a firewall dropping 8472/udp VXLAN, 179/tcp BGP or IP protocol 4 IPIP; VTEP MAC drift; MTU). On ${a.node}:`;

const findings = {
  ok: { status: 'ok', summary: (a: { peers: number; paths: string }) => `all ${a.peers} peers probed reachable over ${a.paths}` },
  othersUnreachable: {
    status: 'ok',
    summary: (a: { unreachable: string; peers: number }) =>
      `unreachable from here: ${a.unreachable}; the other peers of ${a.peers} answer (the culprit is named across reports: kubectl netcheck nodes)`,
  },
  pathDownHere: {
    status: 'fail',
    summary: (a: { path: string; other: string; peers: number; error: string }) => `${a.path} unreachable to all ${a.peers} peers probed (${a.error}); ${a.other} fine`,
    remedy: OVERLAY_DIAG,
    steps: () => [
      {
        on: 'node' as const,
        run: `systemctl is-active firewalld ufw; nft list ruleset | grep -E ${shq('8472|4789|179|ipip|drop')} | head -20; ip -d link show flannel.1; bridge fdb show dev flannel.1 | head`,
      },
    ],
  },
  isolated: {
    status: 'fail',
    summary: (a: { peers: number; error: string }) => `no peer of ${a.peers} probed answers over either path (${a.error})`,
    remedy: (a: { node: string }) => `${a.node} reaches no other node: its underlay is down (see default-route) or a host firewall drops all traffic. On ${a.node}:`,
    steps: () => [{ on: 'node' as const, run: 'ip -br addr; ip route; nft list ruleset | head -40' }],
  },
  agentsSilent: { status: 'unknown', summary: (a: { peers: string }) => `the peers probed (${a.peers}) refuse the agent's port: their agents are not running, so the network cannot be judged` },
  alone: { status: 'skip', summary: () => 'no other Ready, schedulable node to probe' },
  probesOff: { status: 'skip', summary: () => "the agent's probes are off (--probe-interval 0)" },
  notProbed: {
    status: 'unknown',
    summary: (a: { hint?: string; agent?: boolean }) => (a.agent ? 'not probed yet (or the agent runs with --probe-interval 0)' : 'not probed: only the agent on the node probes its peers'),
    remedy: (a: { hint?: string }) => a.hint,
  },
} as const;

export const peers = defineCheck({
  id: 'peers',
  title: 'Peer nodes are reachable over the underlay and the pod network',
  question: 'Are the sampled peer nodes reachable from this node over the underlay (InternalIP) and over the pod network (overlay address)?',
  column: 'PEERS',
  wide: true,
  rank: 92,
  explains: ['cluster-dns'],
  needs: ['peerProbes', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const probes = facts.host?.peerProbes;
    if (facts.host?.probesOff) return found(findings, 'probesOff', {});
    if (!probes) return found(findings, 'notProbed', { hint: hostFactRemedy(facts), agent: !!facts.host });
    if (probes.chosen === 0) return found(findings, 'alone', {}, [`${probes.eligible} eligible node(s) known`]);
    const byPath = Object.fromEntries(PATHS.map((p) => [p, probes.results.filter((r) => r.path === p)])) as Record<ProbePath, PeerProbe[]>;
    const series: Series[] = PATHS.flatMap((path) => {
      const rs = byPath[path];
      const skipped = path === 'pod-network' ? probes.noPodAddress.length : 0;
      return [
        { labels: { path, result: 'ok' }, value: rs.filter((r) => r.ok).length },
        { labels: { path, result: 'fail' }, value: rs.filter(counts).length },
        { labels: { path, result: 'unknown' }, value: rs.filter((r) => r.error === 'refused').length + skipped },
      ];
    });
    const evidence = [
      `${probes.chosen} peers probed of ${probes.eligible - 1} eligible (NotReady, cordoned and autoscaler-deleted nodes are never probed)`,
      ...PATHS.map((p) => {
        const rs = byPath[p];
        const bad = rs.filter((r) => !r.ok);
        return `${PATH_WORDS[p]}: ${rs.length - bad.length}/${rs.length} answer${bad.length ? `; ${bad.map((r) => `${r.peer} ${r.target} ${r.error}`).join(', ')}` : ''}`;
      }),
      ...(probes.noPodAddress.length ? [`pod network not probed to ${listPeers(probes.noPodAddress.map((peer) => ({ peer }) as PeerProbe))}: no overlay address known`] : []),
    ];
    const out = (code: keyof typeof findings, args: object): Outcome => ({ code, args, evidence, series: { netcheck_probe_peers: series } });
    const failing = probes.results.filter(counts);
    const answering = (p: ProbePath) => byPath[p].filter((r) => r.ok || r.error === 'refused').length;
    const judged = (p: ProbePath) => byPath[p].filter((r) => r.error !== 'refused');
    const errorOf = (rs: PeerProbe[]) => [...new Set(rs.map((r) => r.error))].join(', ');
    // Everyone down on every path: this node is cut off (two peers at least, so one dead peer is not "isolation").
    const all = probes.results.filter((r) => r.error !== 'refused');
    if (all.length >= 2 && new Set(all.map((r) => r.peer)).size >= 2 && all.every(counts)) return out('isolated', { node: facts.nodeName, peers: probes.chosen, error: errorOf(all) });
    for (const [path, other] of [
      ['pod-network', 'underlay'],
      ['underlay', 'pod-network'],
    ] as const) {
      const rs = judged(path);
      if (new Set(rs.map((r) => r.peer)).size >= 2 && rs.every(counts) && answering(other) > 0) {
        return out('pathDownHere', { node: facts.nodeName, path: PATH_WORDS[path], other: PATH_WORDS[other], peers: rs.length, error: errorOf(rs) });
      }
    }
    if (failing.length) {
      const unreachable = [...new Set(failing.map((r) => r.peer))]
        .sort()
        .map(
          (peer) =>
            `${peer} over the ${failing
              .filter((r) => r.peer === peer)
              .map((r) => PATH_WORDS[r.path])
              .join(' and ')} (${errorOf(failing.filter((r) => r.peer === peer))})`,
        )
        .join('; ');
      return out('othersUnreachable', { unreachable, peers: probes.chosen });
    }
    const refused = probes.results.filter((r) => r.error === 'refused');
    if (refused.length && refused.length === probes.results.length) return out('agentsSilent', { peers: listPeers(refused) });
    return out('ok', {
      peers: probes.chosen,
      paths:
        PATHS.filter((p) => byPath[p].length)
          .map((p) => `the ${PATH_WORDS[p]}`)
          .join(' and ') || 'no path',
    });
  },
  metrics: [
    { name: 'netcheck_probe_peers', help: 'Peers probed in the last round, by path (underlay, pod-network) and result (ok, fail, unknown: refused or no address)', labels: ['path', 'result'] },
  ],
  alerts: [
    {
      name: 'NetcheckPodNetworkUnreachable',
      severity: 'critical',
      for: 'fast',
      // The node's own agent reaches no peer over one path while the other path works: the page
      // goes to this node (its probers' ok-with-one-unreachable never fails, so never pages).
      expr: (q) => q.status('peers', 'fail'),
      summary: 'A node reaches none of its peers over one network path.',
      description:
        'The host {{ $labels.node }} reaches none of the peers it probes over the pod network (or the underlay) while the other path works: its overlay is broken. kubectl netcheck node {{ $labels.node }} names the path and the host checks that explain it.',
      fires: { 'netcheck_check_status{check="peers",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
