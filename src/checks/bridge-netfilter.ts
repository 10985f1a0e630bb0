import { nodeCni } from '../cni/cni';
import { defineCheck, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { hostFactRemedy } from '../remedy/agent';
import { type SysctlFix, sysctlCommands, sysctlFix, sysctlSource } from '../remedy/sysctl';

const CALL_IPTABLES = 'net.bridge.bridge-nf-call-iptables';
// A file of our own: appending to or overwriting the host's k8s.conf could lose its other modules.
const MODULES_FILE = '/etc/modules-load.d/br_netfilter.conf';

interface Fix {
  node: string;
  /** br_netfilter is listed in a modules-load.d file: it comes back at boot. */
  loadedAtBoot: boolean;
  sysctl: SysctlFix;
}

const load = (a: Fix) => `modprobe br_netfilter${a.loadedAtBoot ? '' : ` && echo br_netfilter > ${MODULES_FILE}`}`;

const findings = {
  on: { status: 'ok', summary: (a: { bridge: string }) => `bridged traffic goes through iptables (${a.bridge})` },
  notLoaded: {
    status: 'fail',
    summary: (a: Fix & { bridge: string }) => `br_netfilter is not loaded: traffic between pods on ${a.bridge} bypasses iptables, so Services between pods on this node break`,
    remedy: (a: Fix) => `On ${a.node}: ${load(a)}; then ${sysctlCommands(a.sysctl)}`,
  },
  off: {
    status: 'fail',
    summary: (a: Fix & { bridge: string }) => `net.bridge.bridge-nf-call-iptables is 0: traffic between pods on ${a.bridge} bypasses iptables, so Services between pods on this node break`,
    remedy: (a: Fix) => `On ${a.node}: ${sysctlCommands(a.sysctl)}`,
  },
  noBridge: { status: 'skip', summary: (a: { cni: string }) => `${a.cni} attaches pods without a Linux bridge` },
  cniUnknown: { status: 'unknown', summary: () => 'could not tell which CNI runs on this node' },
  unreadable: { status: 'unknown', summary: () => 'bridge netfilter settings could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'br_netfilter is not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const bridgeNetfilter = defineCheck({
  id: 'bridge-netfilter',
  title: 'Bridged pod traffic goes through iptables',
  question: 'Where a bridge CNI is used: is br_netfilter loaded and bridge-nf-call-iptables on?',
  column: 'BR-NETFILTER',
  wide: true,
  rank: 75,
  needs: ['sysctls', 'sysctlFiles', 'modulesLoad', 'cniConfig', 'pods', 'agent'],
  sysctls: [CALL_IPTABLES],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const cni = nodeCni(facts);
    const config = facts.host?.cniConfig;
    // A Linux bridge: the CNI's own (flannel's cni0) or a bridge plugin in its config.
    const bridged = config ? config.bridge : cni.row?.bridge;
    if (bridged === undefined) return found(findings, 'cniUnknown', {}, unavailableEvidence(facts, ['pods', 'cniConfig']));
    const name = cni.agent?.name ?? cni.row?.name ?? 'the CNI';
    if (!bridged) return found(findings, 'noBridge', { cni: name }, config ? [`${config.file}: plugins ${config.types.join(', ')}`] : []);
    const sysctls = facts.host?.sysctls;
    if (!sysctls) return facts.host ? found(findings, 'unreadable', {}, unavailableEvidence(facts, ['sysctls'])) : found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    const fix: Fix = {
      node: facts.nodeName,
      loadedAtBoot: (facts.host?.modulesLoad ?? []).some((m) => m.module === 'br_netfilter'),
      sysctl: sysctlFix(facts.host, CALL_IPTABLES, '1', 'bridge-netfilter'),
    };
    const bridge = facts.host?.mtus?.cni0 !== undefined ? 'cni0' : 'the CNI bridge';
    const atBoot = fix.loadedAtBoot
      ? `br_netfilter is loaded at boot by ${facts.host!.modulesLoad!.find((m) => m.module === 'br_netfilter')!.file}`
      : 'no modules-load.d file loads br_netfilter at boot';
    const value = sysctls[CALL_IPTABLES];
    if (value === null || value === undefined) {
      return found(findings, 'notLoaded', { ...fix, bridge }, [`/proc/sys/${CALL_IPTABLES.replace(/\./g, '/')} does not exist: br_netfilter is not loaded`, atBoot], { enabled: 0 });
    }
    const evidence = [`${CALL_IPTABLES} = ${value} (${sysctlSource(fix.sysctl)})`, atBoot];
    if (value === '0') return found(findings, 'off', { ...fix, bridge }, evidence, { enabled: 0 });
    return found(findings, 'on', { bridge }, evidence, { enabled: 1 });
  },
  metrics: [
    {
      name: 'netcheck_bridge_nf_call_iptables',
      help: '1 when bridged pod traffic goes through iptables (br_netfilter loaded, bridge-nf-call-iptables 1), 0 when not; absent where the CNI uses no bridge',
      measure: 'enabled',
    },
  ],
  alerts: [
    {
      name: 'NetcheckBridgeNetfilterOff',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_bridge_nf_call_iptables')} == 0`,
      summary: 'Bridged pod traffic bypasses iptables.',
      description: "br_netfilter is not loaded or bridge-nf-call-iptables is 0 on node {{ $labels.node }}: Services between pods on that node break (replies bypass kube-proxy's NAT).",
      fires: { netcheck_bridge_nf_call_iptables: 0, 'netcheck_check_status{check="bridge-netfilter",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
