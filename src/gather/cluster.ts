// The cluster's declarations of its pod network: the controller-manager's flags, kubeadm's
// ClusterConfiguration, flannel's net-conf.json, Calico's default pool. Read by the plugin for each
// run, and by the agent every ten minutes.
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { cniAgent } from '../cni/cni';
import type { ClusterFacts, NodeFacts } from '../core/facts';
import { containerArgv, containerEnv } from '../kube/objects';
import { type KubeClient, withQuery } from '../kubeapi/kube-client';
import { parseCommandFlags } from '../parsers/command-flags';
import { parseFlannelNetConf } from '../parsers/flannel-net-conf';
import { parseKubeadmClusterConfiguration } from '../parsers/kubeadm-config';
import { attempt } from './shared';

/** The configMap a flannel pod mounts its net-conf.json from: the one it really uses. */
function flannelConfigMapPath(pod: V1Pod): string | undefined {
  const cm = pod.spec?.volumes?.map((v) => v.configMap?.name).find((n) => n && /flannel/.test(n));
  return cm ? `/api/v1/namespaces/${pod.metadata?.namespace}/configmaps/${cm}` : undefined;
}

/** The controller-manager's pod, whose flags declare the cluster CIDR: needs nothing else, so callers start it first. */
export function readControllerManager(client: KubeClient, unavailable: NodeFacts['unavailable']): Promise<{ items: V1Pod[] } | undefined> {
  return attempt(unavailable, 'controllerManager', () =>
    client.get<{ items: V1Pod[] }>(withQuery('/api/v1/namespaces/kube-system/pods', { labelSelector: 'component=kube-controller-manager', limit: '1' })),
  );
}

/**
 * Cluster-wide declarations of the pod network. The controller-manager's flags are the truth;
 * kubeadm-config is read only when no controller-manager pod is visible (e.g. it runs outside
 * kube-system), since kubeadm writes its podSubnet into those very flags.
 */
export async function gatherCluster(
  client: KubeClient,
  unavailable: NodeFacts['unavailable'],
  cniPods: V1Pod[] | Promise<V1Pod[]>,
  controllerManager = readControllerManager(client, unavailable),
): Promise<ClusterFacts> {
  const cluster: ClusterFacts = {};
  const pods = await cniPods;
  const flannelPod = pods.find((p) => cniAgent([p])?.kind === 'flannel');
  const calicoPod = pods.find((p) => cniAgent([p])?.kind === 'calico');
  const flannelCm = flannelPod && flannelConfigMapPath(flannelPod);
  const [kcmPods, netConf] = await Promise.all([controllerManager, flannelCm ? attempt(unavailable, 'flannel', () => client.find<V1ConfigMap>(flannelCm)) : undefined]);
  const kcm = kcmPods?.items[0];
  if (kcm) {
    cluster.controllerManager = { flags: Object.fromEntries(parseCommandFlags(containerArgv(kcm))), source: `pod kube-system/${kcm.metadata?.name}` };
  } else if (kcmPods) {
    unavailable.controllerManager = 'no kube-controller-manager pod in kube-system (managed control plane?)';
  }
  if (!kcm) {
    const cm = await attempt(unavailable, 'kubeadm', () => client.find<V1ConfigMap>('/api/v1/namespaces/kube-system/configmaps/kubeadm-config'));
    const text = cm?.data?.ClusterConfiguration;
    if (text) {
      await attempt(unavailable, 'kubeadm', async () => {
        cluster.kubeadm = { podSubnet: parseKubeadmClusterConfiguration(text).podSubnet, source: 'configmap kube-system/kubeadm-config' };
      });
    }
  }
  const netConfText = netConf?.data?.['net-conf.json'];
  if (netConfText) {
    await attempt(unavailable, 'flannel', async () => {
      const conf = parseFlannelNetConf(netConfText);
      cluster.flannel = { network: conf.network, backend: conf.backend, source: `configmap ${netConf!.metadata?.namespace}/${netConf!.metadata?.name}` };
    });
  }
  const pool = containerEnv(calicoPod, 'CALICO_IPV4POOL_CIDR');
  if (pool) cluster.calicoPool = { cidr: pool, source: `env of pod ${calicoPod!.metadata?.namespace}/${calicoPod!.metadata?.name}` };
  return cluster;
}
