import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { BgpSession } from '../parsers/bird';
import type { CiliumHealth } from '../parsers/cilium-health';
import type { CniConfig } from '../parsers/cni-config';
import type { CniPlugins } from '../parsers/cni-plugins';
import type { KubeletSwapConfig } from '../parsers/kubelet-config';
import type { LinkConfig } from '../parsers/link-config';
import type { Route } from '../parsers/proc-net-route';
import type { SwapArea } from '../parsers/proc-swaps';
import type { SubnetEnv } from '../parsers/subnet-env';
import type { ApiServiceProbe, DnsProbe, PeerProbes } from './probes';

/**
 * Everything a check may look at for one node. Each part is optional: the plugin gathers API
 * facts, the agent adds host facts; a part that could not be read is absent and its reason is in
 * `unavailable`, so checks can say `unknown` with the cause instead of guessing.
 */
export interface NodeFacts {
  nodeName: string;
  now: number; // epoch ms, passed in so evaluation stays pure
  node?: V1Node;
  pods?: V1Pod[]; // pods scheduled on this node
  events?: CoreV1Event[]; // Warning events about this node and its pods
  cniLogs?: Record<string, string>; // "namespace/pod" → tail of the log of a CNI pod that is not Ready
  /** The API server's own addresses (Endpoints default/kubernetes), "10.0.0.1:6443": not through kube-proxy. */
  apiEndpoints?: string[];
  cluster?: ClusterFacts;
  host?: HostFacts;
  agent?: string; // where host facts came from, e.g. "agent netcheck/netcheck-agent-x7k2p (report 40s old)"
  agentRemedy?: string; // when host facts are unavailable: what to do, filled in from what was seen
  unavailable: Partial<Record<FactKey, string>>;
}

export interface ClusterFacts {
  controllerManager?: { flags: Record<string, string>; source: string };
  kubeadm?: { podSubnet?: string; source: string };
  flannel?: { network?: string; backend?: string; source: string };
  calicoPool?: { cidr: string; source: string };
  peers?: PeerNode[]; // every node of the cluster (this one included), for uniqueness and overlap
}

export interface PeerNode {
  name: string;
  internalIP?: string;
  podCIDRs: string[];
  cniAddress?: string;
}

/** A systemd swap unit that can turn swap on at boot, and where it came from. */
export interface SwapUnit {
  unit: string; // dev-sda3.swap
  what?: string; // its What=, e.g. /dev/sda3 or /dev/disk/by-uuid/...
  /** systemd-fstab-generator, systemd-gpt-auto-generator, zram-generator, or /etc/systemd/system */
  source: string;
  /** Masked in /etc/systemd/system (a link to /dev/null): it will not start. */
  masked?: boolean;
}

/** Where a sysctl is set at boot, in the order sysctl --system applies them (the last wins). */
export interface SysctlSetting {
  file: string;
  value: string;
}

