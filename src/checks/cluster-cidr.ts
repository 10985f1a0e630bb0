import { type Check, unavailableEvidence } from '../check';
import { contains, parseCidr, sameCidr } from '../cidr';
import { KCM_MANIFEST, allocatesNodeCidrs, podNetworkClaims } from '../cluster-network';
import { finding } from '../model';

export const clusterCidr: Check = {
  id: 'cluster-cidr',
  title: 'Controller-manager, kubeadm, flannel and Calico agree on the pod network',
  needs: ['controllerManager', 'kubeadm', 'flannel'],
  seenBest: 'api',
  evaluate(facts) {
    const claims = podNetworkClaims(facts.cluster);
    const evidence = claims.map((c) => `${c.who}: ${c.cidr} (${c.source})`);
    const kcm = facts.cluster?.controllerManager;
    if (kcm) evidence.push(`kube-controller-manager --allocate-node-cidrs=${kcm.flags['allocate-node-cidrs'] ?? '(unset)'} (${kcm.source})`);
    if (claims.length === 0) {
      return finding.unknown('no pod network declaration could be read', [...evidence, ...unavailableEvidence(facts, ['controllerManager', 'kubeadm', 'flannel'])]);
    }
    const byWho = (prefix: string) => claims.find((c) => c.who.startsWith(prefix));
    const controller = byWho('kube-controller-manager');
    const kubeadm = byWho('kubeadm');
    const flannel = byWho('flannel');
    const calico = byWho('Calico');
    const reference = controller ?? kubeadm;
    const failures: string[] = [];
    const warnings: string[] = [];
    if (controller && kubeadm && !sameCidr(parseCidr(controller.cidr), parseCidr(kubeadm.cidr))) {
      failures.push(`--cluster-cidr ${controller.cidr} differs from kubeadm podSubnet ${kubeadm.cidr}`);
    }
    if (flannel && reference && !contains(parseCidr(flannel.cidr), parseCidr(reference.cidr))) {
      failures.push(`flannel's Network ${flannel.cidr} does not contain ${reference.who.split(' ').pop()} ${reference.cidr}`);
    }
    if (flannel && allocatesNodeCidrs(facts.cluster) === false) {
      failures.push('flannel needs node podCIDRs but kube-controller-manager does not allocate them (--allocate-node-cidrs is not true)');
    }
    if (calico && reference && !contains(parseCidr(reference.cidr), parseCidr(calico.cidr))) {
      warnings.push(`Calico's pool ${calico.cidr} is outside ${reference.cidr}`);
    }
    const network = flannel?.cidr ?? reference?.cidr ?? '<pod network CIDR>';
    const remedy =
      `Pick one pod network (${network}) and declare it everywhere: --allocate-node-cidrs=true --cluster-cidr=${network} in ${KCM_MANIFEST}, ` +
      `networking.podSubnet in kubectl -n kube-system edit cm kubeadm-config, and Network in flannel's net-conf.json ` +
      '(nodes keep the podCIDR they have; recreate nodes whose podCIDR falls outside).';
    if (failures.length) return finding.fail(failures[0], [...evidence, ...failures.slice(1)], remedy);
    if (warnings.length) return finding.warn(warnings[0], evidence, 'Calico IPAM allocates from its IPPools; keep them inside the cluster CIDR so kube-proxy --cluster-cidr masquerading matches.');
    return finding.ok(claims.length > 1 ? `all agree on ${reference?.cidr ?? claims[0].cidr}` : `${claims[0].who}: ${claims[0].cidr}`, evidence);
  },
};
