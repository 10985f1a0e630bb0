import { CNIS, type CniAgent, cniAgent, nodeCni } from '../cni/cni';
import { platformOf } from '../cni/platform';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { cluesOf } from '../kube/clues';
import { networkNotReady, nodeCondition, ownerDaemonSet, podReady, podRef, podState } from '../kube/objects';
import { shq } from '../remedy/shell';

interface Who {
  node: string;
  name: string;
  /** The command that restarts the CNI agent on this node, with what to do after it when it cannot name the pod. */
  restart: string;
  /** The same, as one command (a step). */
  restartRun: string;
}

/** Restarts the CNI's pod on `node`: by name when it is known, else by its label on that node. */
function restartOf(node: string, agent: CniAgent | undefined, label: { key: string; value: string } | undefined): { restart: string; restartRun: string } {
  if (agent) {
    const run = `kubectl -n ${agent.pod.metadata?.namespace} delete pod ${agent.pod.metadata?.name}`;
    return { restart: run, restartRun: run };
  }
  if (label) {
    const run = `kubectl delete pods -A -l ${label.key}=${label.value} --field-selector spec.nodeName=${node}`;
    return { restart: run, restartRun: run };
  }
  const run = `kubectl get pods -A -o wide --field-selector spec.nodeName=${node}`;
  return { restart: `${run} (then delete the CNI's pod there)`, restartRun: run };
}

const restartStep = (a: Who): FindingStep => ({ on: 'cluster', run: a.restartRun });
const UNDERSTOOD = CNIS.filter((r) => !r.meta).map((r) => r.name);

