import { type CniKind, nodeCni } from '../cni/cni';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { globMatch, nmSpecCovers } from '../parsers/network-manager';
import { hostFactRemedy } from '../remedy/agent';
import { shq } from '../remedy/shell';

/**
 * The interfaces each CNI makes, as an example name (to test the host's rules against) and the
 * NetworkManager spec that leaves them alone (Calico's and RKE2's documented files).
 */
const CNI_LINKS: Record<CniKind, { example: string; spec: string }[]> = {
  calico: [
    { example: 'cali0123456789a', spec: 'interface-name:cali*' },
    { example: 'tunl0', spec: 'interface-name:tunl*' },
    { example: 'vxlan.calico', spec: 'interface-name:vxlan.calico' },
    { example: 'wireguard.cali', spec: 'interface-name:wireguard.cali' },
  ],
  flannel: [
    { example: 'flannel.1', spec: 'interface-name:flannel*' },
    { example: 'cni0', spec: 'interface-name:cni0' },
    { example: 'veth0123abcd', spec: 'interface-name:veth*' },
  ],
  cilium: [
    { example: 'cilium_host', spec: 'interface-name:cilium*' },
    { example: 'lxc0123456789a', spec: 'interface-name:lxc*' },
  ],
  other: [
    { example: 'cni0', spec: 'interface-name:cni0' },
    { example: 'veth0123abcd', spec: 'interface-name:veth*' },
  ],
};
const NETWORKD_FILE = '/etc/systemd/network/00-cni-unmanaged.network';

interface Uncovered {
  node: string;
  cni: string;
  specs: string[];
  file: string;
}

const findings = {
  ok: { status: 'ok', summary: (a: { what: string }) => a.what },
  cloudSetup: {
    status: 'fail',
    summary: () => "nm-cloud-setup is enabled: it rewrites the host's routing rules and tables and breaks pod traffic (rke2#786)",
    remedy: (a: { node: string; link: string }) => `On ${a.node}, disable nm-cloud-setup (${a.link}) and reboot the node, as RKE2's documentation says.`,
    steps: (): FindingStep[] => [{ on: 'node', run: 'systemctl disable --now nm-cloud-setup.service nm-cloud-setup.timer' }],
  },
  nmManages: {
    status: 'warn',
    summary: (a: Uncovered) => `NetworkManager runs and no unmanaged-devices rule covers ${a.cni}'s interfaces (${a.specs.join(';')}): it may take them over and drop their routes`,
    remedy: (a: Uncovered) => `On ${a.node}, tell NetworkManager to leave ${a.cni}'s interfaces alone (${a.file}) and reload it.`,
    steps: (a: Uncovered): FindingStep[] => [{ on: 'node', run: `printf '[keyfile]\\nunmanaged-devices=%s\\n' ${shq(a.specs.join(';'))} > ${shq(a.file)} && systemctl reload NetworkManager` }],
  },
  networkdManages: {
    status: 'warn',
    summary: (a: Uncovered & { by: string }) => `systemd-networkd runs and ${a.by} matches ${a.cni}'s interfaces: it may reconfigure them`,
    remedy: (a: Uncovered) => `On ${a.node}, mark ${a.cni}'s interfaces unmanaged in a .network file sorted first (${a.file}), then networkctl reload.`,
    steps: (a: Uncovered): FindingStep[] => [
      { on: 'node', run: `printf '[Match]\\nName=%s\\n\\n[Link]\\nUnmanaged=yes\\n' ${shq(a.specs.map((s) => s.replace(/^interface-name:/, '')).join(' '))} > ${shq(a.file)} && networkctl reload` },
    ],
  },
  none: { status: 'skip', summary: () => 'neither NetworkManager nor systemd-networkd runs on this node' },
  cniUnknown: { status: 'unknown', summary: () => 'could not tell which CNI runs on this node, so not which interfaces to protect' },
  unreadable: { status: 'unknown', summary: () => 'the network managers could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'NetworkManager is not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const networkManager = defineCheck({
  id: 'network-manager',
  title: "The host's network managers leave the CNI's interfaces alone",
  question: "Does NetworkManager (or systemd-networkd, nm-cloud-setup) manage the CNI's interfaces (cali*, flannel*, cilium*, vxlan*, cni0) without an unmanaged-devices rule?",
  column: 'NET-MANAGER',
  wide: true,
  rank: 18,
  explains: ['cni-ready', 'bgp-established', 'default-route'],
  needs: ['networkManager', 'pods', 'cniConfigFiles', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    const nm = host.networkManager;
    if (!nm) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['networkManager']));
    const evidence = [
      `NetworkManager: ${nm.running ? 'running' : 'not running'}`,
      ...nm.unmanaged.map((u) => `${u.file}: unmanaged-devices=${u.specs.join(';')}`),
      ...(nm.cloudSetup ? [`nm-cloud-setup enabled: ${nm.cloudSetup}`] : []),
      `systemd-networkd: ${nm.networkdRunning ? 'running' : 'not running'}`,
    ];
    if (!nm.running && !nm.networkdRunning) return found(findings, 'none', {}, evidence, { managed: 0 });
    if (nm.running && nm.cloudSetup) return found(findings, 'cloudSetup', { node: facts.nodeName, link: nm.cloudSetup }, evidence, { managed: 1 });
    const cni = nodeCni(facts);
    if (!cni.kind) return found(findings, 'cniUnknown', {}, evidence);
    const name = cni.agent?.name ?? cni.row?.name ?? 'the CNI';
    const links = CNI_LINKS[cni.kind];
    if (nm.running) {
      const open = links.filter((l) => !nm.unmanaged.some((u) => u.specs.some((s) => nmSpecCovers(s, l.example))));
      if (open.length)
        return found(
          findings,
          'nmManages',
          { node: facts.nodeName, cni: name, specs: open.map((l) => l.spec), file: `/etc/NetworkManager/conf.d/${cni.kind === 'other' ? 'cni' : cni.kind}.conf` },
          evidence,
          { managed: 1 },
        );
    }
    if (nm.networkdRunning) {
      const unmanagedFirst = nm.networkd.filter((f) => f.unmanaged);
      for (const f of nm.networkd.filter((n) => !n.unmanaged)) {
        const taken = links.filter((l) => f.names.some((g) => globMatch(g, l.example)) && !unmanagedFirst.some((u) => u.file < f.file && u.names.some((g) => globMatch(g, l.example))));
        if (taken.length) {
          evidence.push(`${f.file}: [Match] Name=${f.names.join(' ')}`);
          return found(findings, 'networkdManages', { node: facts.nodeName, cni: name, specs: taken.map((l) => l.spec), file: NETWORKD_FILE, by: f.file }, evidence, { managed: 1 });
        }
      }
    }
    return found(findings, 'ok', { what: `${nm.running ? 'NetworkManager' : 'systemd-networkd'} leaves ${name}'s interfaces alone` }, evidence, { managed: 0 });
  },
  metrics: [{ name: 'netcheck_network_manager_managing_cni', help: "1 when NetworkManager, nm-cloud-setup or systemd-networkd may take the CNI's interfaces, 0 when not", measure: 'managed' }],
  alerts: [
    {
      name: 'NetcheckNetworkManagerManagesCNI',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_network_manager_managing_cni')} == 1`,
      summary: "A host network manager may take the CNI's interfaces.",
      description: "NetworkManager, nm-cloud-setup or systemd-networkd on node {{ $labels.node }} may reconfigure the CNI's interfaces or routes.",
      fires: { netcheck_network_manager_managing_cni: 1 },
    },
  ],
});
