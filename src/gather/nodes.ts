// Facts for `kubectl netcheck nodes`: every node (paged), the CNI pods by label and the agents'
// pods and reports in one list each, never a list of all pods; events once and CNI logs per node
// only where a check says it would use them.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { CHECKS } from '../checks';
import { CNI_POD_SELECTORS, cniAgent } from '../cni/cni';
import { buildFacts, type NodeFacts, wantedFacts } from '../core/facts';
import type { KubeClient } from '../kubeapi/kube-client';
import { AGENT_LABEL, agentView, readNodeReports } from '../report/agents';
import { gatherCluster, readControllerManager } from './cluster';
import { type AgentOptions, type GatheredNode, NO_AGENT, withAgent } from './node';
import { newestSymptom, unlessPredating } from './predates';
import { apiEndpoints, attempt, cniLog, eventsAbout, mapLimit, peerOf, warningEvents } from './shared';

export async function gatherNodes(client: KubeClient, selector: string | undefined, opts: AgentOptions, now = Date.now()): Promise<GatheredNode[]> {
  const unavailable: NodeFacts['unavailable'] = {};
  const cniPodsListed = Promise.all(CNI_POD_SELECTORS.map((s) => attempt(unavailable, 'pods', () => client.list<V1Pod>('/api/v1/pods', { labelSelector: s }))));
  // The cluster's pod-network declarations need only the CNI pods: read them while nodes are listed.
  const clusterRead = gatherCluster(
    client,
    unavailable,
    cniPodsListed.then((lists) => lists.flatMap((l) => l ?? [])),
    readControllerManager(client, unavailable),
  );
  const [nodes, cniPodLists, agentPods, reports] = await Promise.all([
    client.list<V1Node>('/api/v1/nodes', { labelSelector: selector }),
    cniPodsListed,
    opts.useAgent ? attempt(unavailable, 'agent', () => client.list<V1Pod>(`/api/v1/namespaces/${opts.agentNamespace}/pods`, { labelSelector: AGENT_LABEL })) : undefined,
    opts.useAgent ? readNodeReports(client) : undefined,
  ]);
  const cniPods = cniPodLists.flatMap((l) => l ?? []);
  const podsByNode = new Map<string, V1Pod[]>();
  for (const pod of cniPods) {
    const node = pod.spec?.nodeName;
    if (node) podsByNode.set(node, [...(podsByNode.get(node) ?? []), pod]);
  }
  const agentByNode = new Map((agentPods ?? []).map((p) => [p.spec?.nodeName ?? '', p]));
  // Every node is a peer of every other: the list is here anyway.
  const peers = nodes.map(peerOf);
  const known = nodes.map((node) => buildFacts({ nodeName: node.metadata!.name!, now, api: { node, pods: podsByNode.get(node.metadata!.name!) ?? [] }, unavailable: [unavailable] }));
  const wanted = known.map((f) => wantedFacts(CHECKS, f));
  const logPods = known.flatMap((f, i) => (wanted[i].has('cniLogs') && cniAgent(f.pods) ? [cniAgent(f.pods)!.pod] : []));
  const [cluster, events, logs, endpoints] = await Promise.all([
    clusterRead,
    wanted.some((w) => w.has('events')) ? attempt(unavailable, 'events', () => warningEvents(client)) : undefined,
    mapLimit(logPods, 8, (pod) => attempt(unavailable, 'cniLogs', () => cniLog(client, pod))),
    wanted.some((w) => w.has('apiEndpoints')) ? attempt(unavailable, 'apiEndpoints', () => apiEndpoints(client)) : undefined,
  ]);
  const logByNode = new Map(logPods.map((p, i) => [p.spec!.nodeName!, { key: `${p.metadata?.namespace}/${p.metadata?.name}`, text: logs[i] }]));
  return nodes.map((node, i) => {
    const name = node.metadata!.name!;
    const pods = podsByNode.get(name) ?? [];
    const log = logByNode.get(name);
    const facts = buildFacts({
      nodeName: name,
      now,
      api: {
        node,
        pods,
        cluster: { ...cluster, peers },
        ...(events && wanted[i].has('events') ? { events: eventsAbout(events.items, name, pods) } : {}),
        ...(log?.text !== undefined ? { cniLogs: { [log.key]: log.text } } : {}),
        ...(endpoints && wanted[i].has('apiEndpoints') ? { apiEndpoints: endpoints } : {}),
      },
      unavailable: [unavailable],
    });
    if (!opts.useAgent) return withAgent(facts, NO_AGENT);
    const found = reports?.error ? { error: reports.error } : { object: reports?.byNode.get(name) };
    const view = agentView(name, opts.agentNamespace, found, agentByNode.get(name), now);
    return withAgent(facts, unlessPredating(view, found.object, name, newestSymptom(node, pods, facts.events)));
  });
}
