// What the agent's probes found, as facts the probe checks judge (api-service, cluster-dns, peers).
// Measured by exporter/probe.ts on its own interval; the checks stay pure over these.

/** How a probe failed: the peer's kernel said no (refused), no route or host (unreachable), or silence (timeout). */
export const ERROR_CLASSES = ['timeout', 'refused', 'unreachable'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** The outcome of one probe: ok, or its error class, with a short detail (the errno, the TLS error). */
export interface ProbeResult {
  target: string; // "10.96.0.1:443"
  ok: boolean;
  error?: ErrorClass | 'tls' | 'dns';
  detail?: string;
  rttSeconds?: number;
}

/** The kubernetes Service from the host, and, when it fails, the API server's own addresses. */
export interface ApiServiceProbe {
  service?: ProbeResult;
  /** Where the Service address came from (the agent's environment, the Service object). */
  serviceSource?: string;
  /** Tried only when the Service fails: the first that answered, or all that did not. */
  direct: ProbeResult[];
  /** Where the direct addresses came from: the kubernetes EndpointSlice, the kubelet's kubeconfig. */
  directSource?: string;
  /** How the agent last reached the API for its own requests: "the kubernetes Service", "directly at 192.168.33.10:6443 (EndpointSlice)". */
  agentVia?: string;
}

export interface DnsProbe {
  server: string; // the cluster DNS Service IP (kubelet clusterDNS)
  name: string; // kubernetes.default.svc.cluster.local
  result: ProbeResult;
  /** The DNS answer: NOERROR with an address, or its rcode. */
  rcode?: string;
  answer?: string;
}

export type ProbePath = 'underlay' | 'pod-network';

/** One peer on one path. No RTT here: a report is not rewritten because a number moved. */
export interface PeerProbe {
  peer: string;
  path: ProbePath;
  target: string;
  ok: boolean;
  error?: ErrorClass;
}

export interface PeerProbes {
  /** The peers chosen this round (eligible ones: NotReady, cordoned, autoscaler-deleted never are). */
  chosen: number;
  /** Eligible nodes the agent knows of, itself included. */
  eligible: number;
  results: PeerProbe[];
  /** Chosen peers whose pod-network address is unknown (no overlay annotation): that path is skipped. */
  noPodAddress: string[];
  /** RTTs of this round by path, for the histogram (not in the report). */
  rtts?: Record<ProbePath, number[]>;
}

/** Every probe fact, absent until the first round; `unavailable` keys say why one could not run. */
export interface ProbeFacts {
  apiService?: ApiServiceProbe;
  clusterDns?: DnsProbe | null; // null: no clusterDNS in the kubelet config
  peers?: PeerProbes;
}
