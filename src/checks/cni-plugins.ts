import { nodeCni } from '../cni/cni';
import { DEFAULT_CNI_CONF } from '../cni/platform';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { hostFactRemedy } from '../remedy/agent';
import { shq } from '../remedy/shell';

/** The reference plugins (containernetworking/plugins): one release archive has them all. */
const REFERENCE = new Set([
  'bridge',
  'host-local',
  'portmap',
  'bandwidth',
  'loopback',
  'tuning',
  'firewall',
  'ptp',
  'macvlan',
  'ipvlan',
  'vlan',
  'host-device',
  'dhcp',
  'static',
  'vrf',
  'sbr',
  'dummy',
  'tap',
]);
export const CNI_PLUGINS_VERSION = 'v1.6.2';
const ARCH = 'case $(uname -m) in aarch64) a=arm64;; armv7l) a=arm;; *) a=amd64;; esac';
/** The plugins a CNI's own pod installs (its install-cni init container copies them in). */
const OWN = /^(flannel|calico|calico-ipam|cilium-cni|weave-net|weave-ipam|antrea|kube-router)$/;

interface Missing {
  node: string;
  missing: string[];
  file: string;
  dir: string;
  reference: string[];
  own: string[];
  /** The CNI agent pod that installs its own plugin, when one runs on the node. */
  pod?: { namespace: string; name: string };
}

const install = (a: Missing) =>
  `${ARCH}; curl -fsSL "https://github.com/containernetworking/plugins/releases/download/${CNI_PLUGINS_VERSION}/cni-plugins-linux-$a-${CNI_PLUGINS_VERSION}.tgz" | tar -xz -C ${shq(a.dir)}`;

const findings = {
  ok: { status: 'ok', summary: (a: { count: number; dir: string }) => `all ${a.count} plugins of the CNI config are in ${a.dir}` },
  missing: {
    status: 'fail',
    summary: (a: Missing) => `${a.file} runs ${a.missing.join(', ')}, which ${a.missing.length > 1 ? 'are' : 'is'} not in ${a.dir}: every pod sandbox on this node fails`,
    remedy: (a: Missing) =>
      [
        a.reference.length ? `On ${a.node}, install the reference CNI plugins (${a.reference.join(', ')}) ${CNI_PLUGINS_VERSION} into ${a.dir}.` : '',
        a.own.length
          ? `${a.own.join(', ')} ${a.own.length > 1 ? 'are' : 'is'} copied in by the CNI's own pod when it starts: restart it${a.pod ? ` (${a.pod.namespace}/${a.pod.name})` : ''} so its init container installs ${a.own.length > 1 ? 'them' : 'it'} again.`
          : '',
        'Pods stuck in ContainerCreating recover by themselves.',
      ]
        .filter(Boolean)
        .join(' '),
    steps: (a: Missing) => [
      ...(a.reference.length ? [{ on: 'node', run: install(a) } as FindingStep] : []),
      ...(a.own.length && a.pod ? [{ on: 'cluster', run: `kubectl -n ${shq(a.pod.namespace)} delete pod ${shq(a.pod.name)}` } as FindingStep] : []),
    ],
  },
  noConfig: { status: 'skip', summary: () => "no CNI config in the runtime's CNI config dir yet (see cni-ready)" },
  binDirHidden: { status: 'unknown', summary: (a: { dirs: string }) => `the CNI bin dir (${a.dirs}) is not visible to the agent` },
  unreadable: { status: 'unknown', summary: () => 'the CNI config or bin dir could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'the CNI plugin binaries are not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const cniPlugins = defineCheck({
  id: 'cni-plugins',
  title: 'Every CNI plugin the config runs is installed',
  question: "Does every plugin `type` in the active CNI config list have its binary in the CNI bin dir (/opt/cni/bin, or containerd's/CRI-O's configured bin_dir)?",
  column: 'CNI-PLUGINS',
  wide: true,
  rank: 55,
  explains: ['cni-ready'],
  needs: ['cniPlugins', 'cniConfigDir', 'cniBin', 'pods', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    const config = host.cniPlugins;
    if (config === null) return found(findings, 'noConfig', {}, [`${facts.host?.cniConfigDir ?? DEFAULT_CNI_CONF} has no .conf or .conflist`]);
    if (!config || !host.cniBin) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['cniPlugins', 'cniBin']));
    const visible = host.cniBin.dirs.filter((d) => d.binaries !== null);
    const where = host.cniBin.dirs.map((d) => `${d.dir} (${d.source})`);
    if (!visible.length) return found(findings, 'binDirHidden', { dirs: host.cniBin.dirs.map((d) => d.dir).join(', ') }, [`bin dirs: ${where.join(', ')}: none exists under the host root`]);
    const have = new Set(visible.flatMap((d) => d.binaries!));
    const missing = config.plugins.filter((p) => !have.has(p.type));
    const evidence = [
      `${config.file}: ${config.plugins.map((p) => (p.role === 'plugin' ? p.type : `${p.type} (${p.role})`)).join(', ')}`,
      ...visible.map((d) => `${d.dir} (${d.source}): ${d.binaries!.length} files${missing.length ? '' : ''}`),
    ];
    const dir = visible[0].dir;
    // A plugin may be in a bin dir the agent cannot see (CRI-O's /usr/libexec/cni, say): then missing is not known.
    const hidden = host.cniBin.dirs.filter((d) => d.binaries === null);
    if (missing.length && hidden.length)
      return found(findings, 'binDirHidden', { dirs: hidden.map((d) => d.dir).join(', ') }, [
        ...evidence,
        `${missing.map((p) => p.type).join(', ')}: not in ${visible.map((d) => d.dir).join(', ')}; ${hidden.map((d) => d.dir).join(', ')} not visible`,
      ]);
    if (!missing.length) return found(findings, 'ok', { count: config.plugins.length, dir }, evidence, { missing: 0 });
    const names = missing.map((p) => p.type);
    const agent = nodeCni(facts).agent?.pod.metadata;
    const pod = agent?.name && agent.namespace ? { namespace: agent.namespace, name: agent.name } : undefined;
    evidence.push(
      ...missing.map((p) => `${p.type}: not in ${visible.map((d) => d.dir).join(' or ')}${p.role === 'delegate' ? ' (flannel delegates to it)' : p.role === 'ipam' ? ' (the IPAM plugin)' : ''}`),
    );
    return found(
      findings,
      'missing',
      { node: facts.nodeName, missing: names, file: config.file, dir, reference: names.filter((n) => REFERENCE.has(n)), own: names.filter((n) => OWN.test(n)), ...(pod ? { pod } : {}) },
      evidence,
      { missing: names.length },
    );
  },
  metrics: [{ name: 'netcheck_cni_plugins_missing', help: 'CNI plugins the active CNI config runs whose binary is not in the CNI bin dir', measure: 'missing' }],
  alerts: [
    {
      name: 'NetcheckCNIPluginMissing',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_cni_plugins_missing')} > 0`,
      summary: 'A CNI plugin binary the CNI config runs is missing.',
      description: '{{ $value }} plugin(s) named in the CNI config of node {{ $labels.node }} have no binary in the CNI bin dir: every new pod sandbox there fails.',
      fires: { netcheck_cni_plugins_missing: 1 },
      coversFailure: true,
    },
  ],
});
