import { cniAgent, nodeCni } from '../cni/cni';
import { defineCheck, found, unavailableEvidence } from '../core/check';
import { usableDefaultRoute } from '../host/network';
import { cluesOf } from '../kube/clues';
import { podCIDRs, podReady, podRef } from '../kube/objects';
import { hostFactRemedy } from '../remedy/agent';
import { contains, parseCidr, sameCidr } from '../util/cidr';

interface Missing {
  /** Why flanneld never wrote it, when the evidence says ("" when it does not). */
  cause: string;
  restart: string;
}

const rewrite = (a: Missing) => `${a.cause ? `Fix the cause first: ${a.cause}; then ` : ''}${a.restart} so flanneld rewrites the file; pods stuck in ContainerCreating recover by themselves.`;

const findings = {
  present: { status: 'ok', summary: (a: { subnet: string }) => `present, FLANNEL_SUBNET=${a.subnet}` },
  inferred: { status: 'ok', summary: () => 'present (inferred: flanneld is Ready, and it writes the file before it becomes Ready)' },
  missing: { status: 'fail', summary: (a: Missing) => `/run/flannel/subnet.env is missing${a.cause ? `: ${a.cause}` : ''}`, remedy: rewrite },
  sandboxesFail: { status: 'fail', summary: (a: Missing) => `/run/flannel/subnet.env is missing: pod sandboxes fail${a.cause ? `; ${a.cause}` : ''}`, remedy: rewrite },
  stale: {
    status: 'fail',
    summary: (a: { problem: string; restart: string }) => `subnet.env is stale: ${a.problem}`,
    remedy: (a: { restart: string }) => `${a.restart} so flanneld rewrites it from the current lease.`,
  },
  notFlannel: { status: 'skip', summary: (a: { cni: string }) => `not a flannel node (${a.cni})` },
  cniUnknown: { status: 'unknown', summary: () => 'could not tell which CNI runs on this node' },
  unreadable: { status: 'unknown', summary: () => 'subnet.env could not be read on the host' },
  notVisible: {
    status: 'unknown',
    summary: (a: { cause: string }) => `flannel is not Ready${a.cause ? `: ${a.cause}` : ''}; subnet.env itself is not visible through the API`,
    remedy: (a: { hint?: string }) => a.hint,
  },
} as const;

