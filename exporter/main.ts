import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { SYSCTLS } from '../src/checks';
import { KubeletConfigLocator } from '../src/host/kubelet-config-path';
import { readHostFacts } from '../src/host/readers';
import { HostRoot } from '../src/host/root';
import { formatMs } from '../src/util/deadline';
import { sanitize } from '../src/util/text';
import { parseDuration } from '../src/util/time';
import { VERSION } from '../src/version';
import { Agent, type Log } from './agent';
import { buildApp } from './app';
import { Prober } from './probe';
import { startEchoResponder } from './probe-net';
import { ReportPublisher } from './publisher';

interface Flag {
  name: string;
  env: string;
  value?: string; // the placeholder in --help; absent for booleans
  default?: string;
  help: string;
}

// Every flag, its environment variable and default: --help is printed from this table.
const FLAGS: Flag[] = [
  { name: 'node-name', env: 'NODE_NAME', value: 'NAME', help: 'the node this agent checks (the DaemonSet sets it from spec.nodeName)' },
  { name: 'host-root', env: 'NETCHECK_HOST_ROOT', value: 'DIR', default: '/host', help: "where the host's / is mounted; every host file is read inside it" },
  { name: 'bird-socket', env: 'NETCHECK_BIRD_SOCKET', value: 'PATH', default: '<host-root>/var/run/calico/bird.ctl', help: "BIRD's control socket (Calico BGP)" },
  {
    name: 'kubelet-config',
    env: 'NETCHECK_KUBELET_CONFIG',
    value: 'PATH',
    default: "the kubelet's --config, else /var/lib/kubelet/config.yaml",
    help: "the kubelet's config file, as a host path under --host-root",
  },
  { name: 'address', env: 'NETCHECK_ADDRESS', value: 'A', default: '0.0.0.0', help: 'address to serve /metrics and health on' },
  { name: 'port', env: 'NETCHECK_PORT', value: 'N', default: '9742', help: 'port to serve on' },
  { name: 'interval', env: 'NETCHECK_INTERVAL', value: 'DURATION', default: '30s', help: 'how often the checks run' },
  {
    name: 'probe-interval',
    env: 'NETCHECK_PROBE_INTERVAL',
    value: 'DURATION',
    default: '--interval',
    help: 'how often the data-plane probes run (the kubernetes Service, cluster DNS, peers); 0 turns them off',
  },
  { name: 'probe-peers', env: 'NETCHECK_PROBE_PEERS', value: 'K', default: '5', help: 'every node is probed by at least K others; each agent probes about K + 2 peers, whatever the cluster size' },
  { name: 'fact-timeout', env: 'NETCHECK_FACT_TIMEOUT', value: 'DURATION', default: '2s', help: 'deadline of each host fact (a file, the BIRD socket); past it the fact is unknown' },
  {
    name: 'report-heartbeat',
    env: 'NETCHECK_REPORT_HEARTBEAT',
    value: 'DURATION',
    default: '5m',
    help: "rewrite this node's NodeReport this often even when nothing changed (it is written at once on a change)",
  },
  { name: 'kubeconfig', env: 'KUBECONFIG', value: 'PATH', default: 'in-cluster service account, else ~/.kube/config', help: 'kubeconfig for the API (an explicit path must be readable)' },
  {
    name: 'node-condition',
    env: 'NETCHECK_NODE_CONDITION',
    help: 'also set the Node condition NetcheckPodNetwork (False with the root cause) on this node (deploy/components/node-condition grants it)',
  },
  { name: 'version', env: '', help: 'print the version and exit' },
  { name: 'help', env: '', help: 'this help' },
];

function help(): string {
  const lines = FLAGS.map((f) => {
    const left = `  ${f.name === 'help' ? '-h, ' : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`;
    const extra = [f.default ? `default: ${f.default}` : '', f.env ? `env ${f.env}` : ''].filter(Boolean).join('; ');
    return `${left.padEnd(36)}${f.help}${extra ? ` (${extra})` : ''}`;
  });
  return `netcheck-exporter: the netcheck agent. Runs every check on its node in the background and serves\nthe results as Prometheus metrics.\n\nUsage: netcheck-exporter [flags]\n\nFlags:\n${lines.join('\n')}\n\nRoutes: /metrics, /healthz, /readyz, / on --address:--port; /checks (the NodeReport) on loopback only.\n`;
}

/** Backoff of the API client's set-up when it fails at start. */
const API_RETRY_MS = { first: 1000, max: 60_000 };

function fatal(message: string): never {
  process.stderr.write(`error: ${sanitize(message)} (see netcheck-exporter --help)\n`);
  process.exit(1);
}

