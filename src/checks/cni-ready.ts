import { CNIS, type CniAgent, cniAgent, nodeCni } from '../cni/cni';
import { DEFAULT_CNI_CONF, K3S_CNI_CONF_DIR, platformOf } from '../cni/platform';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { cluesOf } from '../kube/clues';
import { networkNotReady, nodeCondition, ownerDaemonSet, podReady, podRef, podState } from '../kube/objects';
import { shq, word } from '../remedy/shell';

/**
 * The CNI on this node, by name: its agent pod when seen, else the label that finds it there. Names,
 * never commands: the commands are built below, every name through shq(), so a report's params
 * cannot write one.
 */
interface Who {
  node: string;
  name: string;
  podNamespace?: string;
  podName?: string;
  /** key=value of the CNI's pods, when its pod was not seen. */
  selector?: string;
}

function whoOf(node: string, name: string, agent: CniAgent | undefined, label: { key: string; value: string } | undefined): Who {
  return {
    node,
    name,
    ...(agent?.pod.metadata?.namespace && agent.pod.metadata.name ? { podNamespace: agent.pod.metadata.namespace, podName: agent.pod.metadata.name } : {}),
    ...(label ? { selector: `${label.key}=${label.value}` } : {}),
  };
}

/** Restarts the CNI's pod on this node only: by name when it is known, else by its label on that node. */
function restartRun(a: Who): string {
  if (a.podNamespace && a.podName) return `kubectl -n ${shq(a.podNamespace)} delete pod ${shq(a.podName)}`;
  if (a.selector) return `kubectl delete pods -A -l ${shq(a.selector)} --field-selector spec.nodeName=${a.node}`;
  return `kubectl get pods -A -o wide --field-selector spec.nodeName=${a.node}`;
}

/** The restart in words: what the step does (the step itself names the pod). */
const restart = (a: Who) =>
  a.podName || a.selector ? `delete its pod on ${a.node} (the step; its DaemonSet starts it again there, other nodes are left alone)` : `find its pod on ${a.node} (the step lists them) and delete it`;

const restartStep = (a: Who): FindingStep => ({ on: 'cluster', run: restartRun(a) });
const UNDERSTOOD = CNIS.filter((r) => !r.meta).map((r) => r.name);