export const flannelSubnetEnv = defineCheck({
  id: 'flannel-subnet-env',
  title: '/run/flannel/subnet.env is present and consistent',
  question: "(flannel) Is /run/flannel/subnet.env present and consistent with the node's podCIDR and the flannel Network?",
  column: 'SUBNET-ENV',
  rank: 80,
  explains: ['cni-ready'],
  needs: ['pods', 'events', 'subnetEnv', 'flannel', 'agent'],
  fetchWhen: {
    // Pods stuck in ContainerCreating tell it in events: "open /run/flannel/subnet.env: no such file".
    events: (f) => !!f.pods?.some((p) => !podReady(p) && p.status?.phase !== 'Succeeded' && p !== cniAgent(f.pods)?.pod),
  },
  seenBest: 'host',
  findings,
  evaluate(facts) {
    const cni = nodeCni(facts);
    if (cni.kind && cni.kind !== 'flannel') return found(findings, 'notFlannel', { cni: cni.agent?.name ?? cni.row?.name ?? cni.kind });
    if (!cni.kind) return found(findings, 'cniUnknown', {}, unavailableEvidence(facts, ['pods']));
    const clues = cluesOf(facts);
    const restart = cni.agent
      ? `kubectl -n ${cni.agent.pod.metadata?.namespace} delete pod ${cni.agent.pod.metadata?.name}`
      : `kubectl delete pods -A -l app=flannel --field-selector spec.nodeName=${facts.nodeName}`;
    // flanneld writes subnet.env only after it has leased the node's subnet through the API, so a
    // node that cannot reach the API (NIC down, no route, no podCIDR) never gets the file.
    const noRouteOnHost = facts.host?.routes !== undefined && !usableDefaultRoute(facts.host);
    const cause = clues.apiUnreachable
      ? `flannel cannot reach the API service ${clues.apiUnreachable} (see default-route)`
      : noRouteOnHost
        ? 'the host has no usable default route, so flannel cannot reach the API service (see default-route)'
        : clues.noDefaultRoute
          ? 'flannel finds no default route (see default-route)'
          : clues.podCidrNotAssigned
            ? 'the node has no podCIDR (see pod-cidr-assigned)'
            : '';
    const causeEvidence = [clues.evidence.apiUnreachable, clues.evidence.noDefaultRoute, clues.evidence.podCidrNotAssigned].filter((e): e is string => !!e);

    const host = facts.host;
    if (host && host.subnetEnv !== undefined) {
      if (host.subnetEnv === null) {
        const evidence = [`${facts.agent ?? 'host'}: /run/flannel/subnet.env does not exist`, ...causeEvidence];
        if (clues.evidence.subnetEnvMissing) evidence.push(clues.evidence.subnetEnvMissing);
        return found(findings, 'missing', { cause, restart }, evidence, { present: 0 });
      }
      const env = host.subnetEnv;
      const evidence = [`/run/flannel/subnet.env: FLANNEL_NETWORK=${env.network ?? '(unset)'} FLANNEL_SUBNET=${env.subnet}`];
      const problems: string[] = [];
      const nodeCidr = podCIDRs(facts.node)[0];
      if (nodeCidr) {
        if (!contains(parseCidr(nodeCidr), parseCidr(env.subnet))) problems.push(`FLANNEL_SUBNET ${env.subnet} is not inside the node's podCIDR ${nodeCidr}`);
        else evidence.push(`inside the node's podCIDR ${nodeCidr}`);
      }
      const network = facts.cluster?.flannel?.network;
      if (network && env.network && !sameCidr(parseCidr(network), parseCidr(env.network))) {
        problems.push(`FLANNEL_NETWORK ${env.network} differs from net-conf.json Network ${network}`);
      }
      if (problems.length) return found(findings, 'stale', { problem: problems[0], restart }, [...evidence, ...problems], { present: 1 });
      return found(findings, 'present', { subnet: env.subnet }, evidence, { present: 1 });
    }
    if (host && facts.unavailable.subnetEnv) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['subnetEnv']));
    // No agent: infer from what the API shows.
    if (clues.subnetEnvMissing) return found(findings, 'sandboxesFail', { cause, restart }, [clues.evidence.subnetEnvMissing!, ...causeEvidence], { present: 0 });
    if (cni.agent && podReady(cni.agent.pod)) return found(findings, 'inferred', {}, [`${podRef(cni.agent.pod)} is Ready`]);
    return found(findings, 'notVisible', { cause, hint: hostFactRemedy(facts) }, causeEvidence);
  },
  metrics: [{ name: 'netcheck_flannel_subnet_env_present', help: '1 when /run/flannel/subnet.env exists, 0 when missing (flannel nodes only)', measure: 'present' }],
  alerts: [
    {
      name: 'NetcheckFlannelSubnetEnvMissing',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_flannel_subnet_env_present')} == 0`,
      summary: 'flannel has not written /run/flannel/subnet.env.',
      description: '/run/flannel/subnet.env is missing on node {{ $labels.node }}: every pod sandbox there fails with "open /run/flannel/subnet.env: no such file or directory".',
      fires: { netcheck_flannel_subnet_env_present: 0, 'netcheck_check_status{check="flannel-subnet-env",status="fail"}': 1 },
      coversFailure: true,
    },
    {
      name: 'NetcheckFlannelSubnetEnvStale',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_flannel_subnet_env_present')} == 1 and on (${q.by}) ${q.status('flannel-subnet-env', 'fail')}`,
      summary: "/run/flannel/subnet.env disagrees with the node's podCIDR or flannel's Network.",
      description: "/run/flannel/subnet.env on node {{ $labels.node }} is left from an old lease: new pods there get addresses outside the node's podCIDR.",
      fires: { netcheck_flannel_subnet_env_present: 1, 'netcheck_check_status{check="flannel-subnet-env",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