export interface HostFacts {
  subnetEnv?: SubnetEnv | null; // null: the file does not exist
  swaps?: SwapArea[];
  fstabSwaps?: string[];
  swapUnits?: SwapUnit[];
  /** Interface → the tool that brings it up, its file and whether it comes up at boot. */
  linkConfig?: Record<string, LinkConfig>;
  kubeletConfig?: (KubeletSwapConfig & { path?: string }) | null; // null: no config file
  routes?: Route[];
  interfaces?: Record<string, string>; // name → operstate, for links that can carry node traffic
  interfaceCount?: number; // every link in /sys/class/net, veths included
  /** The names of the CNI configs in cniConfigDir. */
  cniConfigFiles?: string[];
  /** Where the container runtime reads CNI configs: its config's conf_dir / network_dir, else /etc/cni/net.d. */
  cniConfigDir?: string;
  /** The first config in cniConfigDir, the one the runtime uses; null: none. */
  cniConfig?: (CniConfig & { file: string }) | null;
  /** sysctl key → its value now; null where the file is absent (br_netfilter not loaded, no conntrack). */
  sysctls?: Record<string, string | null>;
  /** sysctl key → where it is set at boot (/etc/sysctl.d, /etc/sysctl.conf). */
  sysctlFiles?: Record<string, SysctlSetting[]>;
  /** Modules loaded at boot (/etc/modules-load.d, /etc/modules), with their file. */
  modulesLoad?: { module: string; file: string }[];
  /** Link → MTU, for the links that can carry node traffic and the CNI's overlay devices. */
  mtus?: Record<string, number>;
  /** cilium-agent's health from its API socket; absent: no Cilium socket on this host. */
  ciliumHealth?: CiliumHealth;
  bgpSessions?: BgpSession[]; // absent: no BIRD socket on this host
  /** The agent's data-plane probes (exporter/probe.ts), from its last round. */
  apiService?: ApiServiceProbe;
  clusterDns?: DnsProbe | null; // null: the kubelet has no clusterDNS
  peerProbes?: PeerProbes;
  /** The agent runs with --probe-interval 0: the probe checks do not apply. */
  probesOff?: boolean;
  /** The CNI bin directories the runtime searches, in order, with the plugin binaries in each. */
  cniBin?: CniBin;
  /** The plugin types the active CNI config runs (chained ones and IPAM included), and its bridge. */
  cniPlugins?: CniPlugins | null;
  /** The kernel modules the CNIs and kube-proxy use, and how each is present (absent: not present). */
  kernelModules?: KernelModules;
  /**
   * resolv.conf files that decide pods' DNS: path → nameservers; null where the file does not exist;
   * { link } where it is a symbolic link to a file the agent does not see (systemd-resolved's stub under /run).
   */
  resolvConfs?: Record<string, string[] | null | { link: string }>;
  /** host-local IPAM reservations (/var/lib/cni/networks/<network>/). */
  ipamLeases?: IpamNetwork[];
  /** NetworkManager and systemd-networkd: running, and which interfaces they are told to leave alone. */
  networkManager?: NetworkManagerFacts;
  /** kube-proxy's health endpoint on this host (127.0.0.1:10256/livez). */
  kubeProxyLivez?: KubeProxyLivez;
  /** The host's IPv6 addresses (/proc/net/if_inet6): address/prefix by interface. */
  ipv6Addresses?: { iface: string; cidr: string }[];
  /** flannel.1's MAC address (/sys/class/net/flannel.1/address); null: no flannel.1. */
  vtepMac?: string | null;
  /** CNI bridges (cni0, ...) → port → hairpin_mode ("0"/"1"). */
  bridgePorts?: Record<string, Record<string, string>>;
  /** net.ipv4.conf.NAME.rp_filter for all, default and the node's and CNI's interfaces. */
  rpFilter?: Record<string, string>;
  /** Counters that mean something only as a rate, with the agent's previous reading of them. */
  netCounters?: NetCounterHistory;
}

export type { CniPlugins };

export interface CniBin {
  /** Directories searched, in order, and where each comes from (containerd's config, the default). */
  dirs: { dir: string; source: string; binaries: string[] | null }[];
}

export interface KernelModules {
  /** uname -r, from /proc/sys/kernel/osrelease. */
  release?: string;
  /** Module → how it is there: loaded (/proc/modules), sysfs (/sys/module/<m>), builtin (modules.builtin). */
  present: Record<string, 'loaded' | 'sysfs' | 'builtin'>;
  /** The modules modprobe can load (listed in /lib/modules/<release>/modules.dep); null: not readable. */
  available: string[] | null;
  /** modules.builtin could be read (a module not loaded may be built in otherwise). */
  builtinKnown: boolean;
}

export interface IpamNetwork {
  network: string;
  /** IP → the container id and interface the reservation is for. */
  leases: { ip: string; containerId: string; ifname?: string }[];
  /** More files than the reader lists: counted, not read. */
  truncated?: boolean;
}

export interface NetworkManagerFacts {
  /** NetworkManager runs (its process, or /run/NetworkManager). */
  running: boolean;
  /** unmanaged-devices= specs, with the file that sets them. */
  unmanaged: { file: string; specs: string[] }[];
  /** The nm-cloud-setup timer enabled (its .wants link), which rewrites routes on cloud VMs. */
  cloudSetup?: string;
  /** systemd-networkd runs (its process, or /run/systemd/netif). */
  networkdRunning: boolean;
  /** systemd-networkd .network files: their [Match] Name= globs and whether they say Unmanaged=yes. */
  networkd: { file: string; names: string[]; unmanaged: boolean }[];
}