function parse() {
  const options = Object.fromEntries(FLAGS.map((f) => [f.name, { type: f.value ? 'string' : 'boolean', ...(f.name === 'help' ? { short: 'h' } : {}) }])) as Record<
    string,
    { type: 'string' | 'boolean'; short?: string }
  >;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ options, strict: true, allowPositionals: false }));
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'(-{1,2}[^']+)'/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') fatal(`unknown flag ${flag}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') fatal(`flag ${flag} needs a value`);
    fatal(err.message.split('\n')[0]);
  }
  // A flag wins over its environment variable; the environment over the default.
  const get = (name: string): string | undefined => {
    const f = FLAGS.find((x) => x.name === name)!;
    const v = values[name];
    if (typeof v === 'string') return v;
    return (f.env && process.env[f.env]) || undefined;
  };
  return { values, get, explicit: (name: string) => typeof values[name] === 'string' };
}

async function main() {
  const { values, get, explicit } = parse();
  if (values.help) {
    process.stdout.write(help());
    return;
  }
  if (values.version) {
    process.stdout.write(`netcheck-exporter ${VERSION}\n`);
    return;
  }
  const nodeName = get('node-name') || fatal('--node-name (or $NODE_NAME) is required');
  const portText = get('port') ?? '9742';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) fatal(`invalid --port ${portText}`);
  const duration = (name: string, fallback: string) => {
    try {
      return parseDuration(get(name) ?? fallback);
    } catch (e) {
      return fatal(`--${name}: ${(e as Error).message}`);
    }
  };
  const intervalMs = duration('interval', '30s');
  const factTimeoutMs = duration('fact-timeout', '2s');
  // 0 turns the probes off (the probe checks are then unknown, saying so).
  const probeIntervalMs = get('probe-interval') ? (get('probe-interval') === '0' ? 0 : duration('probe-interval', '30s')) : intervalMs;
  const probePeersText = get('probe-peers') ?? '5';
  if (!/^\d{1,2}$/.test(probePeersText) || Number(probePeersText) < 1 || Number(probePeersText) > 50) fatal(`invalid --probe-peers ${probePeersText}: a number from 1 to 50`);
  const heartbeatMs = duration('report-heartbeat', '5m');
  const address = get('address') ?? '0.0.0.0';
  const hostRootDir = get('host-root') ?? '/host';
  const kubeconfig = explicit('kubeconfig') ? (values.kubeconfig as string) : undefined;
  if (kubeconfig) {
    try {
      fs.accessSync(kubeconfig, fs.constants.R_OK);
    } catch (e) {
      fatal(`--kubeconfig ${kubeconfig} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  let root: HostRoot;
  try {
    root = await HostRoot.open(hostRootDir);
  } catch (e) {
    fatal((e as Error).message);
  }

  // Logs: JSON lines on stdout, in pino's shape (level number, time, pid, hostname, fields, msg),
  // written here rather than through Fastify's pino, which costs ~2 MiB of RSS for a few lines an
  // hour (docs/benchmarks.md). Nothing is logged per request.
  const LEVEL = { info: 30, warn: 40, error: 50 } as const;
  const hostname = os.hostname();
  const log: Log = (level, message, fields = {}) => {
    process.stdout.write(`${JSON.stringify({ level: LEVEL[level], time: Date.now(), pid: process.pid, hostname, ...fields, msg: message })}\n`);
  };

  // The API view is optional: without it the host checks still run and API checks are unknown. A
  // set-up that fails (the service account's token not mounted yet, a kubeconfig being rotated) is
  // retried with backoff, and /readyz says so meanwhile.
  let api: { watcher: import('../src/gather/node-watch').NodeWatcher; publisher: ReportPublisher } | undefined;
  let apiProblem: string | undefined = 'not set up yet';
  let stopped = false;
  let apiClient: import('../src/kubeapi/kube-client').KubeClient | undefined;
  let conditions: import('./node-condition').NodeConditionWriter | undefined;
  let onClient = (_client: import('../src/kubeapi/kube-client').KubeClient) => {};
  const connectApi = async (): Promise<void> => {
    // (the prober and the Node condition writer get the client once there is one)
    const { KubeClient } = await import('../src/kubeapi/kube-client');
    const { NodeWatcher } = await import('../src/gather/node-watch');
    const client = await KubeClient.load({ connection: { kubeconfig }, inCluster: true, requestTimeoutMs: 10_000, limits: { maxResponseBytes: 8 * 1024 * 1024 } });
    apiClient = client;
    onClient(client);
    const watcher = new NodeWatcher(client, nodeName, (level, message) => log(level, message));
    watcher.start();
    const clusterRead = watcher.refreshCluster(10 * 60_000);
    api = { watcher, publisher: new ReportPublisher({ client, nodeName, nodeUid: () => watcher.facts().node?.metadata?.uid, heartbeatMs, intervalMs, log }) };
    apiProblem = undefined;
    // Give the first cycle the API view if it comes quickly; never block on it.
    await Promise.race([clusterRead, new Promise((r) => setTimeout(r, 5000))]);
    if (values['node-condition'] || /^(1|true)$/i.test(process.env.NETCHECK_NODE_CONDITION ?? '')) {
      const { NodeConditionWriter } = await import('./node-condition');
      conditions = new NodeConditionWriter({ client, nodeName, log });
    }
  };
  const retryApi = async (backoffMs: number): Promise<void> => {
    try {
      await connectApi();
      if (backoffMs > API_RETRY_MS.first) log('info', 'the Kubernetes API client is set up');
    } catch (e) {
      const reason = (e as Error).message;
      if (reason !== apiProblem) log('warn', `running without the Kubernetes API for now (retrying in ${formatMs(backoffMs)}): ${reason}`);
      apiProblem = reason;
      if (!stopped) setTimeout(() => void retryApi(Math.min(backoffMs * 2, API_RETRY_MS.max)), backoffMs).unref();
    }
  };
  await retryApi(API_RETRY_MS.first);
  const apiExpected = !!process.env.KUBERNETES_SERVICE_HOST || (!!kubeconfig && fs.existsSync(kubeconfig)) || (!kubeconfig && !!process.env.KUBECONFIG && fs.existsSync(process.env.KUBECONFIG));
  const readApi: ConstructorParameters<typeof Agent>[0]['readApi'] = () => api?.watcher.facts() ?? { unavailable: { node: apiProblem ?? 'not set up yet', pods: apiProblem ?? 'not set up yet' } };
  const publisher: ConstructorParameters<typeof Agent>[0]['publisher'] = {
    offer: (report, observedAt) => api?.publisher.offer(report, observedAt),
    get stats() {
      return api?.publisher.stats ?? { ok: 0, failed: 0 };
    },
  };
  const stopWatch = () => {
    stopped = true;
    api?.watcher.stop();
  };

  const locator = new KubeletConfigLocator(root, get('kubelet-config'));
  // The data-plane probes, on their own interval; the agent answers its peers' probes on its port.
  const prober = new Prober({
    nodeName,
    port,
    intervalMs: probeIntervalMs,
    k: Number(probePeersText),
    timeoutMs: Math.min(factTimeoutMs, 3000),
    client: apiClient,
    root,
    kubeletConfig: () => locator.path(),
    log,
  });
  onClient = (client) => prober.useClient(client);
  const agent = new Agent({
    nodeName,
    intervalMs,
    // Facts run side by side, each under its deadline; the cycle's own deadline is a backstop.
    cycleTimeoutMs: factTimeoutMs * 2 + 1000,
    readHost: (signal) =>
      readHostFacts({
        root,
        birdSocket: get('bird-socket'),
        factTimeoutMs,
        sysctls: SYSCTLS,
        kubeletConfig: () => locator.path(signal),
        kubeletConfigDir: () => locator.configDir(signal),
        kubeletConfigNamed: () => locator.named(signal),
        signal,
      }),
    readApi,
    readProbes: probeIntervalMs > 0 ? () => prober.facts() : () => ({ probesOff: true }),
    onReport: (report) => conditions?.offer(report),
    publisher,
    // Not ready without the API only where it is expected: in a pod (the service account), or with a
    // kubeconfig that exists but does not load yet. Pointed at no kubeconfig at all, the agent runs
    // its host checks alone, ready, as it always has.
    apiProblem: () => (apiExpected ? apiProblem : undefined),
    log,
  });
  prober.onRound = (round) => {
    agent.metrics.probed(nodeName, round);
    if (round.changed) agent.nudge();
  };
  const app = buildApp(agent, { nodeName });
  agent.start();
  try {
    await app.listen({ host: address, port });
  } catch (e) {
    fatal(`cannot listen on ${address}:${port}: ${(e as Error).message}`);
  }
  const bound = app.server.address();
  if (bound && typeof bound === 'object') log('info', `Server listening at http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`);
  log('info', 'netcheck agent started', { node: nodeName, hostRoot: root.dir, interval: formatMs(intervalMs), factTimeout: formatMs(factTimeoutMs) });
  // The echo and the peer probes need the agents' shared port: with --port 0 there is none.
  const echo = port ? startEchoResponder(address, port, (message) => log('warn', message)) : { close() {} };
  if (probeIntervalMs > 0) prober.start();

  const shutdown = async (signal: string) => {
    log('info', 'shutting down', { signal });
    // Whatever is stuck (a read the kernel never returns), the process is gone within 4 s:
    // the kubelet's grace period is the DaemonSet's terminationGracePeriodSeconds.
    setTimeout(() => process.exit(0), 4000).unref();
    stopWatch();
    echo.close();
    await prober.stop();
    await agent.stop();
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main().catch((e: Error) => fatal(e.message));
