import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { isLoopbackAddress } from '../parsers/resolv-conf';
import { hostFactRemedy } from '../remedy/agent';
import { shq, word } from '../remedy/shell';

/** systemd-resolved's list of the real upstream servers (its stub file lists 127.0.0.53). */
export const RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf';
const DEFAULT_RESOLV = '/etc/resolv.conf';

interface Loop {
  node: string;
  file: string;
  loopback: string[];
  /** The kubelet config file to change, when there is one. */
  config?: string;
  /** The config sets resolvConf already (replace the line) or not (add one). */
  configSets: boolean;
  /** systemd-resolved's upstream file exists and lists real servers. */
  upstream: boolean;
  coredns: boolean;
}

const fix = (a: Loop) =>
  a.upstream && a.config
    ? `On ${a.node}, point the kubelet at systemd-resolved's upstream list, resolvConf: ${RESOLVED_UPSTREAM}, in ${word(a.config, 'the kubelet config')}, and restart the kubelet; then restart CoreDNS (kubectl -n kube-system rollout restart deployment coredns, which restarts it cluster-wide) so its pods take the new file.`
    : `Give the kubelet a resolv.conf with the real upstream servers (not ${a.loopback.map((l) => word(l, 'a loopback address')).join(', ')}): write one, set resolvConf to it in the kubelet config${a.config ? ` (${word(a.config, 'its file')})` : ''}, and restart the kubelet; then restart CoreDNS (kubectl -n kube-system rollout restart deployment coredns, cluster-wide).`;

const RESOLV_CONF_LINE = `resolvConf: ${RESOLVED_UPSTREAM}`;
const SET_RESOLV_CONF = `s|^resolvConf:.*|${RESOLV_CONF_LINE}|`;

const steps = (a: Loop, coredns: boolean): FindingStep[] | undefined => {
  if (!a.upstream || !a.config) return undefined;
  const set = a.configSets ? `sed -i ${shq(SET_RESOLV_CONF)} ${shq(a.config)}` : `echo ${shq(RESOLV_CONF_LINE)} >> ${shq(a.config)}`;
  return [{ on: 'node', run: `${set} && systemctl restart kubelet` }, ...(coredns ? [{ on: 'cluster' as const, run: 'kubectl -n kube-system rollout restart deployment coredns' }] : [])];
};

const findings = {
  ok: { status: 'ok', summary: (a: { file: string; servers: string }) => `pods' upstream DNS (${a.file}): ${a.servers}` },
  loop: {
    status: 'fail',
    summary: (a: Loop) =>
      `the kubelet gives pods ${a.file}, which lists the loopback resolver ${a.loopback.join(', ')}: CoreDNS forwards to itself and loops${a.coredns ? ' (a CoreDNS pod runs on this node)' : ''}`,
    remedy: fix,
    steps: (a: Loop) => steps(a, true),
  },
  loopRisk: {
    status: 'warn',
    summary: (a: Loop) =>
      `the kubelet gives pods ${a.file}, which lists the loopback resolver ${a.loopback.join(', ')}: a CoreDNS pod scheduled here would loop (pods with dnsPolicy Default get no DNS)`,
    remedy: fix,
    steps: (a: Loop) => steps(a, false),
  },
  missing: {
    status: 'fail',
    summary: (a: { file: string }) => `the kubelet's resolvConf ${a.file} does not exist: pods on this node cannot start`,
    remedy: (a: { node: string; file: string }) =>
      `On ${a.node}, create ${a.file} with the upstream nameservers, or point resolvConf in the kubelet config at a file that exists, and restart the kubelet.`,
  },
  linkHidden: { status: 'unknown', summary: (a: { file: string; link: string }) => `${a.file} is a link to ${a.link}, which the agent does not see (mount it into the agent)` },
  off: { status: 'skip', summary: () => 'the kubelet gives pods no host resolv.conf (resolvConf is "")' },
  unreadable: { status: 'unknown', summary: () => "the kubelet's resolv.conf could not be read on the host" },
  notVisible: { status: 'unknown', summary: () => "the kubelet's resolv.conf is not visible through the API", remedy: (a: { hint?: string }) => a.hint },
} as const;

export const dnsResolv = defineCheck({
  id: 'dns-resolv',
  title: "Pods' upstream DNS is not a loopback resolver",
  question: "Would pods' DNS loop or break: the kubelet's resolvConf (or /etc/resolv.conf) lists a loopback resolver such as systemd-resolved's 127.0.0.53?",
  column: 'DNS-RESOLV',
  wide: true,
  rank: 62,
  needs: ['kubeletConfig', 'resolvConfs', 'pods', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    if (!host.resolvConfs) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['resolvConfs']));
    const config = host.kubeletConfig ?? undefined;
    const file = config?.resolvConf ?? DEFAULT_RESOLV;
    const from = config?.resolvConf !== undefined ? `resolvConf in ${config.path ?? 'the kubelet config'}` : `the kubelet's default${config?.path ? ` (${config.path} sets no resolvConf)` : ''}`;
    if (file === '') return found(findings, 'off', {}, [`${from}: ""`]);
    if (!(file in host.resolvConfs)) return found(findings, 'unreadable', {}, [`${from}: ${file}, which the agent did not read`]);
    const entry = host.resolvConfs[file];
    if (entry && !Array.isArray(entry)) return found(findings, 'linkHidden', { file, link: entry.link }, [`${from}: ${file}`, `${file} -> ${entry.link}, not visible to the agent`]);
    const servers = entry;
    if (servers === null) return found(findings, 'missing', { node: facts.nodeName, file }, [`${from}: ${file}`, `${file} does not exist`], { loopback: 0 });
    const evidence = [`${from}: ${file}`, `${file}: nameserver ${servers.join(', ') || '(none)'}`];
    const loopback = servers.filter(isLoopbackAddress);
    if (!loopback.length) return found(findings, 'ok', { file, servers: servers.join(', ') || 'none listed' }, evidence, { loopback: 0 });
    const upstreamEntry = host.resolvConfs[RESOLVED_UPSTREAM];
    const upstreamServers = Array.isArray(upstreamEntry) ? upstreamEntry : undefined;
    const upstream = file !== RESOLVED_UPSTREAM && !!upstreamServers?.length && !upstreamServers.some(isLoopbackAddress);
    if (upstreamServers) evidence.push(`${RESOLVED_UPSTREAM}: nameserver ${upstreamServers.join(', ') || '(none)'}`);
    const coredns = (facts.pods ?? []).some((p) => p.metadata?.labels?.['k8s-app'] === 'kube-dns' || /^coredns-/.test(p.metadata?.name ?? ''));
    const args: Loop = { node: facts.nodeName, file, loopback, ...(config?.path ? { config: config.path } : {}), configSets: config?.resolvConf !== undefined, upstream, coredns };
    return found(findings, coredns ? 'loop' : 'loopRisk', args, evidence, { loopback: 1 });
  },
  metrics: [{ name: 'netcheck_dns_resolv_loopback', help: '1 when the resolv.conf the kubelet gives pods lists a loopback resolver (127.0.0.53, ...), 0 when not', measure: 'loopback' }],
  alerts: [
    {
      name: 'NetcheckDNSResolvLoopback',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_dns_resolv_loopback')} == 1`,
      summary: "Pods' upstream DNS is a loopback resolver.",
      description: 'The kubelet on node {{ $labels.node }} gives pods a resolv.conf listing a loopback resolver (systemd-resolved 127.0.0.53): CoreDNS there forwards to itself and loops.',
      fires: { netcheck_dns_resolv_loopback: 1 },
    },
  ],
});