export type KubeProxyLivez = { url: string; status: number; lastUpdated?: string; currentTime?: string } | { url: string; error: string; refused: boolean };

export interface NetCounters {
  /** When read, epoch ms. */
  at: number;
  /** Udp: InCsumErrors (/proc/net/snmp). */
  udpInCsumErrors?: number;
  /** TcpExt: IPReversePathFilter (/proc/net/netstat). */
  ipReversePathFilter?: number;
  /** The VXLAN overlay device's receive counters (/sys/class/net/<dev>/statistics). */
  overlay?: { device: string; rxErrors: number; rxDropped: number };
}

export interface NetCounterHistory {
  now: NetCounters;
  /** The agent's previous reading (absent on its first cycle). */
  previous?: NetCounters;
  /** The driver of the NIC the default route uses (/sys/class/net/<dev>/device/driver). */
  nic?: { device: string; driver?: string };
}

export type FactKey =
  | 'node'
  | 'pods'
  | 'events'
  | 'cniLogs'
  | 'apiEndpoints'
  | 'controllerManager'
  | 'kubeadm'
  | 'flannel'
  | 'peers'
  | 'agent'
  | 'subnetEnv'
  | 'swaps'
  | 'fstabSwaps'
  | 'swapUnits'
  | 'linkConfig'
  | 'kubeletConfig'
  | 'routes'
  | 'interfaces'
  | 'interfaceCount'
  | 'cniConfigFiles'
  | 'cniConfigDir'
  | 'cniConfig'
  | 'sysctls'
  | 'sysctlFiles'
  | 'modulesLoad'
  | 'mtus'
  | 'ciliumHealth'
  | 'bgpSessions'
  | 'apiService'
  | 'clusterDns'
  | 'peerProbes'
  | 'cniBin'
  | 'cniPlugins'
  | 'kernelModules'
  | 'resolvConfs'
  | 'ipamLeases'
  | 'networkManager'
  | 'kubeProxyLivez'
  | 'ipv6Addresses'
  | 'vtepMac'
  | 'bridgePorts'
  | 'rpFilter'
  | 'netCounters';

/**
 * Facts that cost a request per node (other nodes, events, a pod's log): gathered only when a
 * check that needs one says, from what is known so far, that it would use it (Check.fetchWhen). A
 * check that needs one and says nothing always gets it.
 */
export const COSTLY_FACTS = ['peers', 'events', 'cniLogs', 'apiEndpoints'] as const satisfies readonly FactKey[];
export type CostlyFact = (typeof COSTLY_FACTS)[number];

interface Needing {
  needs: readonly FactKey[];
  fetchWhen?: Partial<Record<FactKey, (facts: NodeFacts) => boolean>>;
}

/** Which costly facts the checks want for this node, given what is known so far. */
export function wantedFacts(checks: readonly Needing[], known: NodeFacts): Set<CostlyFact> {
  const wanted = new Set<CostlyFact>();
  for (const key of COSTLY_FACTS) {
    if (checks.some((c) => c.needs.includes(key) && (c.fetchWhen?.[key]?.(known) ?? !c.fetchWhen?.[key]))) wanted.add(key);
  }
  return wanted;
}

/** The parts of one node's facts, wherever they were gathered (the plugin, the agent). */
export interface FactParts {
  nodeName: string;
  now: number;
  api?: Pick<NodeFacts, 'node' | 'pods' | 'events' | 'cniLogs' | 'cluster' | 'apiEndpoints'>;
  host?: HostFacts;
  /** Where host facts came from, when they did. */
  agent?: string;
  agentRemedy?: string;
  unavailable?: Partial<Record<FactKey, string>>[];
}

/** One node's facts, assembled the same way by the plugin and the agent. */
export function buildFacts(parts: FactParts): NodeFacts {
  const unavailable: NodeFacts['unavailable'] = Object.assign({}, ...(parts.unavailable ?? []));
  const facts: NodeFacts = { nodeName: parts.nodeName, now: parts.now, ...parts.api, unavailable };
  if (parts.host) facts.host = parts.host;
  if (parts.agent) facts.agent = parts.agent;
  if (parts.agentRemedy) facts.agentRemedy = parts.agentRemedy;
  return facts;
}
