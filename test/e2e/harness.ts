// Runs the built programs as users do: the simulated cluster as a process, `kubectl netcheck`
// through the real kubectl with bin/ on PATH.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const CLUSTERS = path.join(ROOT, 'test/fixtures/clusters');
/**
 * Where kubectl finds the plugin under test: the Node launcher (bin/), or with NETCHECK_PLUGIN=exe
 * the self-contained executable `make build` compiled (dist/bin/); make test runs the plugin's
 * end-to-end suites on both.
 */
export const PLUGIN_DIR = process.env.NETCHECK_PLUGIN === 'exe' ? path.join(ROOT, 'dist/bin') : path.join(ROOT, 'bin');

/** The NodeReport CRD and its admission policy, as deploy/ installs them. */
export const REPORT_API = [path.join(ROOT, 'deploy/base/nodereport-crd.yaml'), path.join(ROOT, 'deploy/base/nodereport-policy.yaml')];

/** A --user for the simulated cluster: the agent's service account on `node`, as its bound token says. */
export const agentUser = (node: string) => `agent-${node}=system:serviceaccount:netcheck:netcheck-agent,node=${node}`;

/** The sim's kubeconfig with another bearer token (one of its --user tokens). */
export function kubeconfigWithToken(sim: Sim, token: string): string {
  const file = path.join(tmpdir(), 'kubeconfig');
  fs.writeFileSync(file, fs.readFileSync(sim.kubeconfig, 'utf8').replace('token: sim-token', `token: ${token}`));
  return file;
}

/** The agent DaemonSet's pod on `node`, as the API shows it. */
export function agentPodFixture(node: string, state: { ready?: boolean; waiting?: string } = {}): string {
  const file = path.join(tmpdir(), 'agent-pod.yaml');
  const ready = state.ready ?? true;
  const containerState = state.waiting ? `{waiting: {reason: ${state.waiting}}}` : '{running: {}}';
  fs.writeFileSync(
    file,
    `items:
- kind: Namespace
  metadata: {name: netcheck}
- kind: Pod
  metadata: {name: netcheck-agent-x7k2p, namespace: netcheck, labels: {app.kubernetes.io/name: netcheck-agent}}
  spec:
    nodeName: ${node}
    containers: [{name: agent, image: netcheck:dev, ports: [{name: metrics, containerPort: 9742}]}]
  status:
    phase: Running
    conditions: [{type: Ready, status: "${ready ? 'True' : 'False'}"}]
    containerStatuses: [{name: agent, ready: ${ready}, restartCount: ${state.waiting ? 4 : 0}, state: ${containerState}}]
`,
  );
  return file;
}

export interface Sim {
  url: string;
  kubeconfig: string;
  requests(): Promise<{ method: string; path: string; user: string; credential: string; impersonate?: Record<string, string>; contentType?: string; accept?: string }[]>;
  resetRequests(): Promise<void>;
  upsert(obj: object): Promise<void>;
  remove(obj: object): Promise<void>;
  /** A request to the API as the holder of `token`. */
  fetchAs(token: string, method: string, p: string, body?: string, contentType?: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A kubeconfig for `server` trusting the test CA, with a token user. */
export function kubeconfigFor(server: string): string {
  const file = path.join(tmpdir(), 'config');
  const ca = fs.readFileSync(path.join(ROOT, 'test/fixtures/tls/ca.crt')).toString('base64');
  fs.writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}", certificate-authority-data: ${ca}}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: [{name: u, user: {token: t}}]\n`,
  );
  return file;
}

export function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-'));
}

