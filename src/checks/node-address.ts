import { type Check, unavailableEvidence } from '../check';
import { nodeCni } from '../cni';
import { CALICO_IPV4_ADDRESS, cniAddress, containerEnv, internalIP } from '../kube-objects';
import { finding } from '../model';
import { peerIndex } from '../peers';

// VirtualBox NAT gives every Vagrant VM this address on its first NIC (kubeadm troubleshooting).
const VAGRANT_NAT = '10.0.2.15';

export const nodeAddress: Check = {
  id: 'node-address',
  title: "The CNI's chosen node address is the node's InternalIP, and unique",
  needs: ['node', 'pods', 'peers'],
  seenBest: 'api',
  evaluate(facts) {
    if (!facts.node) return finding.unknown(`node ${facts.nodeName} could not be read`, unavailableEvidence(facts, ['node']));
    const cni = nodeCni(facts);
    const chosen = cniAddress(facts.node);
    const ip = internalIP(facts.node);
    if (!chosen) {
      if (cni.kind === 'flannel' || cni.kind === 'calico') return finding.unknown(`${cni.kind} has not annotated the node with its address yet`, []);
      return finding.skip(`no flannel or Calico address on this node${cni.agent ? ` (${cni.agent.name})` : ''}`);
    }
    const calico = chosen.annotation === CALICO_IPV4_ADDRESS;
    const evidence = [`annotation ${chosen.annotation}: ${chosen.address}`, `InternalIP: ${ip ?? '(none)'}`];
    const method = containerEnv(cni.agent?.pod, 'IP_AUTODETECTION_METHOD');
    if (calico) evidence.push(`calico-node IP_AUTODETECTION_METHOD: ${method ?? '(unset: first-found)'}`);
    const calicoFix =
      `Make Calico use the InternalIP: kubectl -n ${cni.agent?.pod.metadata?.namespace ?? 'kube-system'} set env daemonset/calico-node IP_AUTODETECTION_METHOD=kubernetes-internal-ip ` +
      '(or interface=<nic> / can-reach=<a peer InternalIP>); calico-node re-detects on restart.';
    const flannelFix =
      `Make flannel use the node's network: add --iface=<nic of ${ip ?? 'the InternalIP'}> (or --iface-can-reach=<a peer InternalIP>) to the kube-flannel container args ` +
      `(kubectl -n ${cni.agent?.pod.metadata?.namespace ?? 'kube-flannel'} edit daemonset ${cni.agent?.pod.metadata?.generateName?.replace(/-$/, '') ?? 'kube-flannel-ds'}), then let the pods restart.`;
    const fix = calico ? calicoFix : flannelFix;

    const peers = facts.cluster?.peers && peerIndex(facts.cluster.peers);
    const others = (names: string[]) => names.filter((n) => n !== facts.nodeName);
    const sharing = peers ? others(peers.withCniAddress(chosen.address)) : [];
    if (sharing.length) {
      evidence.push(`the same address is used by ${sharing.join(', ')}`);
      const vagrant = chosen.address === VAGRANT_NAT ? ' (the VirtualBox/Vagrant NAT address every VM shares)' : '';
      return finding.fail(`${chosen.address}${vagrant} is also the ${calico ? 'Calico' : 'flannel'} address of ${sharing.join(', ')}`, evidence, fix);
    }
    const sameInternal = ip && peers ? others(peers.withInternalIP(ip)) : [];
    if (sameInternal.length) {
      evidence.push(`InternalIP ${ip} is also the InternalIP of ${sameInternal.join(', ')}`);
      return finding.fail(
        `InternalIP ${ip} is shared with ${sameInternal.join(', ')}: the kubelet picked a NAT interface`,
        evidence,
        `Set the kubelet's --node-ip to the host's own address (KUBELET_EXTRA_ARGS in /etc/default/kubelet or /etc/sysconfig/kubelet), restart the kubelet, then: ${fix}`,
      );
    }
    if (ip && chosen.address !== ip) {
      return finding.fail(`${calico ? 'Calico' : 'flannel'} chose ${chosen.address}, not the node's InternalIP ${ip}`, evidence, fix);
    }
    if (!peers) evidence.push('uniqueness not compared (other nodes not listed)');
    else evidence.push(`unique among ${peers.count} nodes`);
    return finding.ok(`${chosen.address} is the InternalIP`, evidence);
  },
};
