import { type Check, hostFactRemedy, unavailableEvidence } from '../check';
import { cluesOf } from '../clues';
import { nodeCni } from '../cni';
import type { NodeFacts } from '../facts';
import { cniAddress, containerEnv, internalIP, podReady, podRef } from '../kube-objects';
import { finding, measured } from '../model';

/** "10.0.0.66 (k8smater1's Calico address; its InternalIP is 172.17.73.66)" */
function describePeer(facts: NodeFacts, address: string): string {
  const peer = facts.cluster?.peers?.find((p) => p.cniAddress === address || p.internalIP === address);
  if (!peer) return `${address} (no node has this address)`;
  if (peer.internalIP === address) return `${address} (node ${peer.name})`;
  return `${address} (node ${peer.name}'s Calico address; its InternalIP is ${peer.internalIP ?? 'unknown'})`;
}

export const bgpEstablished: Check = {
  id: 'bgp-established',
  title: 'BGP sessions are Established',
  needs: ['pods', 'events', 'bgpSessions', 'peers', 'agent'],
  seenBest: 'host',
  evaluate(facts) {
    const cni = nodeCni(facts);
    if (cni.kind && cni.kind !== 'calico') return finding.skip(`no BGP: not a Calico node (${cni.agent?.name ?? cni.kind})`);
    if (!cni.kind) return finding.unknown('could not tell which CNI runs on this node', unavailableEvidence(facts, ['pods']));
    const backend = containerEnv(cni.agent?.pod, 'CALICO_NETWORKING_BACKEND');
    if (backend && backend !== 'bird') return finding.skip(`Calico runs without BGP (CALICO_NETWORKING_BACKEND=${backend})`);
    const ownName = (address: string) => (address === internalIP(facts.node) || address === cniAddress(facts.node)?.address ? facts.nodeName : undefined);
    const remedy =
      'For each peer that is down, compare the node address Calico chose with its InternalIP (see node-address); ' +
      'check that TCP 179 is open between the nodes; then birdcl -s /var/run/calico/bird.ctl show protocols in the calico-node pod.';

    const sessions = facts.host?.bgpSessions;
    if (sessions) {
      const established = sessions.filter((s) => s.state === 'Established');
      const down = sessions.filter((s) => s.state !== 'Established');
      const evidence = [
        `BIRD (${facts.agent ?? 'host'}): ${established.length} of ${sessions.length} BGP sessions Established`,
        ...down.map((s) => `${s.name} ${s.neighbor ? describePeer(facts, s.neighbor) : ''} is ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`),
      ];
      const counts = { established: established.length, configured: sessions.length };
      if (sessions.length === 0) return measured(finding.ok('no BGP peers configured', evidence), counts);
      if (down.length === 0) return measured(finding.ok(`${established.length}/${sessions.length} BGP sessions Established`, evidence), counts);
      const peers = down.map((s) => s.neighbor ?? s.name).filter((p) => !ownName(p));
      const summary = `${established.length}/${sessions.length} BGP sessions Established; not with ${peers.join(', ')}`;
      return measured(established.length === 0 ? finding.fail(summary, evidence, remedy) : finding.warn(summary, evidence, remedy), counts);
    }
    const clues = cluesOf(facts);
    if (clues.bgpNotEstablished) {
      const peers = clues.bgpNotEstablished.map((a) => describePeer(facts, a));
      return finding.fail(`BGP not established with ${peers.join(', ')}`, [clues.evidence.bgpNotEstablished!], remedy);
    }
    if (cni.agent && podReady(cni.agent.pod)) {
      return finding.ok('established (inferred: calico-node is Ready, and its readiness requires BGP)', [`${podRef(cni.agent.pod)} is Ready`]);
    }
    return finding.unknown('calico-node is not Ready and its events name no BGP peer', unavailableEvidence(facts, ['bgpSessions', 'events']), hostFactRemedy(facts));
  },
};