const findings = {
  ready: { status: 'ok', summary: (a: { name: string }) => `${a.name} is ready` },
  apiUnreachable: {
    status: 'fail',
    summary: (a: Who & { address: string }) => `${a.name} cannot reach the API service ${a.address}: the node has no usable route (primary NIC down or default route missing)`,
    remedy: (a: Who) => `Bring the node's primary interface up and restore its default route (see default-route), then restart ${a.name} at once: ${restart(a)}`,
    steps: (a: Who): FindingStep[] => [restartStep(a)],
  },
  apiTimeout: {
    status: 'fail',
    summary: (a: Who & { address: string }) => `${a.name} gets no answer from the API service ${a.address}: a route exists but packets are dropped (kube-proxy rules or a host firewall)`,
    remedy: (a: Who) =>
      `On ${a.node}: check its kube-proxy pod (kubectl -n kube-system get pods -o wide -l k8s-app=kube-proxy --field-selector spec.nodeName=${a.node}) and the host firewall (iptables -S; nft list ruleset) for the service range; then ${restart(a)}`,
    steps: (a: Who): FindingStep[] => [
      { on: 'cluster', run: `kubectl -n kube-system get pods -o wide -l k8s-app=kube-proxy --field-selector spec.nodeName=${a.node}` },
      { on: 'node', run: 'iptables -S' },
      { on: 'node', run: 'nft list ruleset' },
      restartStep(a),
    ],
  },
  networkMismatch: {
    status: 'fail',
    summary: (a: Who) => `${a.name} rejects the node's podCIDR: its Network does not contain it`,
    remedy: (a: Who) => `Make flannel's Network contain --cluster-cidr (see cluster-cidr), then ${restart(a)}`,
    steps: (a: Who): FindingStep[] => [restartStep(a)],
  },
  noDefaultRoute: {
    status: 'fail',
    summary: (a: Who) => `${a.name} cannot start: the host has no default route`,
    remedy: (a: Who) => `Restore the default route (see default-route), then ${restart(a)}`,
    steps: (a: Who): FindingStep[] => [restartStep(a)],
  },
  noPodCidr: {
    status: 'fail',
    summary: (a: Who) => `${a.name} cannot start: the node has no podCIDR`,
    remedy: (a: Who) => `Assign one (see pod-cidr-assigned), then ${restart(a)}`,
    steps: (a: Who): FindingStep[] => [restartStep(a)],
  },
  bgpDown: {
    status: 'fail',
    summary: (a: Who & { peers: string }) => `${a.name} is not ready: BGP not established with ${a.peers}`,
    remedy: () => 'See bgp-established and node-address for which peer and why.',
  },
  notReady: {
    status: 'fail',
    summary: (a: { problem: string }) => a.problem,
    remedy: (a: Partial<Who>) => (a.podName ? 'Read why in the log of its previous run (the step).' : "Read why in the kubelet's log on the node (the step)."),
    steps: (a: Partial<Who>): FindingStep[] => [
      a.podNamespace && a.podName ? { on: 'cluster', run: `kubectl -n ${shq(a.podNamespace)} logs ${shq(a.podName)} --previous` } : { on: 'node', run: 'journalctl -u kubelet -n 50 --no-pager' },
    ],
  },
  bpfFsNotMounted: {
    status: 'fail',
    summary: (a: Who) => `${a.name} cannot start: the BPF filesystem is not mounted at /sys/fs/bpf`,
    remedy: (a: Who) => `On ${a.node}: mount bpffs -t bpf /sys/fs/bpf && echo 'bpffs /sys/fs/bpf bpf defaults 0 0' >> /etc/fstab (so it is there after a reboot); then ${restart(a)}`,
    steps: (a: Who): FindingStep[] => [{ on: 'node', run: "mount bpffs -t bpf /sys/fs/bpf && echo 'bpffs /sys/fs/bpf bpf defaults 0 0' >> /etc/fstab" }, restartStep(a)],
  },
  kubeProxyReplaced: {
    status: 'fail',
    summary: (a: Who & { address: string }) =>
      `${a.name} cannot reach the API server through the kubernetes Service (${a.address}): it replaces kube-proxy, and nothing else routes that address on this node`,
    remedy: (a: Who & { daemonset: string; namespace: string; endpoint?: string }) => {
      const set = a.endpoint
        ? setServiceHost(a)
        : `the step prints the API server's address; set it as KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT on ${word(a.daemonset, "the CNI's DaemonSet")}`;
      return `Point Cilium at the API server itself, not its Service: ${set} (with Helm: k8sServiceHost and k8sServicePort). This changes the DaemonSet: its pods on every node restart with it.`;
    },
    steps: (a: Who & { daemonset: string; namespace: string; endpoint?: string }): FindingStep[] => [
      { on: 'cluster', run: a.endpoint ? setServiceHost(a) : "kubectl get endpoints kubernetes -o jsonpath='{.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}'" },
    ],
  },
  agentUnhealthy: {
    status: 'fail',
    summary: (a: Who & { state: string; message: string }) => `${a.name} reports ${a.state}${a.message ? `: ${a.message}` : ''}`,
    remedy: (a: Who) => (a.podName ? 'See what it says is wrong (the step asks it).' : `See what it says is wrong: find its pod on ${a.node} (the step), then run cilium-dbg status --verbose in it.`),
    steps: (a: Who): FindingStep[] => [
      a.podNamespace && a.podName
        ? { on: 'cluster', run: `kubectl -n ${shq(a.podNamespace)} exec ${shq(a.podName)} -- cilium-dbg status --verbose` }
        : { on: 'cluster', run: `kubectl get pods -A -l k8s-app=cilium --field-selector spec.nodeName=${a.node}` },
    ],
  },
  builtinReady: { status: 'ok', summary: (a: { name: string }) => `${a.name} is ready (no agent pod: the kubelet reports the network ready)` },
  agentNotSeen: {
    status: 'unknown',
    summary: (a: { name: string; namespaces: string }) => `no ${a.name} agent pod seen on this node (looked for in ${a.namespaces}); the kubelet reports the network ready`,
    remedy: (a: { node: string }) => `See which pods run there: kubectl get pods -A -o wide --field-selector spec.nodeName=${a.node}`,
    steps: (a: { node: string }): FindingStep[] => [{ on: 'cluster', run: `kubectl get pods -A -o wide --field-selector spec.nodeName=${a.node}` }],
  },
  notUnderstood: {
    status: 'unknown',
    summary: (a: { cni: string }) => `CNI ${a.cni} is not understood: its agent cannot be judged; the kubelet reports the network ready`,
  },
  kubeletSilent: { status: 'unknown', summary: (a: { name: string }) => `${a.name} runs without an agent pod, and the kubelet does not report Ready: cannot tell (see kubelet-ready)` },
  noAgent: {
    status: 'unknown',
    summary: (a: { understood: string }) => `no CNI agent pod recognised on this node (understood: ${a.understood}); the kubelet reports the network ready`,
  },
  podsUnreadable: { status: 'unknown', summary: () => "the CNI pod's state could not be read" },
  nothingReadable: { status: 'unknown', summary: () => 'neither the API nor the host could be read' },
} as const;

