import { nodeCni } from '../cni/cni';
import { DEFAULT_CNI_CONF } from '../cni/platform';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { hostFactRemedy } from '../remedy/agent';
import { plausibleIfName, shq } from '../remedy/shell';

/** Ports named in steps one by one; past this, one loop over the bridge's ports. */
const MAX_PORT_STEPS = 8;

interface Off {
  node: string;
  bridge: string;
  off: string[];
  ports: number;
  file: string;
  /** The CNI config turns hairpinMode on: the ports were set off by something else. */
  configured: boolean;
  flannel: boolean;
}

const config = (a: Off) =>
  a.configured
    ? ''
    : a.flannel
      ? ` ${a.file} turns hairpinMode off: remove "hairpinMode": false from the delegate in flannel's cni-conf.json (kubectl -n kube-flannel edit configmap kube-flannel-cfg), so new pods get it.`
      : ` ${a.file} does not turn hairpinMode on: add "hairpinMode": true to its bridge plugin, so new pods get it.`;

const findings = {
  on: { status: 'ok', summary: (a: { bridge: string; ports: number }) => `hairpin mode on for all ${a.ports} pod ports of ${a.bridge}` },
  noPorts: { status: 'ok', summary: (a: { bridge: string }) => `${a.bridge} has no pod ports yet` },
  off: {
    status: 'fail',
    summary: (a: Off) => `hairpin mode is off on ${a.off.length} of ${a.ports} pod ports of ${a.bridge}: those pods cannot reach themselves through their own Service`,
    remedy: (a: Off) => `On ${a.node}, turn hairpin mode on for the ports of ${a.bridge}.${config(a)}`,
    steps: (a: Off): FindingStep[] =>
      a.off.length <= MAX_PORT_STEPS && a.off.every(plausibleIfName)
        ? a.off.map((p) => ({ on: 'node', run: `bridge link set dev ${shq(p)} hairpin on` }))
        : [{ on: 'node', run: `for p in /sys/class/net/${shq(a.bridge)}/brif/*/hairpin_mode; do echo 1 > "$p"; done` }],
  },
  offByConfig: {
    status: 'warn',
    summary: (a: Off) => `${a.file} turns hairpin mode off, and it is off on ${a.off.length} of ${a.ports} pod ports of ${a.bridge}: pods cannot reach themselves through their own Service`,
    remedy: (a: Off) => `If pods here must reach themselves through their Service, turn hairpin mode on.${config(a)}`,
  },
  noBridgeCni: { status: 'skip', summary: (a: { cni: string }) => `${a.cni} attaches pods without a Linux bridge` },
  noBridge: { status: 'skip', summary: (a: { bridge: string }) => `no ${a.bridge} bridge yet (see cni-ready)` },
  noConfig: { status: 'skip', summary: () => "no CNI config in the runtime's CNI config dir yet (see cni-ready)" },
  unreadable: { status: 'unknown', summary: () => 'the CNI bridge could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'hairpin mode is not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const hairpin = defineCheck({
  id: 'hairpin',
  title: "Pods reach themselves through their own Service (hairpin on the CNI bridge's ports)",
  question: '(bridge CNIs) Is hairpin mode on for every pod port of the CNI bridge?',
  column: 'HAIRPIN',
  wide: true,
  rank: 76,
  needs: ['cniPlugins', 'cniConfigDir', 'bridgePorts', 'pods', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    if (host.cniPlugins === null) return found(findings, 'noConfig', {}, [`${facts.host?.cniConfigDir ?? DEFAULT_CNI_CONF} has no .conf or .conflist`]);
    if (!host.cniPlugins || !host.bridgePorts) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['cniPlugins', 'bridgePorts']));
    const conf = host.cniPlugins;
    const cni = nodeCni(facts);
    if (!conf.bridge) return found(findings, 'noBridgeCni', { cni: cni.agent?.name ?? cni.row?.name ?? 'the CNI' }, [`${conf.file}: plugins ${conf.plugins.map((p) => p.type).join(', ')}`]);
    const bridge = conf.bridge.name;
    const ports = host.bridgePorts[bridge];
    const evidence = [
      `${conf.file}: bridge ${bridge}, hairpinMode ${conf.bridge.hairpinMode}${conf.plugins.some((p) => p.type === 'flannel') ? ' (flannel turns it on unless its delegate says false)' : ''}`,
    ];
    if (!ports) return found(findings, 'noBridge', { bridge }, [...evidence, `/sys/class/net/${bridge}/brif does not exist`]);
    const names = Object.keys(ports);
    if (!names.length) return found(findings, 'noPorts', { bridge }, evidence, { off: 0 });
    const off = names.filter((p) => ports[p] !== '1');
    evidence.push(
      `/sys/class/net/${bridge}/brif: ${names.length} ports, hairpin_mode 0 on ${off.length ? off.slice(0, 10).join(', ') + (off.length > 10 ? ` and ${off.length - 10} more` : '') : 'none'}`,
    );
    if (!off.length) return found(findings, 'on', { bridge, ports: names.length }, evidence, { off: 0 });
    const args: Off = { node: facts.nodeName, bridge, off, ports: names.length, file: conf.file, configured: conf.bridge.hairpinMode, flannel: conf.plugins.some((p) => p.type === 'flannel') };
    return found(findings, conf.bridge.hairpinMode ? 'off' : 'offByConfig', args, evidence, { off: off.length });
  },
  metrics: [{ name: 'netcheck_hairpin_off_ports', help: 'Pod ports of the CNI bridge with hairpin mode off; absent where the CNI uses no bridge', measure: 'off' }],
  alerts: [
    {
      name: 'NetcheckHairpinOff',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_hairpin_off_ports')} > 0`,
      summary: 'Hairpin mode is off on pod ports of the CNI bridge.',
      description: '{{ $value }} pod port(s) of the CNI bridge on node {{ $labels.node }} have hairpin mode off: those pods cannot reach themselves through their own Service.',
      fires: { netcheck_hairpin_off_ports: 2 },
    },
  ],
});
