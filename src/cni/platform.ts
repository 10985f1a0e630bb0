// Which platform a node belongs to, from what its Node object says of itself: the cloud's
// providerID (aws:///us-west-2a/i-..., gce://project/zone/instance, azure:///subscriptions/...,
// kind://docker/kind/...) and the labels and annotations the platform's node agents write
// (eks.amazonaws.com/nodegroup, cloud.google.com/gke-nodepool, kubernetes.azure.com/*,
// node.kubernetes.io/instance-type=k3s, k3s.io/* and rke2.io/* annotations, node.openshift.io/os_id).
// A managed control plane hides its controller-manager: the checks that read its flags name the
// platform's own fix instead.
import type { V1Node } from '@kubernetes/client-node';

/**
 * Where k3s's containerd reads CNI configs (the conf_dir of the config.toml k3s writes under
 * /var/lib/rancher/k3s/agent/etc/containerd): not /etc/cni/net.d, and mounted into the agent only
 * with deploy/components/k3s.
 */
export const K3S_CNI_CONF_DIR = '/var/lib/rancher/k3s/agent/etc/cni/net.d';
/** Where containerd and CRI-O read CNI configs unless their config names another directory. */
export const DEFAULT_CNI_CONF = '/etc/cni/net.d';

export type PlatformId = 'eks' | 'gke' | 'aks' | 'k3s' | 'rke2' | 'openshift' | 'kind';

export interface Platform {
  id: PlatformId;
  /** As people name it. */
  name: string;
  /** The control plane is run by the cloud: no controller-manager pod, no manifest to edit. */
  managed: boolean;
  /** What gave it away, for the evidence. */
  evidence: string;
  /** gce://PROJECT/ZONE/INSTANCE, azure's resource path, aws:///ZONE/INSTANCE: parts the platform's commands take. */
  project?: string;
  zone?: string;
  instance?: string;
  /** AKS: the node resource group (MC_...), which names the cluster in `az aks list`. */
  resourceGroup?: string;
}

const labelKeys = (node: V1Node) => Object.keys(node.metadata?.labels ?? {});
const annotationKeys = (node: V1Node) => Object.keys(node.metadata?.annotations ?? {});

export function platformOf(node: V1Node | undefined): Platform | undefined {
  if (!node) return undefined;
  const providerID = node.spec?.providerID ?? '';
  const labels = node.metadata?.labels ?? {};
  const label = (prefix: string) => labelKeys(node).find((k) => k.startsWith(prefix));
  const annotation = (prefix: string) => annotationKeys(node).find((k) => k.startsWith(prefix));
  const instanceType = labels['node.kubernetes.io/instance-type'];
  // The distributions first: k3s and RKE2 also run on EC2, GCE and Azure VMs.
  if (instanceType === 'k3s' || annotation('k3s.io/'))
    return { id: 'k3s', name: 'k3s', managed: false, evidence: instanceType === 'k3s' ? 'label node.kubernetes.io/instance-type=k3s' : `annotation ${annotation('k3s.io/')}` };
  if (instanceType === 'rke2' || annotation('rke2.io/'))
    return { id: 'rke2', name: 'RKE2', managed: false, evidence: instanceType === 'rke2' ? 'label node.kubernetes.io/instance-type=rke2' : `annotation ${annotation('rke2.io/')}` };
  if (label('node.openshift.io/') || annotation('machineconfiguration.openshift.io/')) {
    return {
      id: 'openshift',
      name: 'OpenShift',
      managed: false,
      evidence: label('node.openshift.io/') ? `label ${label('node.openshift.io/')}` : `annotation ${annotation('machineconfiguration.openshift.io/')}`,
    };
  }
  if (providerID.startsWith('kind://')) return { id: 'kind', name: 'kind', managed: false, evidence: `providerID ${providerID.slice(0, 120)}` };
  const eks = label('eks.amazonaws.com/') ?? label('alpha.eksctl.io/');
  if (eks) {
    const m = /^aws:\/\/\/([^/]+)\/([^/]+)$/.exec(providerID);
    return { id: 'eks', name: 'EKS', managed: true, evidence: `label ${eks}${providerID ? `, providerID ${providerID.slice(0, 120)}` : ''}`, zone: m?.[1], instance: m?.[2] };
  }
  const gke = label('cloud.google.com/gke-');
  if (gke) {
    const m = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(providerID);
    return { id: 'gke', name: 'GKE', managed: true, evidence: `label ${gke}${providerID ? `, providerID ${providerID.slice(0, 120)}` : ''}`, project: m?.[1], zone: m?.[2], instance: m?.[3] };
  }
  const aks = label('kubernetes.azure.com/');
  if (aks) {
    const fromId = /^azure:\/\/\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\//i.exec(providerID)?.[1];
    const resourceGroup = labels['kubernetes.azure.com/cluster'] ?? fromId;
    return { id: 'aks', name: 'AKS', managed: true, evidence: `label ${aks}${providerID ? `, providerID ${providerID.slice(0, 160)}` : ''}`, ...(resourceGroup ? { resourceGroup } : {}) };
  }
  return undefined;
}
