import type { CoreV1Event, V1ConfigMap, V1Node, V1Pod } from '@kubernetes/client-node';
import { cniAgent, CNI_POD_SELECTORS, cniAddress, containerArgv, containerEnv, internalIP, nodeCondition, podCIDRs, podReady } from '../kube-objects';
import type { ClusterFacts, FactKey, NodeFacts, PeerNode } from '../facts';
import type { NodeReport } from '../model';
import { parseCommandFlags } from '../parsers/command-flags';
import { parseFlannelNetConf } from '../parsers/flannel-net-conf';
import { parseKubeadmClusterConfiguration } from '../parsers/kubeadm-config';
import { type KubeClient, KubeError, withQuery } from './kube-client';
import { AGENT_LABEL, type AgentView, agentView, isAgentPod, readNodeReport, readNodeReports } from './reports';

const LOG_TAIL_LINES = 40;

/** Runs a fact read; a refusal or failure is recorded as the reason that fact is unavailable. */
async function attempt<T>(unavailable: NodeFacts['unavailable'], key: FactKey, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    unavailable[key] = (e as Error).message;
    return undefined;
  }
}

function peerOf(node: V1Node): PeerNode {
  return { name: node.metadata!.name!, internalIP: internalIP(node), podCIDRs: podCIDRs(node), cniAddress: cniAddress(node)?.address };
}

/** The configMap a flannel pod mounts its net-conf.json from: the one it really uses. */
function flannelConfigMapPath(pod: V1Pod): string | undefined {
  const cm = pod.spec?.volumes?.map((v) => v.configMap?.name).find((n) => n && /flannel/.test(n));
  return cm ? `/api/v1/namespaces/${pod.metadata?.namespace}/configmaps/${cm}` : undefined;
}

/**
 * Cluster-wide declarations of the pod network. The controller-manager's flags are the truth;
 * kubeadm-config is read only when no controller-manager pod is visible (e.g. it runs outside
 * kube-system), since kubeadm writes its podSubnet into those very flags.
 */
export async function gatherCluster(client: KubeClient, unavailable: NodeFacts['unavailable'], cniPods: V1Pod[]): Promise<ClusterFacts> {
  const cluster: ClusterFacts = {};
  const flannelPod = cniPods.find((p) => cniAgent([p])?.kind === 'flannel');
  const calicoPod = cniPods.find((p) => cniAgent([p])?.kind === 'calico');
  const flannelCm = flannelPod && flannelConfigMapPath(flannelPod);
  const [kcmPods, netConf] = await Promise.all([
    attempt(unavailable, 'controllerManager', () => client.get<{ items: V1Pod[] }>(withQuery('/api/v1/namespaces/kube-system/pods', { labelSelector: 'component=kube-controller-manager', limit: '1' }))),
    flannelCm ? attempt(unavailable, 'flannel', () => client.find<V1ConfigMap>(flannelCm)) : undefined,
  ]);
  const kcm = kcmPods?.items[0];
  if (kcm) {
    cluster.controllerManager = { flags: Object.fromEntries(parseCommandFlags(containerArgv(kcm))), source: `pod kube-system/${kcm.metadata?.name}` };
  } else if (kcmPods) {
    unavailable.controllerManager = 'no kube-controller-manager pod in kube-system (managed control plane?)';
  }
  if (!kcm) {
    const cm = await attempt(unavailable, 'kubeadm', () => client.find<V1ConfigMap>('/api/v1/namespaces/kube-system/configmaps/kubeadm-config'));
    const text = cm?.data?.ClusterConfiguration;
    if (text) {
      await attempt(unavailable, 'kubeadm', async () => {
        cluster.kubeadm = { podSubnet: parseKubeadmClusterConfiguration(text).podSubnet, source: 'configmap kube-system/kubeadm-config' };
      });
    }
  }
  const netConfText = netConf?.data?.['net-conf.json'];
  if (netConfText) {
    await attempt(unavailable, 'flannel', async () => {
      cluster.flannel = { network: parseFlannelNetConf(netConfText).network, source: `configmap ${netConf!.metadata?.namespace}/${netConf!.metadata?.name}` };
    });
  }
  const pool = containerEnv(calicoPod, 'CALICO_IPV4POOL_CIDR');
  if (pool) cluster.calicoPool = { cidr: pool, source: `env of pod ${calicoPod!.metadata?.namespace}/${calicoPod!.metadata?.name}` };
  return cluster;
}

