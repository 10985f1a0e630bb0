import { type CniKind, nodeCni } from '../cni/cni';
import { defineCheck, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { usableDefaultRoute } from '../host/network';
import { containerEnv, internalIP } from '../kube/objects';
import { isDefaultRoute } from '../parsers/proc-net-route';
import { hostFactRemedy } from '../remedy/agent';
import { containsAddress, parseCidr } from '../util/cidr';

/** Bytes each encapsulation adds to a pod's packet on the wire (IPv4 underlay). */
export const OVERHEAD = { VXLAN: 50, Geneve: 50, IPIP: 20, WireGuard: 60 } as const;
type Encap = keyof typeof OVERHEAD;

interface Overlay {
  encap: Encap;
  device: string;
  /** Calico's FelixConfiguration field for this encapsulation's MTU. */
  felixField?: string;
}

/** The encapsulation this node's CNI uses, from the devices it made (and its own config). */
function overlayOf(facts: NodeFacts, kind: CniKind | undefined): Overlay | undefined {
  const has = (d: string) => facts.host?.mtus?.[d] !== undefined;
  if (kind === 'flannel') {
    const backend = facts.cluster?.flannel?.backend?.toLowerCase();
    if (has('flannel-wg') || backend === 'wireguard') return { encap: 'WireGuard', device: 'flannel-wg' };
    if (has('flannel.1') || backend === 'vxlan') return { encap: 'VXLAN', device: 'flannel.1' };
    return undefined; // host-gw: routed, not encapsulated
  }
  if (kind === 'calico') {
    if (has('wireguard.cali')) return { encap: 'WireGuard', device: 'wireguard.cali', felixField: 'wireguardMTU' };
    if (has('vxlan.calico')) return { encap: 'VXLAN', device: 'vxlan.calico', felixField: 'vxlanMTU' };
    const ipip = containerEnv(nodeCni(facts).agent?.pod, 'CALICO_IPV4POOL_IPIP');
    if (has('tunl0') && ipip !== 'Never') return { encap: 'IPIP', device: 'tunl0', felixField: 'ipipMTU' };
    return undefined;
  }
  if (kind === 'cilium') {
    if (has('cilium_vxlan')) return { encap: 'VXLAN', device: 'cilium_vxlan' };
    if (has('cilium_geneve')) return { encap: 'Geneve', device: 'cilium_geneve' };
    return undefined;
  }
  if (has('flannel.1')) return { encap: 'VXLAN', device: 'flannel.1' };
  return undefined;
}

/** The interface the overlay travels over: the default route's, else the InternalIP's. */
function underlayOf(facts: NodeFacts): string | undefined {
  const host = facts.host!;
  const route = host.routes && usableDefaultRoute(host);
  if (route) return route.iface;
  const ip = internalIP(facts.node);
  return ip ? host.routes?.find((r) => !isDefaultRoute(r) && r.gateway === '0.0.0.0' && containsAddress(parseCidr(`${r.destination}/${r.prefix}`), ip))?.iface : undefined;
}

interface Mismatch {
  node: string;
  podMtu: number;
  encap: Encap;
  overhead: number;
  iface: string;
  ifaceMtu: number;
  /** The pod MTU that fits: the interface's MTU less the encapsulation. */
  target: number;
  kind?: CniKind;
  restart: string;
  felixField?: string;
  operator: boolean;
  cniFile?: string;
}

function setMtu(a: Mismatch): string {
  const recreate = `Pods already running keep the old MTU: recreate them (kubectl drain ${a.node} --ignore-daemonsets --delete-emptydir-data && kubectl uncordon ${a.node}).`;
  switch (a.kind) {
    case 'flannel':
      return `flanneld derives FLANNEL_MTU from ${a.iface}'s MTU when it starts: restart it on ${a.node} (${a.restart}) and it writes FLANNEL_MTU=${a.target}. ${recreate}`;
    case 'calico':
      return a.operator
        ? `kubectl patch installation default --type merge -p '{"spec":{"calicoNetwork":{"mtu":${a.target}}}}' (the operator rolls calico-node). ${recreate}`
        : `kubectl patch felixconfiguration default --type merge -p '{"spec":{"${a.felixField ?? 'vxlanMTU'}":${a.target}}}' && kubectl -n kube-system patch configmap calico-config -p '{"data":{"veth_mtu":"${a.target}"}}'; then ${a.restart}. ${recreate}`;
    case 'cilium':
      return `kubectl -n kube-system patch configmap cilium-config -p '{"data":{"mtu":"${a.target}"}}' && kubectl -n kube-system rollout restart daemonset/cilium. ${recreate}`;
    default:
      return `Set "mtu": ${a.target} in ${a.cniFile ?? 'the CNI config in /etc/cni/net.d'}. ${recreate}`;
  }
}

const findings = {
  fits: {
    status: 'ok',
    summary: (a: { podMtu: number; encap: string; overhead: number; iface: string; ifaceMtu: number }) => `pod MTU ${a.podMtu} + ${a.encap} ${a.overhead} fits ${a.iface} (MTU ${a.ifaceMtu})`,
  },
  tooBig: {
    status: 'fail',
    summary: (a: Mismatch) =>
      `pod MTU ${a.podMtu} + ${a.encap} ${a.overhead} = ${a.podMtu + a.overhead} exceeds ${a.iface}'s MTU ${a.ifaceMtu}: pod packets between nodes over ${a.ifaceMtu - a.overhead} bytes are dropped`,
    remedy: setMtu,
  },
  noOverlay: { status: 'skip', summary: (a: { cni: string }) => `no encapsulation: ${a.cni} routes pod traffic as it is` },
  overlayDown: { status: 'skip', summary: (a: { device: string; cni: string }) => `no ${a.device} yet: nothing to measure until ${a.cni} is up (see cni-ready)` },
  cniUnknown: { status: 'unknown', summary: () => 'could not tell which CNI runs on this node' },
  incomplete: { status: 'unknown', summary: (a: { missing: string }) => `could not tell ${a.missing}` },
  notVisible: { status: 'unknown', summary: () => 'MTUs are not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const mtu = defineCheck({
  id: 'mtu',
  title: "Pod packets plus the overlay fit the node's interface",
  question: "Does the pod MTU plus the overlay's overhead (VXLAN 50, IPIP 20, WireGuard 60) fit the underlay NIC's MTU?",
  column: 'MTU',
  wide: true,
  rank: 65,
  needs: ['mtus', 'routes', 'subnetEnv', 'cniConfig', 'pods', 'node', 'flannel', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    if (!host.mtus) return found(findings, 'incomplete', { missing: 'the MTUs of the links' }, unavailableEvidence(facts, ['mtus']));
    const cni = nodeCni(facts);
    if (!cni.kind) return found(findings, 'cniUnknown', {}, unavailableEvidence(facts, ['pods', 'cniConfig']));
    const name = cni.agent?.name ?? cni.row?.name ?? 'the CNI';
    const overlay = overlayOf(facts, cni.kind);
    if (!overlay) return found(findings, 'noOverlay', { cni: name });
    // The MTU pods get: flannel writes it into subnet.env, Calico into the CNI config, Cilium onto
    // cilium_host; else the overlay device's own.
    const podMtu =
      cni.kind === 'flannel'
        ? (host.subnetEnv?.mtu ?? host.mtus[overlay.device])
        : cni.kind === 'cilium'
          ? (host.cniConfig?.mtu ?? host.mtus.cilium_host)
          : (host.cniConfig?.mtu ?? host.mtus[overlay.device]);
    if (podMtu === undefined && host.mtus[overlay.device] === undefined) return found(findings, 'overlayDown', { device: overlay.device, cni: name });
    const iface = underlayOf(facts);
    const ifaceMtu = iface ? host.mtus[iface] : undefined;
    const evidence = [
      `${overlay.encap} over ${overlay.device} (${OVERHEAD[overlay.encap]} bytes per packet)`,
      `pod MTU: ${podMtu ?? '(unknown)'}${cni.kind === 'flannel' && host.subnetEnv?.mtu ? ' (FLANNEL_MTU in /run/flannel/subnet.env)' : host.cniConfig?.mtu ? ` (${host.cniConfig.file})` : ` (${cni.kind === 'cilium' ? 'cilium_host' : overlay.device})`}`,
      `${iface ?? 'the interface carrying the overlay'}: MTU ${ifaceMtu ?? '(unknown)'}${iface ? " (the default route's interface)" : ''}`,
    ];
    if (podMtu === undefined || !iface || ifaceMtu === undefined) {
      const missing = podMtu === undefined ? 'the pod MTU' : 'which interface carries the overlay, or its MTU';
      return found(findings, 'incomplete', { missing }, [...evidence, ...unavailableEvidence(facts, ['routes', 'subnetEnv', 'cniConfig'])]);
    }
    const overhead = OVERHEAD[overlay.encap];
    const headroom = { headroom: ifaceMtu - (podMtu + overhead) };
    if (podMtu + overhead > ifaceMtu) {
      const pod = cni.agent?.pod;
      return found(
        findings,
        'tooBig',
        {
          node: facts.nodeName,
          podMtu,
          encap: overlay.encap,
          overhead,
          iface,
          ifaceMtu,
          target: ifaceMtu - overhead,
          kind: cni.kind,
          restart: pod
            ? `kubectl -n ${pod.metadata?.namespace} delete pod ${pod.metadata?.name}`
            : `kubectl delete pods -A -l ${cni.row?.selector ?? 'k8s-app=calico-node'} --field-selector spec.nodeName=${facts.nodeName}`,
          felixField: overlay.felixField,
          operator: pod?.metadata?.namespace === 'calico-system',
          cniFile: host.cniConfig?.file,
        },
        evidence,
        headroom,
      );
    }
    return found(findings, 'fits', { podMtu, encap: overlay.encap, overhead, iface, ifaceMtu }, evidence, headroom);
  },
  metrics: [
    {
      name: 'netcheck_mtu_headroom_bytes',
      help: "The underlay interface's MTU less the pod MTU and the encapsulation's overhead; below 0, large pod packets between nodes are dropped",
      measure: 'headroom',
    },
  ],
  alerts: [
    {
      name: 'NetcheckMTUTooLarge',
      severity: 'warning',
      for: 'slow',
      expr: (q) => `${q.sel('netcheck_mtu_headroom_bytes')} < 0`,
      summary: "Pod packets plus the overlay do not fit a node's interface.",
      description:
        "On node {{ $labels.node }} the pod MTU plus the overlay's overhead exceeds the interface's MTU (headroom {{ $value }} bytes): large pod packets between nodes are dropped, so TLS handshakes and big responses hang.",
      fires: { netcheck_mtu_headroom_bytes: -100, 'netcheck_check_status{check="mtu",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