function setServiceHost(a: { daemonset: string; namespace: string; endpoint?: string }): string {
  const i = (a.endpoint ?? '').lastIndexOf(':');
  const [host, port] = i > 0 ? [a.endpoint!.slice(0, i), a.endpoint!.slice(i + 1)] : [a.endpoint ?? '', '443'];
  return `kubectl -n ${shq(a.namespace)} set env ${shq(`daemonset/${a.daemonset}`)} ${shq(`KUBERNETES_SERVICE_HOST=${host}`)} ${shq(`KUBERNETES_SERVICE_PORT=${port}`)}`;
}

export const cniReady = defineCheck({
  id: 'cni-ready',
  title: "The node's CNI is working",
  question: 'Is the CNI working: its agent pod Ready on this node, NetworkUnavailable false, the kubelet NetworkReady, a CNI config present?',
  column: 'CNI',
  rank: 90,
  // Not kubelet-ready: a CNI that is not ready leaves the kubelet posting status (its finding is a
  // warning then); a kubelet that stopped is a cause of its own.
  explains: ['peers'],
  needs: ['node', 'pods', 'events', 'cniLogs', 'cniConfigFiles', 'cniConfigDir', 'ciliumHealth', 'apiEndpoints'],
  fetchWhen: {
    // A CNI explains its own crash in its log; other pods' sandbox failures, and Calico's readiness
    // failures, are told only in events.
    cniLogs: (f) => !!cniAgent(f.pods) && !podReady(cniAgent(f.pods)!.pod),
    // Cilium replacing kube-proxy needs the API server's own address: read it only then.
    apiEndpoints: (f) => cniAgent(f.pods)?.kind === 'cilium' && !podReady(cniAgent(f.pods)!.pod),
    events: (f) => {
      const cni = cniAgent(f.pods);
      return !!f.pods?.some((p) => !podReady(p) && p.status?.phase !== 'Succeeded' && !(p === cni?.pod && cni.kind === 'flannel'));
    },
  },
  seenBest: 'both',
  findings,
  evaluate(facts: NodeFacts) {
    if (!facts.node && !facts.pods && !facts.host) return found(findings, 'nothingReadable', {}, unavailableEvidence(facts, ['node', 'pods']));
    const node = facts.nodeName;
    const cni = nodeCni(facts);
    const clues = cluesOf(facts);
    const evidence: string[] = [];
    const problems: string[] = [];

    const network = nodeCondition(facts.node, 'NetworkUnavailable');
    if (network) {
      evidence.push(`node condition NetworkUnavailable=${network.status} (${network.reason ?? ''})`);
      if (network.status === 'True') problems.push(`NetworkUnavailable=True: ${network.message ?? network.reason}`);
    }
    const kubeletSays = networkNotReady(facts.node);
    if (kubeletSays) {
      problems.push(`kubelet: ${kubeletSays}`);
      evidence.push(`node condition Ready=False: ${kubeletSays}`);
    }
    if (cni.agent) {
      const pod = cni.agent.pod;
      evidence.push(`${cni.agent.name} pod ${podRef(pod)}: ${podState(pod)}`);
      if (!podReady(pod)) problems.push(`${cni.agent.name} pod ${podRef(pod)} is not Ready (${podState(pod)})`);
    } else if (cni.row && cni.source) {
      evidence.push(`${cni.notUnderstood ? `CNI ${cni.notUnderstood}` : cni.row.name}: recognised from ${cni.source}`);
    }
    if (!facts.pods) evidence.push(...unavailableEvidence(facts, ['pods']));
    const platform = platformOf(facts.node);
    if (platform) evidence.push(`platform ${platform.name} (${platform.evidence})`);
    const health = facts.host?.ciliumHealth;
    if (health) {
      evidence.push(
        `cilium-agent health (${facts.agent ?? 'host'}): ${health.state}${health.message ? ` (${health.message})` : ''}${health.kubernetes ? `; Kubernetes: ${health.kubernetes.state}` : ''}`,
      );
      if (health.state !== 'Ok') problems.push(`cilium-agent reports ${health.state}`);
    } else if (facts.unavailable.ciliumHealth) {
      evidence.push(...unavailableEvidence(facts, ['ciliumHealth']));
    }
    const files = facts.host?.cniConfigFiles;
    if (!files && facts.unavailable.cniConfigFiles) evidence.push(...unavailableEvidence(facts, ['cniConfigFiles']));
    if (files) {
      // The runtime's own config dir (its config names it), else the default, /etc/cni/net.d.
      const dir = facts.host?.cniConfigDir ?? DEFAULT_CNI_CONF;
      // With its built-in flannel, k3s points containerd at its own data directory for CNI configs
      // (mounted into the agent only with deploy/components/k3s): an empty /etc/cni/net.d says
      // nothing there. With --flannel-backend=none (another CNI) k3s keeps /etc/cni/net.d, as RKE2 does.
      if (files.length === 0 && platform?.id === 'k3s' && cni.row?.id === 'k3s-flannel' && dir === DEFAULT_CNI_CONF)
        evidence.push(`${dir}: empty; k3s keeps its CNI config in ${K3S_CNI_CONF_DIR}, which the agent reads with deploy/components/k3s`);
      else if (files.length === 0) problems.push(`no CNI config in ${dir}`);
      else evidence.push(`${dir}: ${files.join(', ')}`);
    }
    const sandboxFailures = (facts.events ?? []).filter((e) => e.reason === 'FailedCreatePodSandBox');
    if (sandboxFailures.length && !clues.subnetEnvMissing) {
      evidence.push(`${sandboxFailures.reduce((n, e) => n + (e.count ?? 1), 0)} FailedCreatePodSandBox events for pods on this node`);
    }
    for (const key of [
      'apiUnreachable',
      'apiTimeout',
      'ciliumApiUnreachable',
      'bpfFsNotMounted',
      'networkMismatch',
      'noDefaultRoute',
      'podCidrNotAssigned',
      'bgpNotEstablished',
      'subnetEnvMissing',
    ] as const) {
      const line = clues.evidence[key];
      if (line && !evidence.includes(line)) evidence.push(line);
    }

    if (problems.length === 0) {
      const name = cni.agent?.name ?? cni.row?.name ?? 'the CNI';
      if (cni.agent) return found(findings, 'ready', { name }, evidence, { ready: 1 });
      if (cni.notUnderstood) return found(findings, 'notUnderstood', { cni: cni.notUnderstood }, evidence);
      if (cni.row?.agent === 'builtin') {
        // No pod to judge: the kubelet's Ready (which NetworkReady gates) and NetworkUnavailable are all there is.
        const ready = nodeCondition(facts.node, 'Ready');
        if (ready?.status !== 'True') return found(findings, 'kubeletSilent', { name }, evidence);
        evidence.push(`node condition Ready=True (${ready.reason ?? ''})`);
        return found(findings, 'builtinReady', { name }, evidence, { ready: 1 });
      }
      if (!facts.pods) return found(findings, 'podsUnreadable', {}, [...evidence, ...unavailableEvidence(facts, ['pods'])]);
      if (cni.row) return found(findings, 'agentNotSeen', { node, name, namespaces: (cni.row.namespaces ?? ['any namespace']).join(', ') }, evidence);
      return found(findings, 'noAgent', { understood: UNDERSTOOD.join(', ') }, evidence);
    }
    const notReady = { ready: 0 };
    const who: Who = whoOf(node, cni.agent?.name ?? cni.row?.name ?? 'the CNI', cni.agent, cni.row?.label);
    if (clues.bpfFsNotMounted) return found(findings, 'bpfFsNotMounted', who, evidence, notReady);
    // Cilium without kube-proxy on the node, failing to reach the kubernetes Service: the service
    // address is routed by nobody (kube-proxy replacement without k8sServiceHost).
    const kubeProxy = facts.pods?.some((p) => /^kube-proxy/.test(p.metadata?.name ?? ''));
    const serviceAddress = clues.ciliumApiUnreachable ?? (cni.kind === 'cilium' ? (clues.apiTimeout ?? clues.apiUnreachable) : undefined);
    if (cni.kind === 'cilium' && serviceAddress && facts.pods && !kubeProxy) {
      evidence.push(`no kube-proxy pod runs on ${node}`);
      if (facts.apiEndpoints?.length) evidence.push(`Endpoints default/kubernetes: ${facts.apiEndpoints.join(', ')}`);
      const pod = cni.agent?.pod;
      return found(
        findings,
        'kubeProxyReplaced',
        { ...who, address: serviceAddress, namespace: pod?.metadata?.namespace ?? 'kube-system', daemonset: ownerDaemonSet(pod, 'cilium'), endpoint: facts.apiEndpoints?.[0] },
        evidence,
        notReady,
      );
    }
    if (health && health.state !== 'Ok') {
      return found(findings, 'agentUnhealthy', { ...who, state: health.state, message: health.message ?? '' }, evidence, notReady);
    }
    if (clues.apiUnreachable) return found(findings, 'apiUnreachable', { ...who, address: clues.apiUnreachable }, evidence, notReady);
    if (clues.apiTimeout) return found(findings, 'apiTimeout', { ...who, address: clues.apiTimeout }, evidence, notReady);
    if (clues.networkMismatch) return found(findings, 'networkMismatch', who, evidence, notReady);
    if (clues.noDefaultRoute) return found(findings, 'noDefaultRoute', who, evidence, notReady);
    if (clues.podCidrNotAssigned) return found(findings, 'noPodCidr', who, evidence, notReady);
    if (clues.bgpNotEstablished) return found(findings, 'bgpDown', { ...who, peers: clues.bgpNotEstablished.join(', ') }, evidence, notReady);
    return found(findings, 'notReady', { problem: problems[0], ...(who.podName ? { podNamespace: who.podNamespace, podName: who.podName } : {}) }, evidence, notReady);
  },
  metrics: [{ name: 'netcheck_cni_ready', help: "1 when the node's CNI is ready (agent pod Ready, NetworkUnavailable false, config present), 0 when not", measure: 'ready' }],
  alerts: [
    {
      name: 'NetcheckCNINotReady',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_cni_ready')} == 0`,
      summary: "A node's pod network is not working.",
      description: 'The CNI on node {{ $labels.node }} is not ready: new pods there cannot get a network. Run kubectl netcheck node {{ $labels.node }} for the root cause.',
      fires: { netcheck_cni_ready: 0, 'netcheck_check_status{check="cni-ready",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
