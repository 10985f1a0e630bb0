// Root-cause signatures read from CNI logs and events: the lines the seed incidents turned on.
import type { NodeFacts } from '../core/facts';
import { bgpPeersNotEstablished } from '../parsers/calico-readiness';

export interface Clues {
  apiUnreachable?: string; // "10.96.0.1:443": no route from the node
  apiTimeout?: string; // "10.96.0.1:443": a route, but no answer (kube-proxy rules, firewall)
  networkMismatch?: boolean; // flannel: its Network does not contain the node's podCIDR
  noDefaultRoute?: boolean;
  podCidrNotAssigned?: boolean;
  subnetEnvMissing?: { pods: string[]; count: number };
  bgpNotEstablished?: string[]; // peer addresses
  bpfFsNotMounted?: boolean; // Cilium: the BPF filesystem is not mounted at /sys/fs/bpf
  ciliumApiUnreachable?: string; // Cilium: "Unable to contact k8s api-server" at this address
  evidence: Partial<Record<Exclude<keyof Clues, 'evidence'>, string>>;
}

function firstLine(text: string, pattern: RegExp): string | undefined {
  return text.split('\n').find((l) => pattern.test(l));
}

/**
 * A log line as evidence: without the klog header, and when long, its start and its end, since Go
 * errors wrap outward and the innermost cause ("connect: network is unreachable") comes last.
 */
function quote(line: string): string {
  const message = line.trim().replace(/^[IWEF]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] /, '');
  return message.length > 200 ? `${message.slice(0, 70)} ... ${message.slice(-120)}` : message;
}

const cache = new WeakMap<NodeFacts, Clues>();

export function cluesOf(facts: NodeFacts): Clues {
  const cached = cache.get(facts);
  if (cached) return cached;
  const clues: Clues = { evidence: {} };
  for (const [pod, log] of Object.entries(facts.cniLogs ?? {})) {
    const unreachable = firstLine(log, /dial tcp [\d.]+:\d+: connect: (network is unreachable|no route to host)/);
    if (unreachable) {
      clues.apiUnreachable = /dial tcp ([\d.]+:\d+)/.exec(unreachable)![1];
      clues.evidence.apiUnreachable = `log of ${pod}: ${quote(unreachable)}`;
    }
    const timeout = firstLine(log, /dial tcp [\d.]+:\d+: (i\/o timeout|connect: connection timed out)/);
    if (timeout && !unreachable) {
      clues.apiTimeout = /dial tcp ([\d.]+:\d+)/.exec(timeout)![1];
      clues.evidence.apiTimeout = `log of ${pod}: ${quote(timeout)}`;
    }
    const mismatch = firstLine(log, /specified in the flannel net config doesn't contain/);
    if (mismatch) {
      clues.networkMismatch = true;
      clues.evidence.networkMismatch = `log of ${pod}: ${quote(mismatch)}`;
    }
    const noRoute = firstLine(log, /Unable to find default route|failed to get default interface/);
    if (noRoute) {
      clues.noDefaultRoute = true;
      clues.evidence.noDefaultRoute = `log of ${pod}: ${quote(noRoute)}`;
    }
    // Cilium, which says first that it will mount the BPF filesystem itself, then why it failed.
    const bpf =
      firstLine(log, /unable to (create bpf mount directory|(initialize|mount|set up) (the )?BPF filesystem)|failed to mount \/sys\/fs\/bpf/i) ?? firstLine(log, /BPF filesystem is not mounted/);
    if (bpf) {
      clues.bpfFsNotMounted = true;
      clues.evidence.bpfFsNotMounted = `log of ${pod}: ${quote(bpf)}`;
    }
    const ciliumApi = firstLine(log, /Unable to contact k8s api-server/);
    if (ciliumApi) {
      clues.ciliumApiUnreachable = /https?:\/\/([\w.:[\]-]+)/.exec(ciliumApi)?.[1] ?? /dial tcp ([\d.]+:\d+)/.exec(ciliumApi)?.[1] ?? 'the API server';
      clues.evidence.ciliumApiUnreachable = `log of ${pod}: ${quote(ciliumApi)}`;
    }
    const noCidr = firstLine(log, /pod cidr not assigned/);
    if (noCidr) {
      clues.podCidrNotAssigned = true;
      clues.evidence.podCidrNotAssigned = `log of ${pod}: ${quote(noCidr)}`;
    }
  }
  // The fact sources hand over only events about this node and its pods.
  for (const event of facts.events ?? []) {
    const about = `${event.involvedObject?.namespace}/${event.involvedObject?.name}`;
    const message = event.message ?? '';
    const count = event.count ?? 1;
    if (/open \/run\/flannel\/subnet\.env: no such file or directory/.test(message)) {
      const missing = (clues.subnetEnvMissing ??= { pods: [], count: 0 });
      if (!missing.pods.includes(about)) missing.pods.push(about);
      missing.count += count;
      clues.evidence.subnetEnvMissing = `${missing.count} FailedCreatePodSandBox events on ${missing.pods.join(', ')}: "open /run/flannel/subnet.env: no such file or directory"`;
    }
    const peers = bgpPeersNotEstablished(message);
    if (peers) {
      clues.bgpNotEstablished = peers;
      clues.evidence.bgpNotEstablished = `${event.reason ?? 'event'} on ${about} (x${count}): ${quote(/BGP not established with[^\n]*/.exec(message)![0])}`;
    }
  }
  cache.set(facts, clues);
  return clues;
}