const findings = {
  ready: { status: 'ok', summary: (a: { name: string }) => `${a.name} is ready` },
  apiUnreachable: {
    status: 'fail',
    summary: (a: Who & { address: string }) => `${a.name} cannot reach the API service ${a.address}: the node has no usable route (primary NIC down or default route missing)`,
    remedy: (a: Who) => `Bring the node's primary interface up and restore its default route (see default-route), then restart ${a.name} at once: ${a.restart}`,
    steps: (a: Who): FindingStep[] => [restartStep(a)],
  },
  apiTimeout: {
    status: 'fail',
    summary: (a: Who & { address: string }) => `${a.name} gets no answer from the API service ${a.address}: a route exists but packets are dropped (kube-proxy rules or a host firewall)`,
    remedy: (a: Who) =>
      `On ${a.node}: check its kube-proxy pod (kubectl -n kube-system get pods -o wide -l k8s-app=kube-proxy --field-selector spec.nodeName=${a.node}) and the host firewall (iptables -S; nft list ruleset) for the service range; then ${a.restart}`,
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
    remedy: (a: Who) => `Make flannel's Network contain --cluster-cidr (see cluster-cidr), then ${a.restart}`,
    steps: (a: Who): FindingStep[] => [restartStep(a)],
  },
  noDefaultRoute: {
    status: 'fail',
    summary: (a: Who) => `${a.name} cannot start: the host has no default route`,
    remedy: (a: Who) => `Restore the default route (see default-route), then ${a.restart}`,
    steps: (a: Who): FindingStep[] => [restartStep(a)],
  },
  noPodCidr: {
    status: 'fail',
    summary: (a: Who) => `${a.name} cannot start: the node has no podCIDR`,
    remedy: (a: Who) => `Assign one (see pod-cidr-assigned), then ${a.restart}`,
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
    remedy: (a: { logs: string; logsRun: string; logsOn: 'node' | 'cluster' }) => `Read why: ${a.logs}`,
    steps: (a: { logsRun: string; logsOn: 'node' | 'cluster' }): FindingStep[] => [{ on: a.logsOn, run: a.logsRun }],
  },
  bpfFsNotMounted: {
    status: 'fail',
    summary: (a: Who) => `${a.name} cannot start: the BPF filesystem is not mounted at /sys/fs/bpf`,
    remedy: (a: Who) => `On ${a.node}: mount bpffs -t bpf /sys/fs/bpf && echo 'bpffs /sys/fs/bpf bpf defaults 0 0' >> /etc/fstab (so it is there after a reboot); then ${a.restart}`,
    steps: (a: Who): FindingStep[] => [{ on: 'node', run: "mount bpffs -t bpf /sys/fs/bpf && echo 'bpffs /sys/fs/bpf bpf defaults 0 0' >> /etc/fstab" }, restartStep(a)],
  },
  kubeProxyReplaced: {
    status: 'fail',
    summary: (a: Who & { address: string }) =>
      `${a.name} cannot reach the API server through the kubernetes Service (${a.address}): it replaces kube-proxy, and nothing else routes that address on this node`,
    remedy: (a: Who & { daemonset: string; namespace: string; endpoint?: string }) => {
      const set = a.endpoint
        ? setServiceHost(a)
        : `kubectl get endpoints kubernetes -o jsonpath='{.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}' gives the address; kubectl -n ${a.namespace} set env daemonset/${a.daemonset} KUBERNETES_SERVICE_HOST=... KUBERNETES_SERVICE_PORT=... with it`;
      return `Point Cilium at the API server itself, not its Service: ${set} (with Helm: k8sServiceHost and k8sServicePort). This changes the DaemonSet: its pods on every node restart with it.`;
    },
    steps: (a: Who & { daemonset: string; namespace: string; endpoint?: string }): FindingStep[] => [
      { on: 'cluster', run: a.endpoint ? setServiceHost(a) : "kubectl get endpoints kubernetes -o jsonpath='{.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}'" },
    ],
  },
  agentUnhealthy: {
    status: 'fail',
    summary: (a: Who & { state: string; message: string }) => `${a.name} reports ${a.state}${a.message ? `: ${a.message}` : ''}`,
    remedy: (a: Who & { status: string; statusRun: string }) => `See what it says is wrong: ${a.status}`,
    steps: (a: Who & { statusRun: string }): FindingStep[] => [{ on: 'cluster', run: a.statusRun }],
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
  // The address comes from the API's Endpoints: written bare when it is one, quoted when it is not.
  const word = (v: string) => (/^[0-9A-Fa-f.:]+$/.test(v) ? v : shq(v));
  return `kubectl -n ${a.namespace} set env daemonset/${a.daemonset} KUBERNETES_SERVICE_HOST=${word(host)} KUBERNETES_SERVICE_PORT=${word(port)}`;
}

export const cniReady = defineCheck({
  id: 'cni-ready',
  title: "The node's CNI is working",
  question: 'Is the CNI working: its agent pod Ready on this node, NetworkUnavailable false, the kubelet NetworkReady, a CNI config present?',
  column: 'CNI',
  rank: 90,
  explains: ['kubelet-ready'],
  needs: ['node', 'pods', 'events', 'cniLogs', 'cniConfigFiles', 'ciliumHealth', 'apiEndpoints'],
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
    if (files) {
      if (files.length === 0) problems.push('no CNI config in /etc/cni/net.d');
      else evidence.push(`/etc/cni/net.d: ${files.join(', ')}`);
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
    const who: Who = { node, name: cni.agent?.name ?? cni.row?.name ?? 'the CNI', ...restartOf(node, cni.agent, cni.row?.label) };
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
      const pod = cni.agent?.pod;
      const statusRun = pod
        ? `kubectl -n ${pod.metadata?.namespace} exec ${pod.metadata?.name} -- cilium-dbg status --verbose`
        : `kubectl get pods -A -l k8s-app=cilium --field-selector spec.nodeName=${node}`;
      const status = pod ? statusRun : `kubectl -n kube-system exec ds/cilium -- cilium-dbg status --verbose (on ${node}: pick its pod with ${statusRun})`;
      return found(findings, 'agentUnhealthy', { ...who, state: health.state, message: health.message ?? '', status, statusRun }, evidence, notReady);
    }
    if (clues.apiUnreachable) return found(findings, 'apiUnreachable', { ...who, address: clues.apiUnreachable }, evidence, notReady);
    if (clues.apiTimeout) return found(findings, 'apiTimeout', { ...who, address: clues.apiTimeout }, evidence, notReady);
    if (clues.networkMismatch) return found(findings, 'networkMismatch', who, evidence, notReady);
    if (clues.noDefaultRoute) return found(findings, 'noDefaultRoute', who, evidence, notReady);
    if (clues.podCidrNotAssigned) return found(findings, 'noPodCidr', who, evidence, notReady);
    if (clues.bgpNotEstablished) return found(findings, 'bgpDown', { ...who, peers: clues.bgpNotEstablished.join(', ') }, evidence, notReady);
    const logsRun = cni.agent ? `kubectl -n ${cni.agent.pod.metadata?.namespace} logs ${cni.agent.pod.metadata?.name} --previous` : 'journalctl -u kubelet -n 50 --no-pager';
    const logs = cni.agent ? logsRun : `${logsRun} on ${node}`;
    return found(findings, 'notReady', { problem: problems[0], logs, logsRun, logsOn: cni.agent ? 'cluster' : 'node' }, evidence, notReady);
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