/** Starts `dist/sim.mjs` on a free port and waits for its kubeconfig. */
export async function startSim(fixtures: string[], extraArgs: string[] = []): Promise<Sim> {
  const dir = tmpdir();
  const kubeconfig = path.join(dir, 'kubeconfig');
  const files = fixtures.map((f) => (path.isAbsolute(f) ? f : path.join(CLUSTERS, f)));
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'dist/sim.mjs'), '--fixtures', files.join(','), '--kubeconfig-out', kubeconfig, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (c) => (out += c));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`simulated cluster exited with ${code}; it printed:\n${out}`)));
  });
  return {
    url,
    kubeconfig,
    async requests() {
      return ((await (await adminFetch(url, '/sim/requests')).json()) as { requests: Awaited<ReturnType<Sim['requests']>> }).requests;
    },
    async resetRequests() {
      await adminFetch(url, '/sim/requests', 'DELETE');
    },
    async upsert(obj) {
      await adminFetch(url, '/sim/objects', 'PUT', JSON.stringify(obj));
    },
    async remove(obj) {
      await adminFetch(url, '/sim/objects', 'DELETE', JSON.stringify(obj));
    },
    async fetchAs(token, method, p, body, contentType = 'application/json') {
      return apiFetch(url, p, method, token, body, contentType);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The simulated cluster serves TLS with a test CA; admin calls trust it explicitly. */
async function adminFetch(url: string, p: string, method = 'GET', body?: string): Promise<Response> {
  return apiFetch(url, p, method, undefined, body);
}

async function apiFetch(url: string, p: string, method: string, token?: string, body?: string, contentType = 'application/json'): Promise<Response> {
  const transport = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  const tls = (f: string) => fs.readFileSync(path.join(ROOT, 'test/fixtures/tls', f));
  // the client certificate, for a sim started with --client-ca
  const [ca, cert, key] = [tls('ca.crt'), tls('client.crt'), tls('client.key')];
  const headers: Record<string, string> = { 'Content-Type': contentType, ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  return new Promise((resolve, reject) => {
    const req = transport.request(`${url}${p}`, { method, ca, cert, key, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode })));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `kubectl netcheck ARGS` with bin/ first on PATH, as an installed plugin runs. */
export function kubectlNetcheck(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30000): Run {
  const started = Date.now();
  const result = spawnSync('kubectl', ['netcheck', ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, NO_COLOR: '1', PATH: `${PLUGIN_DIR}${path.delimiter}${process.env.PATH}`, ...env },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

export function kubectl(args: string[], kubeconfig: string): Run {
  const started = Date.now();
  const result = spawnSync('kubectl', args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig } });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

/** A running netcheck-exporter: its output is kept, and every wait that fails says what it printed. */
export interface AgentProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  get(p: string): Promise<Response>;
  metrics(): Promise<string>;
  /** The value of the first sample whose "name{labels}" starts with `prefix`. */
  sample(prefix: string): Promise<number | undefined>;
  waitFor(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<void>;
  /** Waits until `n` more check cycles have finished (netcheck_cycles_total): time measured in the agent's own work. */
  cycles(n: number): Promise<void>;
  /** Peak resident memory so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  rssMiB(): number;
  /** Sends `signal` and waits for the exit: its code and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

const status = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/**
 * Starts dist/exporter.mjs on a port the kernel picks (read back from its log, so no port can be
 * taken by another test or a running `make demo`), and waits until it listens.
 */
/** The Node.js flags the image runs the agent with (its entrypoint, tools/image/image.json): tests of its memory use them. */
export const IMAGE_NODE_FLAGS: string[] = (() => {
  const argv = (JSON.parse(fs.readFileSync(path.join(ROOT, 'tools/image/image.json'), 'utf8')) as { config: { Entrypoint: string[] } }).config.Entrypoint;
  return argv.slice(
    1,
    argv.findIndex((a) => a.endsWith('.mjs')),
  );
})();

export interface AgentOptions {
  env?: Record<string, string | undefined>;
  /** Node.js flags, e.g. the image's --max-semi-space-size=1. */
  nodeFlags?: string[];
  /** Run as this user and group, as the DaemonSet's securityContext does. */
  uid?: number;
  gid?: number;
}

/**
 * A copy of a file or folder that any user can read, for a process run as another uid: a clone in a
 * private (0700) directory, as `mktemp -d` and many home directories are, is closed to uid 65532.
 */
const readableCopies: string[] = [];
process.once('exit', () => {
  for (const d of readableCopies) fs.rmSync(d, { recursive: true, force: true });
});

export function readableCopy(source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-readable-'));
  readableCopies.push(dir);
  fs.chmodSync(dir, 0o755);
  const target = path.join(dir, path.basename(source));
  fs.cpSync(source, target, { recursive: true });
  const open = (p: string) => {
    const st = fs.statSync(p);
    fs.chmodSync(p, st.isDirectory() ? 0o755 : (st.mode & 0o777) | 0o444);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) open(path.join(p, e));
  };
  open(target);
  return target;
}

/** dist/*.mjs (the agent and the chunks it imports), copied where another uid can read them. */
let readableDist: string | undefined;
function readableBundle(): string {
  if (readableDist) return readableDist;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-readable-'));
  readableCopies.push(dir);
  fs.chmodSync(dir, 0o755);
  for (const f of fs.readdirSync(path.join(ROOT, 'dist')).filter((n) => n.endsWith('.mjs'))) {
    fs.copyFileSync(path.join(ROOT, 'dist', f), path.join(dir, f));
    fs.chmodSync(path.join(dir, f), 0o644);
  }
  readableDist = dir;
  return dir;
}

export async function startAgent(args: string[], opts: AgentOptions = {}): Promise<AgentProcess> {
  const bundle = opts.uid === undefined ? path.join(ROOT, 'dist/exporter.mjs') : path.join(readableBundle(), 'exporter.mjs');
  // Probes off unless a test asks: the fixtures' addresses (10.96.0.1, peers' InternalIPs) are not
  // this machine's, and test traffic stays on loopback or inside the test's namespaces.
  const probes = args.includes('--probe-interval') ? [] : ['--probe-interval', '0'];
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), bundle, '--address', '127.0.0.1', '--port', '0', ...probes, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
    uid: opts.uid,
    gid: opts.gid,
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start listening within 30s; it printed:\n${output}`)), 30_000);
    const look = () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the agent exited with ${code} before listening; it printed:\n${output}`));
    });
  });
  const agent: AgentProcess = {
    child,
    url,
    output: () => output,
    get: (p) => fetch(`${url}${p}`),
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    async sample(prefix) {
      const line = (await agent.metrics()).split('\n').find((l) => l.startsWith(prefix));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    },
    async waitFor(what, predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (await Promise.resolve(predicate()).catch(() => false)) return;
        if (child.exitCode !== null) throw new Error(`${what}: the agent exited with ${child.exitCode}; it printed:\n${output}`);
        if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs / 1000}s; the agent printed:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async cycles(n) {
      const count = async () => (await agent.sample('netcheck_cycles_total{')) ?? 0;
      const target = (await count()) + n;
      await agent.waitFor(`${n} more check cycles`, async () => (await count()) >= target);
    },
    peakRssMiB: () => status(child.pid!, 'VmHWM'),
    rssMiB: () => status(child.pid!, 'VmRSS'),
    async stop(signal = 'SIGTERM') {
      const started = Date.now();
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
  };
  return agent;
}

