import { nodeCni } from '../cni/cni';
import { defineCheck, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { CALICO_IPV4_ADDRESS, cniAddress, containerEnv, internalIP, ownerDaemonSet } from '../kube/objects';
import { peerIndex } from '../kube/peers';

// VirtualBox NAT gives every Vagrant VM this address on its first NIC (kubeadm troubleshooting).
const VAGRANT_NAT = '10.0.2.15';

interface Fix {
  node: string;
  /** The CNI's DaemonSet namespace and name. */
  namespace: string;
  daemonset: string;
  /** Calico installed by the Tigera operator: the Installation resource, not the DaemonSet, is edited. */
  operator: boolean;
  /** Another node's InternalIP: the interface that reaches it is the node network's. */
  peer?: string;
  ip?: string;
}

function calicoFix(a: Fix): string {
  if (a.operator) {
    return `Make Calico use the InternalIP: kubectl patch installation default --type merge -p '{"spec":{"calicoNetwork":{"nodeAddressAutodetectionV4":{"kubernetes":"NodeInternalIP"}}}}' (calico-node pods restart and re-detect).`;
  }
  return `Make Calico use the InternalIP: kubectl -n ${a.namespace} set env daemonset/${a.daemonset} IP_AUTODETECTION_METHOD=kubernetes-internal-ip (calico-node pods restart and re-detect${a.peer ? `; can-reach=${a.peer} also works` : ''}).`;
}

function flannelFix(a: Fix): string {
  if (!a.peer) {
    return `Make flannel use the node network: kubectl get nodes -o wide lists every node's INTERNAL-IP; add --iface-can-reach= with one of another node's to the kube-flannel container's args (kubectl -n ${a.namespace} edit daemonset ${a.daemonset}); the pods restart and re-detect.`;
  }
  const patch = JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value: `--iface-can-reach=${a.peer}` }]);
  return `Make flannel use the interface that reaches the other nodes (${a.peer} is another node's InternalIP): kubectl -n ${a.namespace} patch daemonset ${a.daemonset} --type json -p '${patch}' (the pods restart and re-detect).`;
}

const findings = {
  ok: { status: 'ok', summary: (a: { address: string }) => `${a.address} is the InternalIP` },
  shared: {
    status: 'fail',
    summary: (a: Fix & { address: string; vagrant: string; cni: string; others: string; calico: boolean }) => `${a.address}${a.vagrant} is also the ${a.cni} address of ${a.others}`,
    remedy: (a: Fix & { calico: boolean }) => (a.calico ? calicoFix(a) : flannelFix(a)),
  },
  sharedInternalIp: {
    status: 'fail',
    summary: (a: Fix & { others: string; calico: boolean }) => `InternalIP ${a.ip} is shared with ${a.others}: the kubelet picked a NAT interface`,
    remedy: (a: Fix & { calico: boolean }) =>
      `On ${a.node}: find the host's own address (ip -br -4 addr), set it as the kubelet's --node-ip (KUBELET_EXTRA_ARGS in /etc/default/kubelet on Debian/Ubuntu, /etc/sysconfig/kubelet on RHEL) and systemctl restart kubelet; then: ${a.calico ? calicoFix(a) : flannelFix(a)}`,
  },
  notInternalIp: {
    status: 'fail',
    summary: (a: Fix & { cni: string; address: string; calico: boolean }) => `${a.cni} chose ${a.address}, not the node's InternalIP ${a.ip}`,
    remedy: (a: Fix & { calico: boolean }) => (a.calico ? calicoFix(a) : flannelFix(a)),
  },
  notAnnotated: { status: 'unknown', summary: (a: { cni: string }) => `${a.cni} has not annotated the node with its address yet` },
  noAddress: { status: 'skip', summary: (a: { cni: string }) => `no flannel or Calico address on this node${a.cni}` },
  nodeUnreadable: { status: 'unknown', summary: (a: { node: string }) => `node ${a.node} could not be read` },
} as const;

