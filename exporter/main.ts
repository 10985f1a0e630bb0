import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
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
  { name: 'fact-timeout', env: 'NETCHECK_FACT_TIMEOUT', value: 'DURATION', default: '2s', help: 'deadline of each host fact (a file, the BIRD socket); past it the fact is unknown' },
  {
    name: 'report-heartbeat',
    env: 'NETCHECK_REPORT_HEARTBEAT',
    value: 'DURATION',
    default: '5m',
    help: "rewrite this node's NodeReport this often even when nothing changed (it is written at once on a change)",
  },
  { name: 'kubeconfig', env: 'KUBECONFIG', value: 'PATH', default: 'in-cluster service account, else ~/.kube/config', help: 'kubeconfig for the API (an explicit path must be readable)' },
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

  // Logs go through Fastify's JSON logger, which exists once the app is built below; what is said
  // before (a watch failing at once) is kept until then, not lost.
  let app: FastifyInstance | undefined;
  const early: Parameters<Log>[] = [];
  const log: Log = (level, message, fields = {}) => {
    if (app) app.log[level](fields, message);
    else if (early.length < 100) early.push([level, message, fields]);
  };

  // The API view is optional: without it the host checks still run and API checks are unknown. A
  // set-up that fails (the service account's token not mounted yet, a kubeconfig being rotated) is
  // retried with backoff, and /readyz says so meanwhile.
  let api: { watcher: import('../src/gather/node-watch').NodeWatcher; publisher: ReportPublisher } | undefined;
  let apiProblem: string | undefined = 'not set up yet';
  let stopped = false;
  const connectApi = async (): Promise<void> => {
    const { KubeClient } = await import('../src/kubeapi/kube-client');
    const { NodeWatcher } = await import('../src/gather/node-watch');
    const client = await KubeClient.load({ connection: { kubeconfig }, inCluster: true, requestTimeoutMs: 10_000, limits: { maxResponseBytes: 8 * 1024 * 1024 } });
    const watcher = new NodeWatcher(client, nodeName, (level, message) => log(level, message));
    watcher.start();
    const clusterRead = watcher.refreshCluster(10 * 60_000);
    api = { watcher, publisher: new ReportPublisher({ client, nodeName, nodeUid: () => watcher.facts().node?.metadata?.uid, heartbeatMs, intervalMs, log }) };
    apiProblem = undefined;
    // Give the first cycle the API view if it comes quickly; never block on it.
    await Promise.race([clusterRead, new Promise((r) => setTimeout(r, 5000))]);
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
  const agent = new Agent({
    nodeName,
    intervalMs,
    // Facts run side by side, each under its deadline; the cycle's own deadline is a backstop.
    cycleTimeoutMs: factTimeoutMs * 2 + 1000,
    readHost: (signal) =>
      readHostFacts({ root, birdSocket: get('bird-socket'), factTimeoutMs, sysctls: SYSCTLS, kubeletConfig: () => locator.path(signal), kubeletConfigDir: () => locator.configDir(signal), signal }),
    readApi,
    publisher,
    // Not ready without the API only where it is expected: in a pod (the service account), or with a
    // kubeconfig that exists but does not load yet. Pointed at no kubeconfig at all, the agent runs
    // its host checks alone, ready, as it always has.
    apiProblem: () => (apiExpected ? apiProblem : undefined),
    log,
  });
  app = buildApp(agent, { nodeName, logger: { level: 'info' } });
  for (const [level, message, fields] of early.splice(0)) app.log[level](fields ?? {}, message);
  agent.start();
  try {
    await app.listen({ host: address, port });
  } catch (e) {
    fatal(`cannot listen on ${address}:${port}: ${(e as Error).message}`);
  }
  app.log.info({ node: nodeName, hostRoot: root.dir, interval: formatMs(intervalMs), factTimeout: formatMs(factTimeoutMs) }, 'netcheck agent started');

  const shutdown = async (signal: string) => {
    app!.log.info({ signal }, 'shutting down');
    // Whatever is stuck (a read the kernel never returns), the process is gone within 4 s:
    // the kubelet's grace period is the DaemonSet's terminationGracePeriodSeconds.
    setTimeout(() => process.exit(0), 4000).unref();
    stopWatch();
    await agent.stop();
    await app!.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main().catch((e: Error) => fatal(e.message));
