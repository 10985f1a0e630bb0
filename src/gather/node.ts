// Facts for `kubectl netcheck node NAME`: in two rounds of requests. First what every node needs
// (the node, the pods on it, the agent's report); then the cluster's pod-network declarations and
// whichever costly facts (events, the CNI's log, other nodes) a check says it would use, given the
// first round.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { CHECKS } from '../checks';
import { cniAgent } from '../cni/cni';
import { buildFacts, type NodeFacts, wantedFacts } from '../core/facts';
import type { NodeReport } from '../core/model';
import { type KubeClient, KubeError, withQuery } from '../kubeapi/kube-client';
import { type AgentView, agentView, isAgentPod, readNodeReport } from '../report/agents';
import { gatherCluster, readControllerManager } from './cluster';
import { newestSymptom, unlessPredating } from './predates';
import { apiEndpoints, attempt, cniLog, eventsAbout, peerOf, warningEvents } from './shared';

export interface AgentOptions {
  agentNamespace: string;
  useAgent: boolean;
}

export interface GatheredNode {
  facts: NodeFacts;
  /** The agent's report of this node, when it is there and fresh: merged check by check. */
  agent?: NodeReport;
}

export const NO_AGENT: AgentView = { unavailable: 'not read (--no-agent)', remedy: 'Run again without --no-agent to read what the agent on the node sees.' };

/** The facts, told what became of the agent's report. */
export function withAgent(facts: NodeFacts, view: AgentView): GatheredNode {
  if (view.report) facts.agent = view.source;
  else {
    if (view.unavailable) facts.unavailable.agent = view.unavailable;
    if (view.remedy) facts.agentRemedy = view.remedy;
  }
  return { facts, agent: view.report };
}

export async function gatherNode(client: KubeClient, name: string, opts: AgentOptions, now = Date.now()): Promise<GatheredNode> {
  const unavailable: NodeFacts['unavailable'] = {};
  // The agent's report is read with the node: it is the host's view, wherever the agent runs.
  // The cluster's pod-network declarations need only the CNI pod (and the controller-manager's,
  // asked for at once): they are read while the node and its report are.
  const podsRead = attempt(unavailable, 'pods', () => client.get<{ items: V1Pod[] }>(withQuery('/api/v1/pods', { fieldSelector: `spec.nodeName=${name}` })).then((l) => l.items));
  const clusterRead = gatherCluster(
    client,
    unavailable,
    podsRead.then((p) => {
      const cni = cniAgent(p);
      return cni ? [cni.pod] : [];
    }),
    readControllerManager(client, unavailable),
  );
  const [node, pods, report] = await Promise.all([client.find<V1Node>(`/api/v1/nodes/${encodeURIComponent(name)}`), podsRead, opts.useAgent ? readNodeReport(client, name) : undefined]);
  if (!node) throw new KubeError(`node "${name}" not found`, 404);
  const known = buildFacts({ nodeName: name, now, api: { node, pods }, unavailable: [unavailable] });
  const wanted = wantedFacts(CHECKS, known);
  const cni = cniAgent(pods);
  const [cluster, events, log, peers, endpoints] = await Promise.all([
    clusterRead,
    wanted.has('events') ? attempt(unavailable, 'events', () => warningEvents(client)) : undefined,
    wanted.has('cniLogs') && cni ? attempt(unavailable, 'cniLogs', () => cniLog(client, cni.pod)) : undefined,
    wanted.has('peers') ? attempt(unavailable, 'peers', () => client.list<V1Node>('/api/v1/nodes')) : undefined,
    wanted.has('apiEndpoints') ? attempt(unavailable, 'apiEndpoints', () => apiEndpoints(client)) : undefined,
  ]);
  const facts = buildFacts({
    nodeName: name,
    now,
    api: {
      node,
      pods,
      cluster: peers ? { ...cluster, peers: peers.map(peerOf) } : cluster,
      ...(events ? { events: eventsAbout(events.items, name, pods ?? []) } : {}),
      ...(log !== undefined && cni ? { cniLogs: { [`${cni.pod.metadata?.namespace}/${cni.pod.metadata?.name}`]: log } } : {}),
      ...(endpoints ? { apiEndpoints: endpoints } : {}),
    },
    unavailable: [unavailable],
  });
  const agentPod = pods?.find((p) => isAgentPod(p, opts.agentNamespace));
  if (!opts.useAgent) return withAgent(facts, NO_AGENT);
  const view = agentView(name, opts.agentNamespace, report ?? {}, agentPod, now);
  return withAgent(facts, unlessPredating(view, report?.object, name, newestSymptom(node, pods, facts.events)));
}
