import { nodeCni } from '../cni/cni';
import { defineCheck, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { containerEnv } from '../kube/objects';
import { hostFactRemedy } from '../remedy/agent';
import { shq, shqAll } from '../remedy/shell';

interface Need {
  module: string;
  why: string;
  /** Needed for sure (its device or config says so), or only likely (flannel's default backend). */
  sure: boolean;
}

/** The modules this node's CNI and kube-proxy use, from what the node shows of them. */
function needed(facts: NodeFacts): Need[] {
  const host = facts.host!;
  const cni = nodeCni(facts);
  const has = (dev: string) => host.mtus?.[dev] !== undefined || (dev === 'flannel.1' && typeof host.vtepMac === 'string');
  const out: Need[] = [];
  if (cni.kind === 'flannel') {
    const backend = facts.cluster?.flannel?.backend?.toLowerCase();
    if (backend === 'wireguard' || has('flannel-wg')) out.push({ module: 'wireguard', why: 'flannel wireguard backend', sure: true });
    else if (backend === 'vxlan' || has('flannel.1')) out.push({ module: 'vxlan', why: 'flannel vxlan backend', sure: true });
    else if (backend === undefined) out.push({ module: 'vxlan', why: "flannel's default backend (vxlan)", sure: false });
  }
  if (cni.kind === 'calico') {
    if (has('vxlan.calico')) out.push({ module: 'vxlan', why: 'Calico VXLAN (vxlan.calico)', sure: true });
    if (has('wireguard.cali')) out.push({ module: 'wireguard', why: 'Calico WireGuard (wireguard.cali)', sure: true });
    const ipip = containerEnv(cni.agent?.pod, 'CALICO_IPV4POOL_IPIP');
    if (has('tunl0') || (cni.agent && ipip !== undefined && ipip !== 'Never')) out.push({ module: 'ipip', why: 'Calico IPIP (tunl0)', sure: true });
  }
  if (cni.kind === 'cilium' && has('cilium_vxlan')) out.push({ module: 'vxlan', why: 'Cilium VXLAN tunnel', sure: true });
  if (cni.kind === 'cilium' && has('cilium_geneve')) out.push({ module: 'geneve', why: 'Cilium Geneve tunnel', sure: true });
  if ((facts.pods ?? []).some((p) => p.metadata?.labels?.['k8s-app'] === 'kube-proxy')) out.push({ module: 'nf_conntrack', why: 'kube-proxy', sure: true });
  return out;
}

interface Absent {
  node: string;
  modules: string[];
  release?: string;
  /** The package that has them, where the kernel's release names its distribution. */
  pkg?: string;
}

/** Ubuntu ships vxlan, wireguard and ip_vs for some kernels in linux-modules-extra (k3s-io/docs#305). */
function extraPackage(release: string | undefined): string | undefined {
  if (!release) return undefined;
  if (/^\d+\.\d+\.\d+-\d+-raspi$/.test(release)) return 'linux-modules-extra-raspi';
  if (/^\d+\.\d+\.\d+-\d+-(generic|lowlatency|aws|azure|gcp|oracle|kvm|ibm)$/.test(release)) return `linux-modules-extra-${release}`;
  return undefined;
}

const findings = {
  present: { status: 'ok', summary: (a: { modules: string }) => `${a.modules}: present` },
  absent: {
    status: 'fail',
    summary: (a: Absent) => `${a.modules.join(', ')} ${a.modules.length > 1 ? 'are' : 'is'} not in this kernel${a.release ? ` (${a.release})` : ''}: neither loaded, built in, nor installed`,
    remedy: (a: Absent) =>
      a.pkg
        ? `On ${a.node}, install the package with the module${a.modules.length > 1 ? 's' : ''} and load ${a.modules.length > 1 ? 'them' : 'it'}; then restart the CNI's pod on the node.`
        : `On ${a.node}, install your distribution's package with ${a.modules.join(', ')} for kernel ${a.release ?? '(uname -r)'} (modinfo ${a.modules[0]} says when it is there), load ${a.modules.length > 1 ? 'them' : 'it'}, then restart the CNI's pod on the node.`,
    steps: (a: Absent) => [...(a.pkg ? [{ on: 'node' as const, run: `apt-get install -y ${shq(a.pkg)}` }] : []), { on: 'node' as const, run: `modprobe -a ${shqAll(a.modules)}` }],
  },
  likelyAbsent: {
    status: 'warn',
    summary: (a: Absent) => `${a.modules.join(', ')} ${a.modules.length > 1 ? 'are' : 'is'} not in this kernel${a.release ? ` (${a.release})` : ''}, and flannel's default backend needs vxlan`,
    remedy: (a: Absent) =>
      `If flannel uses the vxlan backend (kubectl -n kube-flannel get configmap kube-flannel-cfg -o yaml), install the module on ${a.node}${a.pkg ? '' : ` (your distribution's package for kernel ${a.release ?? '(uname -r)'})`} and load it.`,
    steps: (a: Absent) => [...(a.pkg ? [{ on: 'node' as const, run: `apt-get install -y ${shq(a.pkg)}` }] : []), { on: 'node' as const, run: `modprobe -a ${shqAll(a.modules)}` }],
  },
  none: { status: 'skip', summary: (a: { cni: string }) => `no kernel module to check for ${a.cni}` },
  cannotTell: { status: 'unknown', summary: (a: { modules: string }) => `${a.modules}: not loaded, and the agent cannot see /lib/modules to tell whether it is built in or installed` },
  unreadable: { status: 'unknown', summary: () => 'the kernel modules could not be read on the host' },
  notVisible: { status: 'unknown', summary: () => 'kernel modules are not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const kernelModules = defineCheck({
  id: 'kernel-modules',
  title: 'The kernel has the modules the CNI and kube-proxy use',
  question: 'Are the modules the CNI and kube-proxy need present (loaded, or built in per modules.builtin): vxlan, wireguard, ipip, ip_vs*, br_netfilter, nf_conntrack?',
  column: 'MODULES',
  wide: true,
  rank: 25,
  explains: ['cni-ready', 'flannel-subnet-env', 'mtu'],
  needs: ['kernelModules', 'mtus', 'vtepMac', 'pods', 'cniConfigFiles', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    if (!host) return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
    const km = host.kernelModules;
    if (!km) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['kernelModules']));
    const needs = needed(facts);
    const cni = nodeCni(facts);
    if (!needs.length) return found(findings, 'none', { cni: cni.agent?.name ?? cni.row?.name ?? 'this CNI' }, cni.source ? [`CNI: ${cni.source}`] : []);
    const how = { loaded: 'loaded (/proc/modules)', sysfs: 'present (/sys/module)', builtin: 'built in (modules.builtin)' };
    const evidence = needs.map(
      (n) => `${n.module} (${n.why}): ${km.present[n.module] ? how[km.present[n.module]] : km.available?.includes(n.module) ? 'installed, loaded on first use (modules.dep)' : 'not loaded'}`,
    );
    const gone = needs.filter((n) => !km.present[n.module] && !km.available?.includes(n.module));
    const measures = { missing: gone.filter((n) => n.sure).length };
    if (!gone.length) return found(findings, 'present', { modules: needs.map((n) => n.module).join(', ') }, evidence, measures);
    if (km.available === null || !km.builtinKnown) {
      return found(findings, 'cannotTell', { modules: gone.map((n) => n.module).join(', ') }, [
        ...evidence,
        `/lib/modules/${km.release ?? '(release unknown)'}/modules.dep or modules.builtin: not readable`,
      ]);
    }
    if (km.release) evidence.push(`kernel ${km.release}: ${gone.map((n) => n.module).join(', ')} in neither modules.builtin nor modules.dep`);
    const args: Absent = {
      node: facts.nodeName,
      modules: gone.map((n) => n.module),
      ...(km.release ? { release: km.release } : {}),
      ...(extraPackage(km.release) ? { pkg: extraPackage(km.release) } : {}),
    };
    return found(findings, gone.every((n) => !n.sure) ? 'likelyAbsent' : 'absent', args, evidence, measures);
  },
  metrics: [{ name: 'netcheck_kernel_modules_missing', help: 'Kernel modules the CNI or kube-proxy needs that are neither loaded, built in nor installed', measure: 'missing' }],
  alerts: [
    {
      name: 'NetcheckKernelModuleMissing',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_kernel_modules_missing')} > 0`,
      summary: 'A kernel module the pod network needs is missing.',
      description: '{{ $value }} kernel module(s) the CNI or kube-proxy on node {{ $labels.node }} needs (vxlan, wireguard, ipip, ...) are neither loaded, built in nor installed.',
      fires: { netcheck_kernel_modules_missing: 1 },
    },
  ],
});
