import { nodeCni } from '../cni/cni';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NetCounters, NodeFacts } from '../core/facts';
import { hostFactRemedy } from '../remedy/agent';
import { plausibleIfName, shq, word } from '../remedy/shell';

/** A counter's rise per second between the agent's previous reading and this one (undefined: no history, or a reset). */
function rate(now: NetCounters, previous: NetCounters | undefined, pick: (c: NetCounters) => number | undefined): number | undefined {
  const a = previous && pick(previous);
  const b = pick(now);
  if (!previous || a === undefined || b === undefined || b < a || now.at <= previous.at) return undefined;
  return (b - a) / ((now.at - previous.at) / 1000);
}
const round = (n: number) => Math.round(n * 1000) / 1000;

interface Csum {
  node: string;
  device: string;
  rate: number;
  driver?: string;
  nic?: string;
}

// udev runs RUN without a shell; %k is the device's own name, so nothing from the host enters it.
const udevRule = (d: string) => `SUBSYSTEM=="net", ACTION=="add|change|move", ENV{INTERFACE}=="${d}", RUN+="/usr/sbin/ethtool -K %k tx-checksum-ip-generic off"`;

const findings = {
  clean: { status: 'ok', summary: (a: { device: string }) => `no UDP checksum errors or receive errors rising on ${a.device}` },
  firstReading: { status: 'ok', summary: (a: { device: string; csum: number }) => `${a.csum} UDP checksum errors since boot: whether they rise is judged from the agent's next reading` },
  checksum: {
    status: 'warn',
    summary: (a: Csum) =>
      `UDP checksum errors are rising (${a.rate}/s) on a VXLAN node${a.driver ? ` (NIC driver ${a.driver})` : ''}: the checksum-offload bug drops overlay packets (the "63-second delay")`,
    remedy: (a: Csum) =>
      `On ${a.node}, turn off checksum offload on ${word(a.device, 'the overlay device')} now and at every boot (a udev rule in /etc/udev/rules.d, the steps write it); then the errors stop rising (watch: grep Udp: /proc/net/snmp).`,
    steps: (a: Csum): FindingStep[] =>
      plausibleIfName(a.device)
        ? [
            { on: 'node', run: `ethtool -K ${shq(a.device)} tx-checksum-ip-generic off` },
            { on: 'node', run: `echo ${shq(udevRule(a.device))} > ${shq(`/etc/udev/rules.d/90-${a.device}-checksum.rules`)}` },
          ]
        : [],
  },
  deviceErrors: {
    status: 'warn',
    summary: (a: { device: string; errors: number; dropped: number }) =>
      `${a.device} is losing received packets (${a.errors ? 'receive errors' : ''}${a.errors && a.dropped ? ' and ' : ''}${a.dropped ? 'drops' : ''} rising)`,
    remedy: (a: { node: string; device: string }) =>
      `On ${a.node}, see the counters and what the kernel logs about them; rx_errors on a VXLAN device usually mean bad checksums or a peer sending to the wrong VTEP (see vtep-mac, mtu).`,
    steps: (a: { device: string }): FindingStep[] => (plausibleIfName(a.device) ? [{ on: 'node', run: `ip -s -s link show dev ${shq(a.device)}; dmesg | tail -n 50` }] : []),
  },
  noOverlay: { status: 'skip', summary: (a: { cni: string }) => `no VXLAN device (${a.cni}): nothing encapsulated to lose` },
  unreadable: { status: 'unknown', summary: () => 'the network counters could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'overlay errors are not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const overlayErrors = defineCheck({
  id: 'overlay-errors',
  title: 'The host is not dropping overlay packets',
  question: 'Are overlay packets being dropped by the host: UDP checksum errors rising (the VXLAN offload bug), receive errors on the overlay device?',
  column: 'OVERLAY-ERR',
  wide: true,
  rank: 67,
  needs: ['netCounters', 'pods', 'cniConfigFiles', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    const h = host.netCounters;
    if (!h) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['netCounters']));
    const overlay = h.now.overlay;
    const cni = nodeCni(facts);
    if (!overlay) return found(findings, 'noOverlay', { cni: cni.agent?.name ?? cni.row?.name ?? 'no CNI seen' }, ['no flannel.1, vxlan.calico or cilium_vxlan in /sys/class/net']);
    const device = overlay.device;
    // Evidence says what is counted now; a rate only where something rose (so a quiet node's report is the same every cycle).
    const evidence = [
      `/proc/net/snmp Udp InCsumErrors: ${h.now.udpInCsumErrors ?? 'not counted'}`,
      `/sys/class/net/${device}/statistics: rx_errors ${overlay.rxErrors}, rx_dropped ${overlay.rxDropped}`,
      ...(h.nic ? [`${h.nic.device} (default route): driver ${h.nic.driver ?? 'unknown (no /sys/class/net/<dev>/device/driver)'}`] : []),
    ];
    // Counters still at zero: nothing was ever dropped, whatever the history.
    if (!h.now.udpInCsumErrors && !overlay.rxErrors && !overlay.rxDropped) return found(findings, 'clean', { device }, evidence, { csum: 0, rx: 0 });
    const csum = rate(h.now, h.previous, (c) => c.udpInCsumErrors);
    const errors = rate(h.now, h.previous, (c) => (c.overlay?.device === device ? c.overlay.rxErrors : undefined));
    const dropped = rate(h.now, h.previous, (c) => (c.overlay?.device === device ? c.overlay.rxDropped : undefined));
    if (csum === undefined) return found(findings, 'firstReading', { device, csum: h.now.udpInCsumErrors ?? 0 }, evidence);
    const measures = { csum: round(csum), rx: round((errors ?? 0) + (dropped ?? 0)) };
    if (csum > 0 || (errors ?? 0) + (dropped ?? 0) > 0)
      evidence.push(`since the previous reading: ${round(csum)} checksum errors/s, ${round(errors ?? 0)} rx errors/s, ${round(dropped ?? 0)} rx drops/s on ${device}`);
    if (csum > 0) return found(findings, 'checksum', { node: facts.nodeName, device, rate: round(csum), ...(h.nic?.driver ? { driver: h.nic.driver, nic: h.nic.device } : {}) }, evidence, measures);
    if ((errors ?? 0) + (dropped ?? 0) > 0) return found(findings, 'deviceErrors', { node: facts.nodeName, device, errors: round(errors ?? 0), dropped: round(dropped ?? 0) }, evidence, measures);
    return found(findings, 'clean', { device }, evidence, measures);
  },
  metrics: [
    { name: 'netcheck_udp_checksum_errors_per_second', help: "UDP checksum errors (Udp InCsumErrors) per second between the agent's last two readings, on VXLAN nodes", measure: 'csum' },
    { name: 'netcheck_overlay_rx_errors_per_second', help: "Receive errors and drops of the VXLAN device per second between the agent's last two readings", measure: 'rx' },
  ],
  alerts: [
    {
      name: 'NetcheckOverlayChecksumErrors',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_udp_checksum_errors_per_second')} > 0`,
      summary: 'UDP checksum errors are rising on a VXLAN node.',
      description: 'Node {{ $labels.node }} counts {{ $value }} UDP checksum errors per second: the VXLAN checksum-offload bug drops overlay packets there.',
      fires: { netcheck_udp_checksum_errors_per_second: 2 },
      coversFailure: true,
    },
  ],
});
