import type { V1Pod } from '@kubernetes/client-node';
import { nodeCni } from '../cni/cni';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { podReady, podRef, podState } from '../kube/objects';
import { shq } from '../remedy/shell';

export function kubeProxyPod(pods: V1Pod[] | undefined): V1Pod | undefined {
  return (pods ?? []).find((p) => p.metadata?.labels?.['k8s-app'] === 'kube-proxy' || (p.metadata?.namespace === 'kube-system' && /^kube-proxy-[a-z0-9]{5}$/.test(p.metadata?.name ?? '')));
}

/** kube-proxy's healthz JSON carries Go's time.String(): "2026-11-23 11:58:00.1 +0000 UTC m=+12.3" (or RFC 3339). */
export function parseGoTime(text: string | undefined): number {
  if (!text) return Number.NaN;
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)/.exec(text);
  return m ? Date.parse(`${m[1]}T${m[2].replace(/(\.\d{3})\d+/, '$1')}${m[3]}:${m[4]}`) : Date.parse(text);
}

interface Down {
  node: string;
  namespace: string;
  pod: string;
  state: string;
}

const podSteps = (a: Down): FindingStep[] => [
  { on: 'cluster', run: `kubectl -n ${shq(a.namespace)} logs ${shq(a.pod)} --tail 50` },
  { on: 'cluster', run: `kubectl -n ${shq(a.namespace)} delete pod ${shq(a.pod)}` },
];

const findings = {
  ok: { status: 'ok', summary: (a: { what: string }) => a.what },
  notReady: {
    status: 'fail',
    summary: (a: Down) => `kube-proxy ${a.namespace}/${a.pod} is not Ready (${a.state}): Services from this node are not kept up to date`,
    remedy: (a: Down) => `Read why in its log, then restart it (its DaemonSet makes a new one on ${a.node}).`,
    steps: podSteps,
  },
  notSyncing: {
    status: 'fail',
    summary: (a: Down & { age: string }) => `kube-proxy on this node is not syncing its rules (livez ${a.state}): Service changes do not reach this node`,
    remedy: (a: Down) => `Read why in its log (iptables lock, API unreachable), then restart ${a.namespace}/${a.pod}.`,
    steps: podSteps,
  },
  embeddedNotSyncing: {
    status: 'fail',
    summary: (a: { state: string; age: string }) => `kube-proxy on this node (no pod: k3s's or the host's own) is not syncing its rules (livez ${a.state})`,
    remedy: (a: { node: string }) => `On ${a.node}, read the journal of the service that runs kube-proxy (k3s, k3s-agent or kube-proxy) and restart it.`,
  },
  replaced: { status: 'skip', summary: () => "no kube-proxy: Cilium's kube-proxy replacement handles Services" },
  absent: { status: 'skip', summary: () => 'no kube-proxy on this node (no kube-proxy pod, nothing answering on 127.0.0.1:10256)' },
  unknownPods: { status: 'unknown', summary: () => "could not tell whether kube-proxy runs on this node: its pods could not be read and the agent's livez probe did not answer" },
} as const;

export const kubeProxy = defineCheck({
  id: 'kube-proxy',
  title: 'kube-proxy is Ready and syncing its rules',
  question: 'Is kube-proxy (when the cluster runs it) Ready on this node and syncing its rules (livez, last sync age)?',
  column: 'KUBE-PROXY',
  wide: true,
  rank: 58,
  explains: ['cni-ready'],
  needs: ['pods', 'kubeProxyLivez'],
  seenBest: 'both',
  findings,
  evaluate(facts: NodeFacts) {
    const pod = kubeProxyPod(facts.pods);
    const livez = facts.host?.kubeProxyLivez;
    const answered = livez && 'status' in livez ? livez : undefined;
    const age = answered?.lastUpdated && answered.currentTime ? Math.round((parseGoTime(answered.currentTime) - parseGoTime(answered.lastUpdated)) / 1000) : undefined;
    const ageText = age !== undefined && Number.isFinite(age) ? `, last sync ${age}s ago` : '';
    const evidence: string[] = [];
    if (pod) evidence.push(`pod ${podRef(pod)}: ${podState(pod)}`);
    if (livez) evidence.push('status' in livez ? `${livez.url}: HTTP ${livez.status}${ageText}` : `${livez.url}: ${livez.error}`);
    const measures = (healthy: number) => ({ healthy });
    // livez 404: a kube-proxy older than 1.28 (healthz only, which fails on nodes being scaled down); the pod says enough.
    const failing = answered && answered.status !== 200 && answered.status !== 404;
    if (pod) {
      const down: Down = { node: facts.nodeName, namespace: pod.metadata?.namespace ?? 'kube-system', pod: pod.metadata?.name ?? 'kube-proxy', state: podState(pod) };
      if (!podReady(pod)) return found(findings, 'notReady', down, evidence, measures(0));
      if (failing) return found(findings, 'notSyncing', { ...down, state: `HTTP ${answered.status}`, age: ageText }, evidence, measures(0));
      return found(findings, 'ok', { what: `kube-proxy ${podRef(pod)} is Ready${answered?.status === 200 ? ', livez ok' : ''}` }, evidence, measures(1));
    }
    if (answered && answered.status !== 404) {
      if (failing) return found(findings, 'embeddedNotSyncing', { node: facts.nodeName, state: `HTTP ${answered.status}`, age: ageText }, evidence, measures(0));
      return found(findings, 'ok', { what: "kube-proxy answers livez on this node (no kube-proxy pod: k3s's or the host's own)" }, evidence, measures(1));
    }
    if (!facts.pods) return found(findings, 'unknownPods', {}, [...evidence, ...unavailableEvidence(facts, ['pods'])]);
    if (nodeCni(facts).kind === 'cilium') return found(findings, 'replaced', {}, [...evidence, 'no kube-proxy pod on the node; the CNI is Cilium']);
    return found(findings, 'absent', {}, [...evidence, 'no kube-proxy pod on the node']);
  },
  metrics: [{ name: 'netcheck_kube_proxy_healthy', help: '1 when kube-proxy is Ready and its livez answers, 0 when not; absent where kube-proxy does not run', measure: 'healthy' }],
  alerts: [
    {
      name: 'NetcheckKubeProxyDown',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_kube_proxy_healthy')} == 0`,
      summary: 'kube-proxy is down or not syncing on a node.',
      description: 'kube-proxy on node {{ $labels.node }} is not Ready or not syncing its rules: Service traffic from that node goes to stale or no endpoints.',
      fires: { netcheck_kube_proxy_healthy: 0 },
      coversFailure: true,
    },
  ],
});
