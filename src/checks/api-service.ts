// Does the host reach the kubernetes Service, and if not, does the API server itself answer? The
// seed incident's symptom (flannel: "no usable route to 10.96.0.1") tested, not inferred: the agent
// dials the Service VIP with TCP and TLS, and, when that fails, the API server's own addresses.
import { defineCheck, found } from '../core/check';
import type { NodeFacts } from '../core/facts';
import type { ProbeResult } from '../core/probes';
import { hostFactRemedy } from '../remedy/agent';
import { shq } from '../remedy/shell';

const how = (r: ProbeResult) => `${r.error ?? 'failed'}${r.detail ? `: ${r.detail}` : ''}`;

const DIAGNOSE = (a: { service: string }) => {
  const [host, port] = splitHostPort(a.service);
  return `nc -vz -w 3 ${shq(host)} ${shq(port)}; ip route get ${shq(host)}; iptables-save -t nat | grep -F -- ${shq(host)} | head; nft list ruleset | grep -F -- ${shq(host)} | head`;
};

function splitHostPort(target: string): [string, string] {
  const i = target.lastIndexOf(':');
  return i > 0 ? [target.slice(0, i).replace(/^\[|\]$/g, ''), target.slice(i + 1)] : [target, '443'];
}

const findings = {
  ok: { status: 'ok', summary: (a: { service: string }) => `the host reaches the kubernetes Service ${a.service} (TCP and TLS)` },
  serviceDownDirectUp: {
    status: 'fail',
    summary: (a: { service: string; error: string; direct: string }) => `the host cannot reach the kubernetes Service ${a.service} (${a.error}); the API server answers at ${a.direct}`,
    remedy: (a: { node: string; service: string }) =>
      `The API server is up; the Service path from ${a.node} is broken: kube-proxy's rules or the route to ${a.service}. See that kube-proxy runs on ${a.node} (kubectl -n kube-system get pods -o wide --field-selector spec.nodeName=${a.node} | grep kube-proxy) and what the host does with the Service address:`,
    steps: (a: { service: string }) => [{ on: 'node' as const, run: DIAGNOSE(a) }],
  },
  allDown: {
    status: 'fail',
    summary: (a: { service: string; error: string; tried: string }) => `the host reaches neither the kubernetes Service ${a.service} (${a.error}) nor the API server at ${a.tried}`,
    remedy: (a: { node: string }) => `Nothing answers from ${a.node}: its route to the control plane is gone (see default-route), or the API server is down. From ${a.node}:`,
    steps: (a: { service: string }) => [{ on: 'node' as const, run: DIAGNOSE(a) }],
  },
  serviceDownNoDirect: {
    status: 'fail',
    summary: (a: { service: string; error: string }) => `the host cannot reach the kubernetes Service ${a.service} (${a.error}); no address of the API server itself is known to try`,
    steps: (a: { service: string }) => [{ on: 'node' as const, run: DIAGNOSE(a) }],
  },
  noService: { status: 'unknown', summary: () => 'the kubernetes Service address is not known (no KUBERNETES_SERVICE_HOST, Service not read)' },
  probesOff: { status: 'skip', summary: () => "the agent's probes are off (--probe-interval 0)" },
  notProbed: {
    status: 'unknown',
    summary: (a: { hint?: string; agent?: boolean }) =>
      a.agent ? 'not probed yet (or the agent runs with --probe-interval 0)' : 'not probed: only the agent on the node can dial the Service from the host',
    remedy: (a: { hint?: string }) => a.hint,
  },
} as const;

export const apiService = defineCheck({
  id: 'api-service',
  title: 'The host reaches the kubernetes Service',
  question: 'Does the host reach the kubernetes Service (TCP and TLS), and if not, does the API server itself answer?',
  column: 'API-SVC',
  wide: true,
  rank: 12,
  explains: ['cni-ready', 'flannel-subnet-env', 'kubelet-ready'],
  needs: ['apiService', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const probe = facts.host?.apiService;
    const node = facts.nodeName;
    if (facts.host?.probesOff) return found(findings, 'probesOff', {});
    if (!probe) return found(findings, 'notProbed', { hint: hostFactRemedy(facts), agent: !!facts.host });
    // The first fact: which way the agent itself got through to the API.
    const evidence = probe.agentVia ? [`the agent reaches the API ${probe.agentVia}`] : [];
    const svc = probe.service;
    if (!svc) return found(findings, 'noService', {}, evidence);
    evidence.push(`${svc.target} (${probe.serviceSource ?? 'kubernetes Service'}): ${svc.ok ? `answered TLS in ${Math.round((svc.rttSeconds ?? 0) * 1000)} ms` : how(svc)}`);
    if (svc.ok) return found(findings, 'ok', { service: svc.target }, evidence, { reachable: 1 });
    for (const d of probe.direct) evidence.push(`${d.target} (${probe.directSource ?? 'API server'}): ${d.ok ? 'answered TLS for kubernetes.default.svc' : how(d)}`);
    const error = svc.error ?? 'failed';
    const up = probe.direct.find((d) => d.ok);
    if (up) return found(findings, 'serviceDownDirectUp', { node, service: svc.target, error, direct: up.target }, evidence, { reachable: 0 });
    if (probe.direct.length) return found(findings, 'allDown', { node, service: svc.target, error, tried: probe.direct.map((d) => d.target).join(', ') }, evidence, { reachable: 0 });
    return found(findings, 'serviceDownNoDirect', { service: svc.target, error }, evidence, { reachable: 0 });
  },
  metrics: [{ name: 'netcheck_api_service_reachable', help: '1 when the host reaches the kubernetes Service (TCP and TLS), 0 when not', measure: 'reachable' }],
  alerts: [
    {
      name: 'NetcheckAPIServiceUnreachable',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_api_service_reachable')} == 0`,
      summary: 'A node cannot reach the kubernetes Service.',
      description:
        'The host {{ $labels.node }} cannot reach the kubernetes Service (TCP and TLS): its CNI and kubelet lose the API there. kubectl netcheck node {{ $labels.node }} says whether the API server itself answers.',
      fires: { netcheck_api_service_reachable: 0, 'netcheck_check_status{check="api-service",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
