// Does the cluster DNS Service answer from the host? A query for kubernetes.default.svc.<domain>
// to the kubelet's clusterDNS over UDP, with a deadline: what every pod's first lookup needs.
import { defineCheck, found } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { hostFactRemedy } from '../remedy/agent';
import { shq } from '../remedy/shell';

const DIG = (a: { server: string; name: string }) => `dig +time=2 +tries=1 @${shq(a.server)} ${shq(a.name)}; ip route get ${shq(a.server)}`;

const findings = {
  ok: { status: 'ok', summary: (a: { server: string; name: string; answer: string }) => `${a.server} answers ${a.name} (${a.answer})` },
  noAnswer: {
    status: 'fail',
    summary: (a: { server: string; name: string; error: string }) => `the cluster DNS Service ${a.server} does not answer from the host (${a.error})`,
    remedy: (a: { server: string }) =>
      `Pods here cannot resolve names. See that the DNS pods run and are Ready (kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide), that the Service ${a.server} has endpoints (kubectl -n kube-system get endpointslices -l kubernetes.io/service-name=kube-dns), then from the node:`,
    steps: (a: { server: string; name: string }) => [{ on: 'node' as const, run: DIG(a) }],
  },
  badAnswer: {
    status: 'fail',
    summary: (a: { server: string; name: string; rcode: string }) => `the cluster DNS Service ${a.server} answers ${a.name} with ${a.rcode}`,
    remedy: () => 'The DNS server answers but cannot resolve the cluster domain: its configuration (kubectl -n kube-system get configmap coredns -o yaml) or its API access is broken. From the node:',
    steps: (a: { server: string; name: string }) => [{ on: 'node' as const, run: DIG(a) }],
  },
  noClusterDns: { status: 'skip', summary: () => 'the kubelet has no clusterDNS: pods here do not use a cluster DNS Service' },
  probesOff: { status: 'skip', summary: () => "the agent's probes are off (--probe-interval 0)" },
  notProbed: {
    status: 'unknown',
    summary: (a: { hint?: string; agent?: boolean }) =>
      a.agent ? 'not probed yet (or the agent runs with --probe-interval 0)' : 'not probed: only the agent on the node can query the DNS Service from the host',
    remedy: (a: { hint?: string }) => a.hint,
  },
} as const;

export const clusterDns = defineCheck({
  id: 'cluster-dns',
  title: 'The cluster DNS Service answers from the node',
  question: 'Does the cluster DNS Service (the kubelet clusterDNS) answer a query for kubernetes.default from the node?',
  column: 'DNS',
  wide: true,
  rank: 94,
  needs: ['clusterDns', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const probe = facts.host?.clusterDns;
    if (probe === null) return found(findings, 'noClusterDns', {}, ['kubelet config: no clusterDNS']);
    if (facts.host?.probesOff) return found(findings, 'probesOff', {});
    if (!probe) return found(findings, 'notProbed', { hint: hostFactRemedy(facts), agent: !!facts.host });
    const { server, name, result } = probe;
    const evidence = [
      `query A ${name} to ${server}:53/udp (kubelet clusterDNS): ${result.ok ? `${probe.rcode ?? 'NOERROR'} ${probe.answer ?? ''}`.trim() : `${result.error}${result.detail ? `: ${result.detail}` : ''}`}`,
    ];
    if (!result.ok && result.error !== 'dns') return found(findings, 'noAnswer', { server, name, error: result.error ?? 'failed' }, evidence, { ok: 0 });
    if (!result.ok || probe.rcode !== 'NOERROR' || !probe.answer) return found(findings, 'badAnswer', { server, name, rcode: probe.rcode ?? 'no address' }, evidence, { ok: 0 });
    return found(findings, 'ok', { server, name, answer: probe.answer }, evidence, { ok: 1 });
  },
  metrics: [{ name: 'netcheck_cluster_dns_ok', help: '1 when the cluster DNS Service answers kubernetes.default from the host, 0 when not', measure: 'ok' }],
  alerts: [
    {
      name: 'NetcheckClusterDNSUnreachable',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_cluster_dns_ok')} == 0`,
      summary: 'The cluster DNS Service does not answer from a node.',
      description: 'From {{ $labels.node }}, the cluster DNS Service does not resolve kubernetes.default: pods there cannot resolve names.',
      fires: { netcheck_cluster_dns_ok: 0, 'netcheck_check_status{check="cluster-dns",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