/** The tail of a CNI pod's log; the previous container's when it is crash-looping, since that one says why. */
async function cniLog(client: KubeClient, pod: V1Pod): Promise<string> {
  const crashed = pod.status?.containerStatuses?.some((s) => (s.restartCount ?? 0) > 0 && !s.state?.running);
  const path = withQuery(`/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/log`, {
    tailLines: String(LOG_TAIL_LINES),
    previous: crashed ? 'true' : undefined,
  });
  return client.getText(path, 'text/plain');
}

function eventsAbout(events: CoreV1Event[], nodeName: string, pods: V1Pod[]): CoreV1Event[] {
  const podKeys = new Set(pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
  return events.filter((e) => {
    const about = e.involvedObject;
    if (about?.kind === 'Node') return about.name === nodeName;
    return e.source?.host === nodeName || podKeys.has(`${about?.namespace}/${about?.name}`);
  });
}

export interface AgentOptions {
  agentNamespace: string;
  useAgent: boolean;
}

export interface GatheredNode {
  facts: NodeFacts;
  /** The agent's report of this node, when it is there and fresh: merged check by check. */
  agent?: NodeReport;
}

const NO_AGENT: AgentView = { unavailable: 'not read (--no-agent)', remedy: 'Run again without --no-agent to read what the agent on the node sees.' };

/** The facts, told what became of the agent's report. */
function withAgent(facts: NodeFacts, view: AgentView): GatheredNode {
  if (view.report) facts.agent = view.source;
  else {
    facts.unavailable.agent = view.unavailable;
    facts.agentRemedy = view.remedy;
  }
  return { facts, agent: view.report };
}

/**
 * Facts for one node in as few requests as the node's state allows: the node, its pods, the
 * controller-manager's flags and the CNI's own config; events and the CNI log only when something
 * on the node is not Ready; other nodes only when this one's podCIDR or address needs comparing.
 */
export async function gatherNode(client: KubeClient, name: string, opts: AgentOptions, now = Date.now()): Promise<GatheredNode> {
  const facts: NodeFacts = { nodeName: name, now, unavailable: {} };
  // The agent's report is read with the node: it is the host's view, wherever the agent runs.
  const [node, pods, report] = await Promise.all([
    client.find<V1Node>(`/api/v1/nodes/${encodeURIComponent(name)}`),
    attempt(facts.unavailable, 'pods', () => client.get<{ items: V1Pod[] }>(withQuery('/api/v1/pods', { fieldSelector: `spec.nodeName=${name}` })).then((l) => l.items)),
    opts.useAgent ? readNodeReport(client, name) : undefined,
  ]);
  if (!node) throw new KubeError(`node "${name}" not found`, 404);
  facts.node = node;
  facts.pods = pods;
  const cni = cniAgent(pods);
  // flannel explains its own crash in its log; Calico's readiness failures and other pods'
  // sandbox failures are only told in events.
  const agentPod = pods?.find((p) => isAgentPod(p, opts.agentNamespace));
  const troubled = !!pods?.some((p) => !podReady(p) && p.status?.phase !== 'Succeeded' && !(p === cni?.pod && cni.kind === 'flannel'));
  const chosen = cniAddress(node)?.address;
  // Other nodes are listed only to explain this one: to find a free podCIDR, to see who else uses
  // its address, or to name the owner of each BGP peer address Calico cannot reach.
  const needPeers =
    podCIDRs(node).length === 0 ||
    (chosen !== undefined && chosen !== internalIP(node)) ||
    [chosen, internalIP(node)].includes('10.0.2.15') ||
    (cni?.kind === 'calico' && !podReady(cni.pod));

  const [cluster, events, log, peers] = await Promise.all([
    gatherCluster(client, facts.unavailable, cni ? [cni.pod] : []),
    troubled ? attempt(facts.unavailable, 'events', () => client.get<{ items: CoreV1Event[] }>(withQuery('/api/v1/events', { fieldSelector: 'type=Warning', limit: '500' }))) : undefined,
    cni && !podReady(cni.pod) ? attempt(facts.unavailable, 'cniLogs', () => cniLog(client, cni.pod)) : undefined,
    needPeers ? attempt(facts.unavailable, 'peers', () => client.list<V1Node>('/api/v1/nodes')) : undefined,
  ]);
  facts.cluster = cluster;
  if (events) facts.events = eventsAbout(events.items, name, pods ?? []);
  if (log !== undefined && cni) facts.cniLogs = { [`${cni.pod.metadata?.namespace}/${cni.pod.metadata?.name}`]: log };
  if (peers) cluster.peers = peers.map(peerOf);
  const view = opts.useAgent ? agentView(name, opts.agentNamespace, report ?? {}, agentPod, now) : NO_AGENT;
  return withAgent(facts, view);
}


/** Runs `work` over `items` with at most `limit` in flight. */
async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Facts for every node (or those matching a label selector): nodes paged, CNI pods by label, never
 * a list of all pods; logs for CNI pods that are not Ready; the agents' reports when present.
 */
export async function gatherNodes(client: KubeClient, selector: string | undefined, opts: AgentOptions, now = Date.now()): Promise<GatheredNode[]> {
  const unavailable: NodeFacts['unavailable'] = {};
  const [nodes, cniPodLists, agentPods, reports] = await Promise.all([
    client.list<V1Node>('/api/v1/nodes', { labelSelector: selector }),
    Promise.all(CNI_POD_SELECTORS.map((s) => attempt(unavailable, 'pods', () => client.list<V1Pod>('/api/v1/pods', { labelSelector: s })))),
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
  const notReadyCni = cniPods.filter((p) => !podReady(p) && p.spec?.nodeName);
  const troubled = notReadyCni.length > 0 || nodes.some((n) => nodeCondition(n, 'Ready')?.status !== 'True');
  const [cluster, events, logs] = await Promise.all([
    gatherCluster(client, unavailable, cniPods),
    troubled ? attempt(unavailable, 'events', () => client.get<{ items: CoreV1Event[] }>(withQuery('/api/v1/events', { fieldSelector: 'type=Warning', limit: '500' }))) : undefined,
    mapLimit(notReadyCni, 8, (pod) => attempt(unavailable, 'cniLogs', () => cniLog(client, pod))),
  ]);
  const logByNode = new Map(notReadyCni.map((p, i) => [p.spec!.nodeName!, { key: `${p.metadata?.namespace}/${p.metadata?.name}`, text: logs[i] }]));
  const peers = nodes.map(peerOf);
  return nodes.map((node) => {
    const name = node.metadata!.name!;
    const pods = podsByNode.get(name) ?? [];
    const log = logByNode.get(name);
    const facts: NodeFacts = {
      nodeName: name,
      now,
      node,
      pods,
      events: events ? eventsAbout(events.items, name, pods) : undefined,
      cniLogs: log?.text !== undefined ? { [log.key]: log.text } : undefined,
      cluster: { ...cluster, peers },
      unavailable: { ...unavailable },
    };
    if (!opts.useAgent) return withAgent(facts, NO_AGENT);
    const found = reports?.error ? { error: reports.error } : { object: reports?.byNode.get(name) };
    return withAgent(facts, agentView(name, opts.agentNamespace, found, agentByNode.get(name), now));
  });
}
