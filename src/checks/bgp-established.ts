import { cniAgent, nodeCni } from '../cni/cni';
import { defineCheck, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { cluesOf } from '../kube/clues';
import { cniAddress, containerEnv, internalIP, podReady, podRef } from '../kube/objects';
import { hostFactRemedy } from '../remedy/agent';

/** Per-peer series are capped: a mesh of thousands of peers would otherwise flood Prometheus. */
export const MAX_PEER_SERIES = 256;

/** "10.0.0.66 (node k8smater1's Calico address; its InternalIP is 172.17.73.66)" */
function describePeer(facts: NodeFacts, address: string): string {
  const peers = facts.cluster?.peers;
  if (!peers) return address; // other nodes not listed: no claim about who owns it
  const peer = peers.find((p) => p.cniAddress === address || p.internalIP === address);
  if (!peer) return `${address} (no node has this address)`;
  if (peer.internalIP === address) return `${address} (node ${peer.name})`;
  return `${address} (node ${peer.name}'s Calico address; its InternalIP is ${peer.internalIP ?? 'unknown'})`;
}

const findings = {
  established: { status: 'ok', summary: (a: { established: number; total: number }) => `${a.established}/${a.total} BGP sessions Established` },
  noPeers: { status: 'ok', summary: () => 'no BGP peers configured' },
  inferred: { status: 'ok', summary: () => 'established (inferred: calico-node is Ready, and its readiness requires BGP)' },
  // Calico's readiness fails when any peer is not Established; so does this check, in both views.
  notEstablished: {
    status: 'fail',
    summary: (a: { peers: string; node: string; birdcl: string }) => `BGP not established with ${a.peers}`,
    remedy: (a: { peers: string; node: string; birdcl: string }) =>
      `For each peer that is down, compare the address Calico chose with its InternalIP (see node-address) and check that TCP 179 is open between ${a.node} and it; then look at BIRD: ${a.birdcl}`,
  },
  notCalico: { status: 'skip', summary: (a: { cni: string }) => `no BGP: not a Calico node (${a.cni})` },
  noBgpBackend: { status: 'skip', summary: (a: { backend: string }) => `Calico runs without BGP (CALICO_NETWORKING_BACKEND=${a.backend})` },
  cniUnknown: { status: 'unknown', summary: () => 'could not tell which CNI runs on this node' },
  silent: { status: 'unknown', summary: () => 'calico-node is not Ready and its events name no BGP peer', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const bgpEstablished = defineCheck({
  id: 'bgp-established',
  title: 'BGP sessions are Established',
  question: '(Calico/BIRD) How many BGP sessions are Established out of those configured, and with which peers not?',
  column: 'BGP',
  rank: 70,
  explains: ['cni-ready'],
  needs: ['pods', 'events', 'bgpSessions', 'peers', 'agent'],
  fetchWhen: {
    // Other nodes are listed only to name the owner of each peer address Calico cannot reach.
    peers: (f) => cniAgent(f.pods)?.kind === 'calico' && !podReady(cniAgent(f.pods)!.pod),
    events: (f) => cniAgent(f.pods)?.kind === 'calico' && !podReady(cniAgent(f.pods)!.pod),
  },
  seenBest: 'host',
  findings,
  evaluate(facts) {
    const cni = nodeCni(facts);
    if (cni.kind && cni.kind !== 'calico') return found(findings, 'notCalico', { cni: cni.agent?.name ?? cni.row?.name ?? cni.kind });
    if (!cni.kind) return found(findings, 'cniUnknown', {}, unavailableEvidence(facts, ['pods']));
    const backend = containerEnv(cni.agent?.pod, 'CALICO_NETWORKING_BACKEND');
    if (backend && backend !== 'bird') return found(findings, 'noBgpBackend', { backend });
    const node = facts.nodeName;
    const own = new Set([internalIP(facts.node), cniAddress(facts.node)?.address].filter(Boolean));
    const pod = cni.agent?.pod;
    const birdcl = pod
      ? `kubectl -n ${pod.metadata?.namespace} exec ${pod.metadata?.name} -- birdcl -s /var/run/calico/bird.ctl show protocols all`
      : `kubectl get pods -A -l k8s-app=calico-node --field-selector spec.nodeName=${node} (then: kubectl exec into it -- birdcl -s /var/run/calico/bird.ctl show protocols all)`;

    const sessions = facts.host?.bgpSessions;
    if (sessions) {
      const established = sessions.filter((s) => s.state === 'Established');
      const down = sessions.filter((s) => s.state !== 'Established');
      const evidence = [
        `BIRD (${facts.agent ?? 'host'}): ${established.length} of ${sessions.length} BGP sessions Established`,
        ...down.map((s) => `${s.name}${s.neighbor ? ` ${describePeer(facts, s.neighbor)}` : ''} is ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`),
      ];
      const measures = { established: established.length, configured: sessions.length };
      const series = {
        netcheck_bgp_peer_up: [...sessions]
          .sort((a, b) => (a.neighbor ?? a.name).localeCompare(b.neighbor ?? b.name))
          .slice(0, MAX_PEER_SERIES)
          .map((s) => ({ labels: { peer: s.neighbor ?? '', protocol: s.name, state: s.state }, value: s.state === 'Established' ? 1 : 0 })),
      };
      if (sessions.length === 0) return { ...found(findings, 'noPeers', {}, evidence, measures), series };
      if (down.length === 0) return { ...found(findings, 'established', { established: established.length, total: sessions.length }, evidence, measures), series };
      const peers = down.map((s) => s.neighbor ?? s.name).filter((p) => !own.has(p));
      return { ...found(findings, 'notEstablished', { peers: peers.map((p) => describePeer(facts, p)).join(', '), node, birdcl }, evidence, measures), series };
    }
    const clues = cluesOf(facts);
    if (clues.bgpNotEstablished) {
      const peers = clues.bgpNotEstablished.filter((p) => !own.has(p));
      return found(findings, 'notEstablished', { peers: peers.map((p) => describePeer(facts, p)).join(', '), node, birdcl }, [clues.evidence.bgpNotEstablished!]);
    }
    if (pod && podReady(pod)) return found(findings, 'inferred', {}, [`${podRef(pod)} is Ready`]);
    return found(findings, 'silent', { hint: hostFactRemedy(facts) }, unavailableEvidence(facts, ['bgpSessions', 'events']));
  },
  metrics: [
    { name: 'netcheck_bgp_sessions_established', help: 'BGP sessions in state Established, from BIRD', measure: 'established' },
    { name: 'netcheck_bgp_sessions', help: 'BGP sessions configured in BIRD', measure: 'configured' },
    {
      name: 'netcheck_bgp_peer_up',
      help: `1 when the BGP session with this peer is Established, 0 when not; labels peer (address), protocol (BIRD's name, e.g. Mesh_10_0_0_66), state (BIRD's BGP state); at most ${MAX_PEER_SERIES} peers`,
      labels: ['peer', 'protocol', 'state'],
    },
  ],
  alerts: [
    {
      name: 'NetcheckBGPSessionsDown',
      severity: 'warning',
      for: 'slow',
      // Both series come from the same agent: matched on all their labels, the cluster label kept.
      expr: (q) => `${q.sel('netcheck_bgp_sessions_established')} < ${q.sel('netcheck_bgp_sessions')} and ${q.sel('netcheck_bgp_sessions_established')} > 0`,
      summary: 'Some BGP sessions are not Established.',
      description: "Only {{ $value }} of the BGP sessions on node {{ $labels.node }} are Established; routes to the other peers' pods are missing.",
      fires: { netcheck_bgp_sessions_established: 2, netcheck_bgp_sessions: 3 },
      coversFailure: true,
    },
    {
      name: 'NetcheckBGPNoSessionEstablished',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_bgp_sessions_established')} == 0 and ${q.sel('netcheck_bgp_sessions')} > 0`,
      summary: 'No BGP session is Established.',
      description: 'None of the BGP sessions on node {{ $labels.node }} is Established: its pods are cut off from every other node.',
      fires: { netcheck_bgp_sessions_established: 0, netcheck_bgp_sessions: 3 },
      coversFailure: true,
    },
  ],
});
