// Where the API server itself is, for when the kubernetes Service does not answer from the host:
// the `kubernetes` EndpointSlice the agent last saw (the API server's own addresses, which is where
// kube-proxy sends the Service), then the server of the kubelet's kubeconfig under the host root.
// Only the address is read from the kubelet's kubeconfig, never its credentials: the agent keeps
// authenticating as itself, and checks the certificate for kubernetes.default.svc, as a pod would.

/** A kubeconfig is a few KiB; one this large is not the kubelet's. */
export const MAX_KUBECONFIG_BYTES = 256 * 1024;

/** The kubelet's kubeconfig on kubeadm, k3s, RKE2 and the usual package installs, as host paths. */
export const KUBELET_KUBECONFIGS = ['etc/kubernetes/kubelet.conf', 'var/lib/kubelet/kubeconfig', 'var/lib/rancher/k3s/agent/kubelet.kubeconfig', 'var/lib/rancher/rke2/agent/kubelet.kubeconfig'];

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/;

/** "host:port" when it is one (an IPv6 host in brackets), else undefined. */
export function hostPort(text: string): string | undefined {
  const m = HOST_PORT.exec(text);
  return m && Number(m[2]) > 0 && Number(m[2]) < 65536 ? text : undefined;
}

/**
 * The `server:` of a kubeconfig's clusters, as host:port, read line by line: the file is not parsed
 * as a whole, so nothing else in it (client keys, tokens) is ever held. The kubelet's kubeconfig has
 * one cluster; a server on 127.0.0.1 (k3s's and RKE2's local load balancer) is kept, it is the
 * node's way to the API server.
 */
export function kubeconfigServers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*server:\s*["']?(https:\/\/[^\s"']+)["']?\s*$/.exec(line);
    if (!m) continue;
    try {
      const url = new URL(m[1]);
      const hp = hostPort(`${url.hostname}:${url.port || '443'}`);
      if (hp && !out.includes(hp)) out.push(hp);
    } catch {
      // not a URL: ignored
    }
  }
  return out.slice(0, 4);
}

interface EndpointSlice {
  addressType?: string;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

/** The API server's own addresses from the `kubernetes` EndpointSlice(s): ready endpoints, https port. */
export function endpointSliceAddresses(slices: EndpointSlice[]): string[] {
  const out: string[] = [];
  for (const s of slices) {
    const port = s.ports?.find((p) => p.name === 'https')?.port ?? s.ports?.[0]?.port;
    if (!port) continue;
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      for (const a of e.addresses ?? []) {
        const hp = hostPort(a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`);
        if (hp && !out.includes(hp)) out.push(hp);
      }
    }
  }
  return out.slice(0, 8);
}

/** The API server keeps its own addresses in the EndpointSlice named `kubernetes` (read by name: RBAC can narrow that). */
export const KUBERNETES_SLICE_PATH = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes';