export const nodeAddress = defineCheck({
  id: 'node-address',
  title: "The CNI's chosen node address is the node's InternalIP, and unique",
  question: "Is the address the CNI chose (flannel public-ip, Calico IPv4Address) the node's InternalIP, and unique?",
  column: 'ADDRESS',
  rank: 60,
  explains: ['bgp-established', 'flannel-subnet-env'],
  needs: ['node', 'pods', 'peers'],
  // Other nodes are listed to see who else uses a suspicious address (not the InternalIP, or the
  // NAT address every Vagrant VM shares), and to name a peer for --iface-can-reach.
  fetchWhen: {
    peers: (f) => {
      const chosen = cniAddress(f.node)?.address;
      return (chosen !== undefined && chosen !== internalIP(f.node)) || [chosen, internalIP(f.node)].includes(VAGRANT_NAT);
    },
  },
  seenBest: 'api',
  findings,
  evaluate(facts: NodeFacts) {
    const node = facts.nodeName;
    if (!facts.node) return found(findings, 'nodeUnreadable', { node }, unavailableEvidence(facts, ['node']));
    const cni = nodeCni(facts);
    const chosen = cniAddress(facts.node);
    const ip = internalIP(facts.node);
    if (!chosen) {
      if (cni.kind === 'flannel' || cni.kind === 'calico') return found(findings, 'notAnnotated', { cni: cni.kind });
      return found(findings, 'noAddress', { cni: cni.agent ? ` (${cni.agent.name})` : '' });
    }
    const calico = chosen.annotation === CALICO_IPV4_ADDRESS;
    const evidence = [`annotation ${chosen.annotation}: ${chosen.address}`, `InternalIP: ${ip ?? '(none)'}`];
    if (calico) evidence.push(`calico-node IP_AUTODETECTION_METHOD: ${containerEnv(cni.agent?.pod, 'IP_AUTODETECTION_METHOD') ?? '(unset: first-found)'}`);
    const pod = cni.agent?.pod;
    const peers = facts.cluster?.peers && peerIndex(facts.cluster.peers);
    // A peer whose InternalIP is not this node's and not shared: the network to reach.
    const peer = facts.cluster?.peers?.find(
      (p) => p.name !== node && p.internalIP && p.internalIP !== ip && p.internalIP !== VAGRANT_NAT && (peers?.withInternalIP(p.internalIP).length ?? 0) === 1,
    )?.internalIP;
    const fix: Fix = {
      node,
      ip,
      peer,
      namespace: pod?.metadata?.namespace ?? (calico ? 'kube-system' : 'kube-flannel'),
      daemonset: ownerDaemonSet(pod, calico ? 'calico-node' : 'kube-flannel-ds'),
      operator: calico && pod?.metadata?.namespace === 'calico-system',
    };
    const cniName = calico ? 'Calico' : 'flannel';
    const others = (names: string[]) => names.filter((n) => n !== node);
    const sharing = peers ? others(peers.withCniAddress(chosen.address)) : [];
    if (sharing.length) {
      evidence.push(`the same address is used by ${sharing.join(', ')}`);
      const vagrant = chosen.address === VAGRANT_NAT ? ' (the VirtualBox/Vagrant NAT address every VM shares)' : '';
      return found(findings, 'shared', { ...fix, address: chosen.address, vagrant, cni: cniName, others: sharing.join(', '), calico }, evidence);
    }
    const sameInternal = ip && peers ? others(peers.withInternalIP(ip)) : [];
    if (sameInternal.length) {
      evidence.push(`InternalIP ${ip} is also the InternalIP of ${sameInternal.join(', ')}`);
      return found(findings, 'sharedInternalIp', { ...fix, others: sameInternal.join(', '), calico }, evidence);
    }
    if (ip && chosen.address !== ip) return found(findings, 'notInternalIp', { ...fix, cni: cniName, address: chosen.address, calico }, evidence);
    evidence.push(peers ? `unique among ${peers.count} nodes` : 'uniqueness not compared (other nodes not listed)');
    return found(findings, 'ok', { address: chosen.address }, evidence);
  },
  metrics: [],
  alerts: [
    {
      name: 'NetcheckNodeAddressMismatch',
      severity: 'warning',
      for: 'slow',
      expr: (q) => q.status('node-address', 'fail'),
      summary: "The CNI uses an address that is not the node's InternalIP, or one another node uses too.",
      description: 'The address flannel or Calico chose on node {{ $labels.node }} is wrong; cross-node pod traffic to it fails.',
      fires: { 'netcheck_check_status{check="node-address",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
