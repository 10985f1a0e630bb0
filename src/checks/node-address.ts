import { nodeCni } from '../cni/cni';
import { defineCheck, type FindingStep, found, onCluster, onNode, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { CALICO_IPV4_ADDRESS, cniAddress, containerEnv, internalIP, ownerDaemonSet } from '../kube/objects';
import { peerIndex } from '../kube/peers';
import { type PodOnNode, podOnNode, restartPodOnNode } from '../remedy/pods';
import { shq } from '../remedy/shell';

// VirtualBox NAT gives every Vagrant VM this address on its first NIC (kubeadm troubleshooting).
const VAGRANT_NAT = '10.0.2.15';

interface Fix extends PodOnNode {
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

const FLANNEL_PUBLIC_IP_OVERWRITE = 'flannel.alpha.coreos.com/public-ip-overwrite';

function calicoFix(a: Fix): string {
  if (a.operator) {
    return "Make Calico use the InternalIP: the operator's Installation sets how every node detects its address (cluster-wide: calico-node restarts on every node and re-detects; node addresses already right stay the same).";
  }
  return `Make Calico use the InternalIP on ${a.node}: set it on ${a.node}'s Calico node (/32: with CrossSubnet encapsulation every peer then counts as remote). calico-node detects its address again when it restarts while its IP env is autodetect, so the last step makes it lasting: cluster-wide, it restarts calico-node on every node, and an operator or Helm install reverts it (set it in their values instead; can-reach= with another node's InternalIP also works).`;
}

function calicoSteps(a: Fix): FindingStep[] {
  if (a.operator) {
    return [onCluster(`kubectl patch installation default --type merge -p ${shq(JSON.stringify({ spec: { calicoNetwork: { nodeAddressAutodetectionV4: { kubernetes: 'NodeInternalIP' } } } }))}`)];
  }
  return [
    ...(a.ip ? [onCluster(`calicoctl patch node ${a.node} --patch ${shq(JSON.stringify({ spec: { bgp: { ipv4Address: `${a.ip}/32` } } }))}`)] : []),
    onCluster(`kubectl -n ${shq(a.namespace)} set env ${shq(`daemonset/${a.daemonset}`)} IP_AUTODETECTION_METHOD=kubernetes-internal-ip`),
  ];
}

function flannelFix(a: Fix): string {
  return a.ip
    ? `Make flannel on ${a.node} use its InternalIP: annotate ${a.node} with ${FLANNEL_PUBLIC_IP_OVERWRITE} and restart flannel there only (the other nodes are left alone).`
    : `Make flannel on ${a.node} use the node network: the node has no InternalIP to name, so find the host's address first (ip -br -4 addr), then annotate ${a.node} with ${FLANNEL_PUBLIC_IP_OVERWRITE} and restart flannel there.`;
}

function flannelSteps(a: Fix): FindingStep[] {
  if (!a.ip) return [onNode('ip -br -4 addr')];
  return [onCluster(`kubectl annotate node ${a.node} --overwrite ${shq(`${FLANNEL_PUBLIC_IP_OVERWRITE}=${a.ip}`)}`), onCluster(restartPodOnNode(a))];
}

const fixOf = (a: Fix & { calico: boolean }) => (a.calico ? calicoFix(a) : flannelFix(a));
const stepsOf = (a: Fix & { calico: boolean }) => (a.calico ? calicoSteps(a) : flannelSteps(a));

const findings = {
  ok: { status: 'ok', summary: (a: { address: string }) => `${a.address} is the InternalIP` },
  shared: {
    status: 'fail',
    summary: (a: Fix & { address: string; vagrant: string; cni: string; others: string; calico: boolean }) => `${a.address}${a.vagrant} is also the ${a.cni} address of ${a.others}`,
    remedy: fixOf,
    steps: stepsOf,
  },
  sharedInternalIp: {
    status: 'fail',
    summary: (a: Fix & { others: string; calico: boolean }) => `InternalIP ${a.ip} is shared with ${a.others}: the kubelet picked a NAT interface`,
    remedy: (a: Fix & { calico: boolean }) =>
      `On ${a.node}: find the host's own address (the step lists them), set it as the kubelet's --node-ip (KUBELET_EXTRA_ARGS in /etc/default/kubelet on Debian/Ubuntu, /etc/sysconfig/kubelet on RHEL) and restart the kubelet to take it; then make ${a.calico ? 'Calico' : 'flannel'} use it (kubectl netcheck node ${a.node} again names the steps).`,
    steps: () => [onNode('ip -br -4 addr')],
  },
  notInternalIp: {
    status: 'fail',
    summary: (a: Fix & { cni: string; address: string; calico: boolean }) => `${a.cni} chose ${a.address}, not the node's InternalIP ${a.ip}`,
    remedy: fixOf,
    steps: stepsOf,
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
      ...podOnNode(pod, calico ? 'k8s-app=calico-node' : 'app=flannel', node),
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
