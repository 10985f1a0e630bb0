import { defineCheck, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { podCIDRs } from '../kube/objects';
import { hostFactRemedy } from '../remedy/agent';
import { type SysctlFix, sysctlFix, sysctlProse, sysctlSource, sysctlSteps } from '../remedy/sysctl';

const IPV4 = 'net.ipv4.ip_forward';
const IPV6 = 'net.ipv6.conf.all.forwarding';

const findings = {
  on: { status: 'ok', summary: (a: { which: string }) => `${a.which} on` },
  off: {
    status: 'fail',
    summary: (a: { node: string; off: string; fixes: SysctlFix[] }) => `${a.off} off: this node does not forward pod traffic`,
    remedy: (a: { node: string; fixes: SysctlFix[] }) => `Turn forwarding on: ${a.fixes.map(sysctlProse).join('; and ')}.`,
    steps: (a: { fixes: SysctlFix[] }) => a.fixes.flatMap(sysctlSteps),
  },
  unreadable: { status: 'unknown', summary: () => 'ip_forward could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'ip_forward is not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const ipForward = defineCheck({
  id: 'ip-forward',
  title: 'The host forwards IP packets',
  question: 'Is net.ipv4.ip_forward (and forwarding for IPv6 on dual-stack nodes) on?',
  column: 'IP-FORWARD',
  wide: true,
  rank: 15,
  needs: ['sysctls', 'sysctlFiles', 'node', 'agent'],
  sysctls: [IPV4, IPV6],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const sysctls = facts.host?.sysctls;
    if (!sysctls) return facts.host ? found(findings, 'unreadable', {}, unavailableEvidence(facts, ['sysctls'])) : found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    if (sysctls[IPV4] === null || sysctls[IPV4] === undefined) return found(findings, 'unreadable', {}, [`/proc/sys/net/ipv4/ip_forward is missing`]);
    // IPv6 forwarding matters where pods get IPv6 addresses: a node with an IPv6 podCIDR.
    const dualStack = podCIDRs(facts.node).some((c) => c.includes(':'));
    const keys = dualStack ? [IPV4, IPV6] : [IPV4];
    const evidence = keys.map((k) => {
      const value = sysctls[k] ?? '(missing)';
      const source = sysctlSource(sysctlFix(facts.host, k, '1', 'ip-forward'));
      return `${k} = ${value} (${source})`;
    });
    const off = keys.filter((k) => sysctls[k] === '0');
    const enabled = { enabled: off.length ? 0 : 1 };
    if (off.length)
      return found(
        findings,
        'off',
        { node: facts.nodeName, off: off.join(' and '), fixes: off.map((k) => sysctlFix(facts.host, k, '1', k === IPV4 ? 'ip-forward' : 'ipv6-forward')) },
        evidence,
        enabled,
      );
    return found(findings, 'on', { which: keys.join(' and ') }, evidence, enabled);
  },
  metrics: [{ name: 'netcheck_ip_forward_enabled', help: '1 when the host forwards IP packets (net.ipv4.ip_forward, and IPv6 forwarding on dual-stack nodes), 0 when not', measure: 'enabled' }],
  alerts: [
    {
      name: 'NetcheckIPForwardDisabled',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_ip_forward_enabled')} == 0`,
      summary: 'A node does not forward IP packets.',
      description: 'net.ipv4.ip_forward is 0 on node {{ $labels.node }}: its pods cannot reach other nodes, Services or the outside.',
      fires: { netcheck_ip_forward_enabled: 0, 'netcheck_check_status{check="ip-forward",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