export const HOSTS = path.join(ROOT, 'test/fixtures/hosts');

/** The writes of a node's report the simulated cluster has seen. */
export const reportsWritten = async (sim: Sim, node: string) => (await sim.requests()).filter((r) => r.method === 'PATCH' && r.path.startsWith(`/apis/netcheck.io/v1alpha1/nodereports/${node}`));

/** An agent on a fixture host, authenticated as the DaemonSet's service account on `node`. */
export async function agentOn(sim: Sim, node: string, host: string, extra: string[] = []): Promise<AgentProcess> {
  return startAgent(['--node-name', node, '--host-root', path.join(HOSTS, host), '--interval', '300ms', '--kubeconfig', kubeconfigWithToken(sim, `agent-${node}`), ...extra]);
}

/** Waits until the agent's report of `node` is in the API. */
export async function published(sim: Sim, agent: AgentProcess, node: string) {
  await agent.waitFor(`the NodeReport of ${node} in the API`, async () => (await reportsWritten(sim, node)).some((r) => r.path.includes('/status')));
}

/** Replaces what a clock changes in a report (ages, heartbeat times), so outputs compare byte for byte. */
export const withoutClock = (text: string) => text.replace(/\b\d+(\.\d+)?(ms|s|m|h|d) ago\b/g, 'AGE ago').replace(/last heartbeat \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'last heartbeat TIME');

/**
 * Compares `actual` with the golden file `name` under test/golden/`dir`; with UPDATE_GOLDEN=1
 * (make golden) writes it instead, for review in the diff.
 */
export function golden(dir: string, name: string, actual: string) {
  const file = path.join(ROOT, 'test/golden', dir, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file)) throw new Error(`${path.join(dir, name)}: no golden file; run make golden and review it`);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}
