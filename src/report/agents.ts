// The agents' reports, as the plugin reads them from the API: one NodeReport object per node.
// Whether a report can be used, and if not why and what to do, is decided here, so every check
// that needs the host says the same thing.
import type { V1Pod } from '@kubernetes/client-node';
import type { NodeReport } from '../core/model';
import { podReady, podState } from '../kube/objects';
import { type KubeClient, KubeError } from '../kubeapi/kube-client';
import { INSTALL_AGENT } from '../remedy/agent';
import { formatAge } from '../util/time';
import { GROUP, PLURAL, type PublishedReport, readReportObject, VERSION } from './resource';

export const AGENT_LABEL = 'app.kubernetes.io/name=netcheck-agent';
export const REPORTS_PATH = `/apis/${GROUP}/${VERSION}/${PLURAL}`;

/** What the plugin knows of a node's agent: its report when usable, else why not and what to do. */
export interface AgentView {
  report?: NodeReport;
  /** "agent netcheck/netcheck-agent-x7k2p (report 40s old)": where host facts came from. */
  source?: string;
  /** Why host facts are unavailable. */
  unavailable?: string;
  /** What to do about it, filled in from what was seen. */
  remedy?: string;
}

export function isAgentPod(pod: V1Pod, namespace: string): boolean {
  return pod.metadata?.namespace === namespace && pod.metadata?.labels?.['app.kubernetes.io/name'] === 'netcheck-agent';
}

/** The reason a report could not be read at all (CRD not installed, forbidden, ...), if that is why. */
export function reportsUnavailable(e: unknown): string {
  if (e instanceof KubeError && e.status === 404) return `the NodeReport CRD (${PLURAL}.${GROUP}) is not installed, so no agent reports can be read`;
  return `NodeReports could not be read: ${(e as Error).message}`;
}

/**
 * Judges one node's report against what the API shows of its agent pod, at `now`:
 * fresh → use it; stale, missing or unreadable → say why and name the pod, its logs, or the
 * install command (only when no agent pod exists).
 */
export function agentView(node: string, namespace: string, found: { object?: unknown; error?: string }, agentPod: V1Pod | undefined, now: number): AgentView {
  const podName = agentPod?.metadata?.name;
  const logs = podName ? `kubectl -n ${namespace} logs ${podName}` : undefined;
  const findPod = `kubectl -n ${namespace} get pods -l ${AGENT_LABEL} -o wide --field-selector spec.nodeName=${node}`;
  let published: PublishedReport | undefined;
  let unreadable: string | undefined;
  if (found.object) {
    try {
      published = readReportObject(found.object, node);
    } catch (e) {
      unreadable = (e as Error).message;
    }
  }
  if (published && now <= published.staleAt) {
    return { report: published.report, source: `agent ${namespace}/${podName ?? '(pod not listed)'} (report ${formatAge(now - published.observedAt)} old)` };
  }
  const podSays = agentPod ? `${namespace}/${podName} is ${podState(agentPod)}` : undefined;
  if (published) {
    const age = formatAge(now - published.observedAt);
    return {
      unavailable: `the agent's report on ${node} is ${age} old (observed ${new Date(published.observedAt).toISOString().replace(/\.\d+Z$/, 'Z')}), older than its heartbeat allows: ${podSays ? `agent pod ${podSays}` : `no agent pod runs on ${node}`}`,
      remedy: agentPod
        ? `See why the agent stopped reporting: ${logs}`
        : `Find out why the agent DaemonSet has no pod on ${node}: kubectl -n ${namespace} describe daemonset netcheck-agent; ${findPod}`,
    };
  }
  if (unreadable) return { unavailable: unreadable, remedy: logs ? `See what the agent writes: ${logs}` : undefined };
  if (!agentPod) return { unavailable: `no netcheck agent pod on ${node} in namespace ${namespace}`, remedy: `Install the netcheck agent to see the host: ${INSTALL_AGENT}` };
  if (found.error) {
    const missingCrd = found.error.includes('not installed');
    return {
      unavailable: `agent pod ${podSays}, but ${found.error}`,
      remedy: missingCrd
        ? `Install the NodeReport CRD with the agent: ${INSTALL_AGENT}`
        : `Ask for get and list on nodereports.netcheck.io (deploy/ aggregates them into the view role), or run with --no-agent`,
    };
  }
  return {
    unavailable: `agent pod ${podSays} but has published no NodeReport for ${node}`,
    remedy: podReady(agentPod) ? `See why it does not publish (RBAC, admission policy, CRD): ${logs}` : `See why the agent is not running: ${logs}; kubectl -n ${namespace} describe pod ${podName}`,
  };
}

/** GET one node's report. */
export async function readNodeReport(client: KubeClient, node: string): Promise<{ object?: unknown; error?: string }> {
  try {
    return { object: await client.get(`${REPORTS_PATH}/${encodeURIComponent(node)}`) };
  } catch (e) {
    if (e instanceof KubeError && e.status === 404) {
      // A 404 names the object when only the object is missing; otherwise the resource is unknown.
      return /not found$/.test(e.message) && e.message.includes(`"${node}"`) ? {} : { error: reportsUnavailable(e) };
    }
    return { error: reportsUnavailable(e) };
  }
}

/** LIST every report (paged): by node name, or why none could be read. */
export async function readNodeReports(client: KubeClient): Promise<{ byNode: Map<string, unknown>; error?: string }> {
  try {
    const items = await client.list<{ metadata?: { name?: string } }>(REPORTS_PATH);
    return { byNode: new Map(items.map((o) => [o.metadata?.name ?? '', o])) };
  } catch (e) {
    return { byNode: new Map(), error: reportsUnavailable(e) };
  }
}
