import { nodeCni } from '../cni/cni';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { hostFactRemedy } from '../remedy/agent';
import { shq } from '../remedy/shell';

const BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';
const BACKEND_TYPE = 'flannel.alpha.coreos.com/backend-type';
/** systemd ≥ 242 gives every link a persistent MAC (MACAddressPolicy=persistent in 99-default.link); this file exempts flannel's. */
export const FLANNEL_LINK_FILE = '/etc/systemd/network/50-flannel.link';

interface Drift {
  node: string;
  mac: string;
  published: string;
  pod?: { namespace: string; name: string };
}

const findings = {
  match: { status: 'ok', summary: (a: { mac: string }) => `flannel.1's MAC ${a.mac} is the VtepMAC the node publishes` },
  drift: {
    status: 'fail',
    summary: (a: Drift) => `flannel.1's MAC is ${a.mac} but the node publishes VtepMAC ${a.published}: peers send this node's pod traffic to a MAC it no longer has`,
    remedy: (a: Drift) =>
      `On ${a.node}, stop systemd from rewriting flannel's MAC (${FLANNEL_LINK_FILE}: MACAddressPolicy=none for flannel*), then restart flannel so it publishes the MAC again${a.pod ? ` (kubectl -n ${a.pod.namespace} delete pod ${a.pod.name})` : ' (k3s: systemctl restart k3s, or k3s-agent on agents)'}.`,
    steps: (a: Drift): FindingStep[] => [
      { on: 'node', run: `printf '[Match]\\nOriginalName=flannel*\\n\\n[Link]\\nMACAddressPolicy=none\\n' > ${FLANNEL_LINK_FILE}` },
      ...(a.pod ? [{ on: 'cluster' as const, run: `kubectl -n ${shq(a.pod.namespace)} delete pod ${shq(a.pod.name)}` }] : []),
    ],
  },
  notFlannel: { status: 'skip', summary: (a: { cni: string }) => `no flannel VXLAN: ${a.cni}` },
  notVxlan: { status: 'skip', summary: (a: { backend: string }) => `flannel's backend is ${a.backend}, not vxlan: no VTEP` },
  noDevice: { status: 'skip', summary: () => 'no flannel.1 yet (see cni-ready)' },
  noAnnotation: { status: 'unknown', summary: () => `the node has no ${BACKEND_DATA} annotation with a VtepMAC (flannel has not registered it)` },
  noNode: { status: 'unknown', summary: () => "the node's VtepMAC annotation could not be read from the API" },
  unreadable: { status: 'unknown', summary: () => "flannel.1's MAC could not be read on the host" },
  notVisible: { status: 'unknown', summary: () => "flannel.1's MAC is not visible through the API", remedy: (a: { hint?: string }) => a.hint },
} as const;

export const vtepMac = defineCheck({
  id: 'vtep-mac',
  title: "flannel.1's MAC is the VtepMAC the node publishes",
  question: "(flannel VXLAN) Does flannel.1's MAC match the VtepMAC the node's annotation publishes?",
  column: 'VTEP-MAC',
  wide: true,
  rank: 68,
  needs: ['node', 'vtepMac', 'pods', 'cniConfigFiles', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const cni = nodeCni(facts);
    const annotations = facts.node?.metadata?.annotations ?? {};
    if (cni.kind && cni.kind !== 'flannel' && !annotations[BACKEND_DATA])
      return found(findings, 'notFlannel', { cni: cni.agent?.name ?? cni.row?.name ?? 'another CNI' }, cni.source ? [`CNI: ${cni.source}`] : []);
    const backend = annotations[BACKEND_TYPE];
    if (backend && backend !== 'vxlan') return found(findings, 'notVxlan', { backend }, [`${BACKEND_TYPE}: ${backend}`]);
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    if (host.vtepMac === undefined) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['vtepMac']));
    if (host.vtepMac === null) {
      if (!cni.kind) return found(findings, 'notFlannel', { cni: 'no flannel on this node' }, ['/sys/class/net/flannel.1 does not exist']);
      return found(findings, 'noDevice', {}, ['/sys/class/net/flannel.1 does not exist']);
    }
    if (!facts.node) return found(findings, 'noNode', {}, unavailableEvidence(facts, ['node']));
    let published: string | undefined;
    try {
      const data = JSON.parse(annotations[BACKEND_DATA] ?? 'null') as { VtepMAC?: unknown } | null;
      if (typeof data?.VtepMAC === 'string') published = data.VtepMAC.toLowerCase().slice(0, 64);
    } catch {
      // not JSON: the same as absent
    }
    const evidence = [`/sys/class/net/flannel.1/address: ${host.vtepMac}`, `${BACKEND_DATA}: ${published ? `VtepMAC ${published}` : (annotations[BACKEND_DATA]?.slice(0, 120) ?? 'absent')}`];
    if (!published) return found(findings, 'noAnnotation', {}, evidence);
    if (published === host.vtepMac) return found(findings, 'match', { mac: host.vtepMac }, evidence, { match: 1 });
    const pod = cni.agent?.pod.metadata;
    return found(findings, 'drift', { node: facts.nodeName, mac: host.vtepMac, published, ...(pod?.name && pod.namespace ? { pod: { namespace: pod.namespace, name: pod.name } } : {}) }, evidence, {
      match: 0,
    });
  },
  metrics: [{ name: 'netcheck_vtep_mac_match', help: "1 when flannel.1's MAC is the node's published VtepMAC, 0 when it drifted; absent without flannel VXLAN", measure: 'match' }],
  alerts: [
    {
      name: 'NetcheckVtepMacDrift',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_vtep_mac_match')} == 0`,
      summary: "flannel.1's MAC differs from the VtepMAC the node publishes.",
      description: "flannel.1 on node {{ $labels.node }} has a MAC other than the VtepMAC in its backend-data annotation: peers cannot reach that node's pods over VXLAN.",
      fires: { netcheck_vtep_mac_match: 0 },
      coversFailure: true,
    },
  ],
});
