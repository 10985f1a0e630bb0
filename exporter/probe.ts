// The prober: every --probe-interval, the kubernetes Service and the API server behind it, the
// cluster DNS Service, and a bounded sample of peers over the underlay and the pod network. Its
// findings are host facts the probe checks judge (src/checks/api-service.ts, cluster-dns.ts,
// peers.ts). When the Service fails and the API server answers directly, the agent's own requests
// go there until the Service answers again: the agent publishes during the outage it diagnoses.
import yaml from 'js-yaml';
import type { HostFacts } from '../src/core/facts';
import type { ApiServiceProbe, DnsProbe, PeerProbe, PeerProbes, ProbePath, ProbeResult } from '../src/core/probes';
import type { HostRoot } from '../src/host/root';
import { endpointSliceAddresses, hostPort, KUBELET_KUBECONFIGS, KUBERNETES_SLICE_PATH, kubeconfigServers, MAX_KUBECONFIG_BYTES } from '../src/kubeapi/direct';
import type { KubeClient } from '../src/kubeapi/kube-client';
import { choosePeers, ring } from '../src/probe/choice';
import { type PeerTarget, peerTarget } from '../src/probe/targets';
import type { Log } from './log';
import { dnsQuery, tcpProbe, tlsProbe, udpEcho } from './probe-net';

export interface ProberOptions {
  nodeName: string;
  /** The agents' port: every agent answers TCP and the UDP echo there. */
  port: number;
  intervalMs: number;
  k: number;
  /** Each probe's deadline. */
  timeoutMs: number;
  client?: KubeClient;
  root: HostRoot;
  /** The kubelet's config file, as a host path (for clusterDNS and clusterDomain). */
  kubeletConfig: () => Promise<string>;
  log: Log;
  env?: NodeJS.ProcessEnv;
}

const KUBERNETES_NAME = 'kubernetes.default.svc';

export class Prober {
  private peers: PeerTarget[] = [];
  private peersListedAt = 0;
  private slices: string[] = [];
  private service?: { target: string; source: string };
  private results: Pick<HostFacts, 'apiService' | 'clusterDns' | 'peerProbes'> = {};
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private logged = new Map<string, string>();
  /** After each round: RTTs by path and UDP echo counts, for the metrics. */
  onRound?: (round: { rtts: Record<ProbePath, number[]>; udp: Record<ProbePath, { sent: number; received: number }>; changed: boolean }) => void;
  private verdicts = '';

  constructor(private readonly opts: ProberOptions) {}

  /** The API client, once the agent has one (its set-up is retried until it works). */
  useClient(client: KubeClient): void {
    this.opts.client = client;
  }

