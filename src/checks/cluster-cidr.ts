import { allocatesNodeCidrs, KCM_MANIFEST, podNetworkClaims } from '../cni/cluster-network';
import { nodeCni, usesPodCidr } from '../cni/cni';
import { platformOf } from '../cni/platform';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import { podCIDRs } from '../kube/objects';
import { contains, parseCidr, sameCidr } from '../util/cidr';

const findings = {
  agree: { status: 'ok', summary: (a: { cidr: string }) => `all agree on ${a.cidr}` },
  single: { status: 'ok', summary: (a: { who: string; cidr: string }) => `${a.who}: ${a.cidr}` },
  disagree: {
    status: 'fail',
    summary: (a: { problem: string; network: string }) => a.problem,
    remedy: (a: { network: string; controller: string }) =>
      `Pick one pod network (${a.network}) and declare it everywhere: ${a.controller}, ` +
      `networking.podSubnet in kubectl -n kube-system edit cm kubeadm-config, and Network in flannel's net-conf.json ` +
      '(these are cluster-wide settings; nodes keep the podCIDR they have; recreate nodes whose podCIDR falls outside).',
    steps: (): FindingStep[] => [{ on: 'cluster', run: "kubectl -n kube-system get cm kubeadm-config -o jsonpath='{.data.ClusterConfiguration}'" }],
  },
  calicoOutside: {
    status: 'warn',
    summary: (a: { pool: string; cidr: string }) => `Calico's pool ${a.pool} is outside ${a.cidr}`,
    remedy: (a: { pool: string; cidr: string }) =>
      `Calico IPAM allocates from its IPPools: keep them inside ${a.cidr} so kube-proxy's --cluster-cidr masquerading matches (kubectl get ippools -o wide; a new pool inside ${a.cidr}, then disable ${a.pool}).`,
    steps: (): FindingStep[] => [{ on: 'cluster', run: 'kubectl get ippools -o wide' }],
  },
  noClusterCidr: {
    status: 'skip',
    summary: (a: { cni: string }) => `${a.cni} gives pods addresses of its own (not node podCIDRs): there is no cluster CIDR for it to agree with`,
  },
  managed: {
    status: 'skip',
    summary: (a: { platform: string }) => `${a.platform} manages the control plane: its --cluster-cidr is hidden, and nothing else here declares the pod network`,
  },
  nothing: { status: 'unknown', summary: () => 'no pod network declaration could be read' },
} as const;

export const clusterCidr = defineCheck({
  id: 'cluster-cidr',
  title: 'Controller-manager, kubeadm, flannel and Calico agree on the pod network',
  question: 'Do controller-manager --allocate-node-cidrs/--cluster-cidr, kubeadm podSubnet, flannel net-conf Network and Calico IPPools agree?',
  column: 'CLUSTER-CIDR',
  rank: 40,
  explains: ['pod-cidr-assigned', 'flannel-subnet-env'],
  needs: ['controllerManager', 'kubeadm', 'flannel'],
  seenBest: 'api',
  findings,
  evaluate(facts) {
    const claims = podNetworkClaims(facts.cluster, facts.node);
    const evidence = claims.map((c) => `${c.who}: ${c.cidr} (${c.source})`);
    const kcm = facts.cluster?.controllerManager;
    if (kcm) evidence.push(`kube-controller-manager --allocate-node-cidrs=${kcm.flags['allocate-node-cidrs'] ?? '(unset)'} (${kcm.source})`);
    if (claims.length === 0) {
      const missing = unavailableEvidence(facts, ['controllerManager', 'kubeadm', 'flannel']);
      const cni = nodeCni(facts);
      if (cni.row && usesPodCidr(cni, undefined) === false) return found(findings, 'noClusterCidr', { cni: cni.row.name }, [`CNI: ${cni.row.name} (${cni.source})`, ...missing]);
      const platform = platformOf(facts.node);
      if (platform?.managed) {
        const cidrs = podCIDRs(facts.node);
        return found(findings, 'managed', { platform: platform.name }, [
          `platform ${platform.name} (${platform.evidence})`,
          ...(cidrs.length ? [`spec.podCIDRs: ${cidrs.join(', ')}`] : []),
          ...missing,
        ]);
      }
      return found(findings, 'nothing', {}, [...evidence, ...missing]);
    }
    const byWho = (prefix: string) => claims.find((c) => c.who.startsWith(prefix));
    const controller = byWho('kube-controller-manager') ?? claims.find((c) => / server --cluster-cidr/.test(c.who));
    const kubeadm = byWho('kubeadm');
    const flannel = byWho('flannel');
    const calico = byWho('Calico');
    const reference = controller ?? kubeadm;
    const failures: string[] = [];
    if (controller && kubeadm && !sameCidr(parseCidr(controller.cidr), parseCidr(kubeadm.cidr))) {
      failures.push(`--cluster-cidr ${controller.cidr} differs from kubeadm podSubnet ${kubeadm.cidr}`);
    }
    if (flannel && reference && !contains(parseCidr(flannel.cidr), parseCidr(reference.cidr))) {
      failures.push(`flannel's Network ${flannel.cidr} does not contain ${reference.who.split(' ').pop()} ${reference.cidr}`);
    }
    if (flannel && allocatesNodeCidrs(facts.cluster) === false) {
      failures.push('flannel needs node podCIDRs but kube-controller-manager does not allocate them (--allocate-node-cidrs is not true)');
    }
    // The network to settle on: flannel's (what pods already use), else the controller-manager's.
    const network = (flannel ?? reference ?? claims[0]).cidr;
    const platform = platformOf(facts.node);
    const config = platform?.id === 'k3s' || platform?.id === 'rke2' ? `/etc/rancher/${platform.id}/config.yaml` : undefined;
    const where = config ? `cluster-cidr: ${network} in ${config} on every server node` : `--allocate-node-cidrs=true --cluster-cidr=${network} in ${KCM_MANIFEST}`;
    if (failures.length) return found(findings, 'disagree', { problem: failures[0], network, controller: where }, [...evidence, ...failures.slice(1)]);
    if (calico && reference && !contains(parseCidr(reference.cidr), parseCidr(calico.cidr))) return found(findings, 'calicoOutside', { pool: calico.cidr, cidr: reference.cidr }, evidence);
    if (claims.length > 1) return found(findings, 'agree', { cidr: reference?.cidr ?? claims[0].cidr }, evidence);
    return found(findings, 'single', { who: claims[0].who, cidr: claims[0].cidr }, evidence);
  },
  metrics: [],
  alerts: [
    {
      name: 'NetcheckClusterCIDRInconsistent',
      severity: 'warning',
      for: 'slowest',
      expr: (q) => q.status('cluster-cidr', 'fail'),
      summary: 'The pod network is declared differently in different places.',
      description: 'kube-controller-manager, kubeadm, flannel or Calico disagree on the pod network (seen from node {{ $labels.node }}); new nodes may get no podCIDR, or one flannel refuses.',
      fires: { 'netcheck_check_status{check="cluster-cidr",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