  /** The last round's findings, as host facts. */
  facts(): Pick<HostFacts, 'apiService' | 'clusterDns' | 'peerProbes'> {
    return this.results;
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      const started = Date.now();
      this.running = this.round().catch((e: Error) => this.once('round', 'warn', `probe round failed: ${e.message}`));
      await this.running;
      if (this.stopped) return;
      this.timer = setTimeout(loop, Math.max(0, started + this.opts.intervalMs - Date.now()));
      this.timer.unref?.();
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private once(key: string, level: 'info' | 'warn', message: string) {
    if (this.logged.get(key) === message) return;
    this.logged.set(key, message);
    this.opts.log(level, message);
  }

  async round(): Promise<void> {
    // The API first: the peer list and the API server's addresses come through it.
    const apiService = await this.probeApi();
    await this.refreshFromApi();
    const [clusterDns, peers] = await Promise.all([this.probeDns(), this.probePeers()]);
    this.results = { ...(apiService ? { apiService } : {}), ...(clusterDns !== undefined ? { clusterDns } : {}), ...(peers ? { peerProbes: peers.probes } : {}) };
    // What the checks turn on, without the numbers: a change here is worth a check cycle now.
    const verdicts = JSON.stringify([
      apiService?.service?.ok,
      apiService?.direct.map((d) => d.ok),
      clusterDns?.result.ok,
      clusterDns?.rcode,
      peers?.probes.results.map((r) => [r.peer, r.path, r.ok, r.error]),
    ]);
    const changed = verdicts !== this.verdicts;
    this.verdicts = verdicts;
    this.onRound?.({ rtts: peers?.rtts ?? { underlay: [], 'pod-network': [] }, udp: peers?.udp ?? { underlay: { sent: 0, received: 0 }, 'pod-network': { sent: 0, received: 0 } }, changed });
  }

  /** The Service address: the agent's environment (as every pod has it), else the Service object. */
  private async serviceAddress(): Promise<{ target: string; source: string } | undefined> {
    const env = this.opts.env ?? process.env;
    const host = env.KUBERNETES_SERVICE_HOST;
    if (host) {
      const hp = hostPort(`${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT || '443'}`);
      if (hp) return { target: hp, source: 'KUBERNETES_SERVICE_HOST' };
    }
    if (this.service) return this.service;
    const svc = await this.opts.client?.find<{ spec?: { clusterIP?: string; ports?: { name?: string; port?: number }[] } }>('/api/v1/namespaces/default/services/kubernetes').catch(() => undefined);
    const ip = svc?.spec?.clusterIP;
    const port = svc?.spec?.ports?.find((p) => p.name === 'https')?.port ?? svc?.spec?.ports?.[0]?.port ?? 443;
    const hp = ip ? hostPort(`${ip.includes(':') ? `[${ip}]` : ip}:${port}`) : undefined;
    if (hp) this.service = { target: hp, source: 'Service default/kubernetes' };
    return this.service;
  }

  private async probeApi(): Promise<ApiServiceProbe | undefined> {
    const client = this.opts.client;
    if (!client) return undefined;
    const service = await this.serviceAddress();
    const tlsOpts = await client.tlsSettings().catch(() => ({}) as Awaited<ReturnType<KubeClient['tlsSettings']>>);
    const dial = (hp: string) => {
      const i = hp.lastIndexOf(':');
      return tlsProbe(hp.slice(0, i).replace(/^\[|\]$/g, ''), Number(hp.slice(i + 1)), {
        ca: tlsOpts.ca,
        rejectUnauthorized: tlsOpts.rejectUnauthorized,
        servername: KUBERNETES_NAME,
        timeoutMs: this.opts.timeoutMs,
      });
    };
    // Whether the agent's own requests go through the Service (in a pod: yes; with a kubeconfig
    // naming another server: they are left alone).
    const throughService = !!service && new URL(client.configuredOrigin).host === new URL(`https://${service.target}`).host;
    if (!service) return { direct: [], agentVia: `at ${client.origin}` };
    const result = await dial(service.target);
    if (result.ok) {
      if (throughService) client.redirect(undefined);
      this.once('api', 'info', `the kubernetes Service ${service.target} answers`);
      return { service: result, serviceSource: service.source, direct: [], agentVia: throughService ? `through the kubernetes Service ${service.target}` : `at ${client.origin}` };
    }
    const kubelet = await this.kubeletServers();
    const candidates = [...this.slices.map((a) => ({ a, source: 'the kubernetes EndpointSlice' })), ...kubelet.map((a) => ({ a, source: "the kubelet's kubeconfig" }))].filter(
      (c, i, all) => all.findIndex((x) => x.a === c.a) === i,
    );
    const direct: ProbeResult[] = [];
    let via: { a: string; source: string } | undefined;
    for (const c of candidates.slice(0, 4)) {
      const r = await dial(c.a);
      direct.push(r);
      if (r.ok) {
        via = c;
        break;
      }
    }
    let agentVia: string;
    if (via && throughService) {
      client.redirect(via.a);
      agentVia = `directly at ${via.a} (from ${via.source}): the kubernetes Service ${service.target} failed (${result.error})`;
      this.once('api', 'warn', `the kubernetes Service ${service.target} fails (${result.error}); reaching the API server directly at ${via.a} (from ${via.source})`);
    } else {
      agentVia = throughService ? `nowhere: the kubernetes Service ${service.target} failed (${result.error}) and no API server address answered` : `at ${client.origin}`;
      this.once('api', 'warn', `the kubernetes Service ${service.target} fails (${result.error}); ${via ? `the API server answers at ${via.a}` : 'no API server address answers either'}`);
    }
    return {
      service: result,
      serviceSource: service.source,
      direct,
      directSource:
        via?.source ??
        (candidates.length
          ? candidates
              .map((c) => c.source)
              .filter((s, i, a) => a.indexOf(s) === i)
              .join(', ')
          : undefined),
      agentVia,
    };
  }

  /** The servers of the kubelet's kubeconfig: addresses only, read line by line (src/kubeapi/direct.ts). */
  private async kubeletServers(): Promise<string[]> {
    for (const rel of KUBELET_KUBECONFIGS) {
      const text = await this.opts.root.readText(rel, MAX_KUBECONFIG_BYTES).catch(() => null);
      if (text) return kubeconfigServers(text);
    }
    return [];
  }

  /** The nodes (every few rounds, from the API server's cache) and the API server's own addresses. */
  private async refreshFromApi(): Promise<void> {
    const client = this.opts.client;
    if (!client) return;
    const slice = await client.find<Parameters<typeof endpointSliceAddresses>[0][number]>(KUBERNETES_SLICE_PATH).catch(() => undefined);
    const addresses = slice ? endpointSliceAddresses([slice]) : [];
    if (addresses.length) this.slices = addresses;
    // A LIST of every node is the prober's one O(n) request: from the watch cache
    // (resourceVersion=0), at most once a minute or every 4 rounds, whichever is longer.
    if (Date.now() - this.peersListedAt < Math.max(60_000, 4 * this.opts.intervalMs) && this.peers.length) return;
    try {
      const nodes = await client.list<Parameters<typeof peerTarget>[0]>('/api/v1/nodes', { resourceVersion: '0' });
      this.peers = nodes.map(peerTarget);
      this.peersListedAt = Date.now();
      this.once('nodes', 'info', `${this.peers.length} nodes known, ${this.peers.filter((p) => p.eligible).length} eligible for probes`);
    } catch (e) {
      this.once('nodes', 'warn', `listing nodes for the peer probes failed: ${(e as Error).message}`);
    }
  }

  private async probeDns(): Promise<DnsProbe | null | undefined> {
    let config: { clusterDNS?: unknown; clusterDomain?: unknown } | undefined;
    try {
      const text = await this.opts.root.readText(await this.opts.kubeletConfig(), 1024 * 1024);
      if (text === null) return undefined;
      const doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
      config = doc && typeof doc === 'object' ? (doc as typeof config) : {};
    } catch {
      return undefined; // unreadable: the kubelet-config checks say why
    }
    const servers = Array.isArray(config?.clusterDNS) ? config.clusterDNS.filter((s): s is string => typeof s === 'string' && /^[0-9a-fA-F.:]{2,45}$/.test(s)) : [];
    if (!servers.length) return null;
    const domain = typeof config?.clusterDomain === 'string' && /^[a-z0-9.-]{1,200}$/i.test(config.clusterDomain) ? config.clusterDomain.replace(/\.$/, '') : 'cluster.local';
    const name = `kubernetes.default.svc.${domain}`;
    const { result, rcode, answer } = await dnsQuery(servers[0], name, this.opts.timeoutMs);
    return { server: servers[0], name, result, ...(rcode ? { rcode } : {}), ...(answer ? { answer } : {}) };
  }

  private async probePeers(): Promise<{ probes: PeerProbes; rtts: Record<ProbePath, number[]>; udp: Record<ProbePath, { sent: number; received: number }> } | undefined> {
    if (!this.peers.length || !this.opts.port) return undefined; // --port 0: no port the peers share
    const chosen = choosePeers(this.opts.nodeName, this.peers, this.opts.k, ring(this.peers));
    const byName = new Map(this.peers.map((p) => [p.name, p]));
    const rtts: Record<ProbePath, number[]> = { underlay: [], 'pod-network': [] };
    const udp: Record<ProbePath, { sent: number; received: number }> = { underlay: { sent: 0, received: 0 }, 'pod-network': { sent: 0, received: 0 } };
    const noPodAddress: string[] = [];
    const jobs: Promise<PeerProbe>[] = [];
    for (const name of chosen) {
      const p = byName.get(name)!;
      const paths: [ProbePath, string | undefined][] = [
        ['underlay', p.underlay],
        ['pod-network', p.podNetwork],
      ];
      if (!p.podNetwork) noPodAddress.push(name);
      for (const [path, address] of paths) {
        if (!address) continue;
        jobs.push(
          (async () => {
            const [tcp, echo] = await Promise.all([tcpProbe(address, this.opts.port, this.opts.timeoutMs), udpEcho(address, this.opts.port, this.opts.timeoutMs)]);
            if (tcp.ok && tcp.rttSeconds !== undefined) rtts[path].push(tcp.rttSeconds);
            udp[path].sent += echo.sent;
            udp[path].received += echo.received;
            return { peer: name, path, target: tcp.target, ok: tcp.ok, ...(tcp.error && tcp.error !== 'tls' && tcp.error !== 'dns' ? { error: tcp.error } : {}) };
          })(),
        );
      }
    }
    const results = await Promise.all(jobs);
    return { probes: { chosen: chosen.length, eligible: this.peers.filter((p) => p.eligible).length, results, noPodAddress }, rtts, udp };
  }
}
