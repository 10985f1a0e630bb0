// make bench: netcheck measured beside the tools a user would otherwise reach for, on the same
// machine in the same run. Prints and writes docs/benchmarks.md. Knobs: BENCH_RUNS (15),
// BENCH_SOAK_SECONDS (300, the agent's API load window), BENCH_SCRAPE_SECONDS (15).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { imageNodeFlags } from './image-flags.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SOAK_S = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
const SCRAPE_S = Number(process.env.BENCH_SCRAPE_SECONDS ?? 15);
// The shipped plugin is the executable `make build` compiles (dist/bin/kubectl-netcheck); kubectl
// finds it there first. The Node build (dist/plugin.mjs) is timed beside it for reference.
const EXE = path.join(ROOT, 'dist/bin/kubectl-netcheck');
const ENV = { ...process.env, PATH: `${ROOT}/dist/bin:${process.env.PATH}`, NO_COLOR: '1' };
const CA = fs.readFileSync(path.join(ROOT, 'test/fixtures/tls/ca.crt'));
const children = [];
const floors = {}; // measured costs that bound what a Node.js kubectl plugin can reach
const rows = [];
const log = (...a) => console.log(...a);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 0) => n.toFixed(d);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-bench-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function row(what, netcheck, baseline, ratio, target, met, note = '') {
  rows.push({ what, netcheck, baseline, ratio, target, met, note });
  log(`${met ? 'MET ' : 'MISS'}  ${what}: ${netcheck} vs ${baseline}${ratio ? ` (${ratio})` : ''}; target ${target}${note ? `; ${note}` : ''}`);
}

function timed(cmd, args, env = ENV) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Median wall time of A and B, run alternately so drift hits both alike. */
function compare(a, b, runs = RUNS) {
  const ta = [];
  const tb = [];
  for (let i = 0; i < runs; i++) {
    ta.push(timed(...a));
    tb.push(timed(...b));
  }
  return [median(ta), median(tb)];
}

function peakRssMiB(cmd, args, env = ENV) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  return Number(r.stderr.trim().split('\n').pop()) / 1024;
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function admin(url, p, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = https.request(`${url}${p}`, { method, ca: CA, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end();
  });
}

async function startSim(args) {
  const kubeconfig = path.join(tmp(), 'kubeconfig');
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/sim.mjs'), '--kubeconfig-out', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const url = await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
  });
  return {
    kubeconfig,
    requests: async () => (await admin(url, '/sim/requests')).requests,
    reset: () => admin(url, '/sim/requests', 'DELETE'),
    stop: () => child.kill('SIGTERM'),
  };
}

async function waitHttp(url) {
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

// The flags the image ships with (tools/image/image.json): a small young generation keeps RSS down.
const AGENT_NODE_FLAGS = imageNodeFlags();

/** The port an agent was started with (its --port argument). */
const agentPortOf = async (child) => {
  const port = child.spawnargs[child.spawnargs.indexOf('--port') + 1];
  await waitHttp(`http://127.0.0.1:${port}/readyz`);
  return port;
};

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
// utime + stime from /proc/PID/stat, in clock ticks (USER_HZ, 100 on Linux).
const cpuSeconds = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

async function benchStartup() {
  log('\n# 1. start-up');
  const [ours, kubectl] = compare([EXE, ['version']], ['kubectl', ['version', '--client']]);
  floors.kubectl = kubectl;
  floors.bare = median(Array.from({ length: RUNS }, () => timed(process.execPath, ['-e', '0'])));
  const viaKubectl = median(Array.from({ length: RUNS }, () => timed('kubectl', ['netcheck', 'version'])));
  const nodeBuild = median(Array.from({ length: RUNS }, () => timed(process.execPath, [path.join(ROOT, 'dist/plugin.mjs'), 'version'])));
  row('start-up: `kubectl-netcheck version` vs `kubectl version --client`', `${fmt(ours)} ms`, `${fmt(kubectl)} ms`, `${fmt(ours / kubectl, 2)}×`, '≤ 0.5×', ours / kubectl <= 0.5);
  row(
    'the same through kubectl: `kubectl netcheck version` (kubectl starts, finds the plugin on PATH, execs it)',
    `${fmt(viaKubectl)} ms`,
    `${fmt(kubectl)} ms`,
    `${fmt(viaKubectl / kubectl, 2)}×`,
    '—',
    true,
    `the Node build takes ${fmt(nodeBuild)} ms on its own; bare \`node -e 0\` ${fmt(floors.bare)} ms`,
  );
  const size = fs.statSync(EXE).size;
  row('executable size (this platform)', `${fmt(size / 1e6)} MB`, '', '', '—', true, 'Bun runtime included; release archives are about half that');
}

async function benchLargeCluster() {
  log('\n# 2-3. a 3,000-node, 90,000-pod simulated cluster, every node with its NodeReport');
  const sim = await startSim(['--generate', '3000x30', '--generate-reports', '--fixtures', path.join(ROOT, 'deploy/base/nodereport-crd.yaml')]);
  const env = { ...ENV, KUBECONFIG: sim.kubeconfig };
  const node = 'node-01500';
  const [ours, describe] = compare([EXE, ['node', node, '-o', 'json'], env], ['kubectl', ['describe', 'node', node], env]);
  const traffic = async (cmd, args) => {
    await sim.reset();
    timed(cmd, args, env);
    const reqs = await sim.requests();
    return { count: reqs.length, bytes: reqs.reduce((n, r) => n + r.bytes, 0), reqs };
  };
  floors.direct = median(Array.from({ length: RUNS }, () => timed(process.execPath, [path.join(ROOT, 'dist/plugin.mjs'), 'node', node, '-o', 'json'], env)));
  const oursT = await traffic(EXE, ['node', node, '-o', 'json']);
  const describeT = await traffic('kubectl', ['describe', 'node', node]);
  row(
    `one node: \`kubectl-netcheck node ${node} -o json\` vs \`kubectl describe node\``,
    `${fmt(ours)} ms`,
    `${fmt(describe)} ms`,
    `${fmt(ours / describe, 2)}×`,
    '≤ 0.6×',
    ours / describe <= 0.6,
    `the Node build: ${fmt(floors.direct)} ms`,
  );
  row('one node: API requests; bytes received', `${oursT.count}; ${fmt(oursT.bytes / 1024)} KiB`, `${describeT.count}; ${fmt(describeT.bytes / 1024)} KiB`, '', '≤ 6 requests', oursT.count <= 6);

  const runs = Math.max(5, Math.floor(RUNS / 2));
  const [table, get] = compare([EXE, ['nodes'], env], ['kubectl', ['get', 'nodes'], env], runs);
  row('all nodes: `kubectl-netcheck nodes` vs `kubectl get nodes` (a table the server prints)', `${fmt(table)} ms`, `${fmt(get)} ms`, `${fmt(table / get, 2)}×`, '≤ 1.5×', table / get <= 1.5);
  const [json, getJson] = compare([EXE, ['nodes', '-o', 'json'], env], ['kubectl', ['get', 'nodes', '-o', 'json'], env], runs);
  row(
    'all nodes: `kubectl-netcheck nodes -o json` vs `kubectl get nodes -o json` (the same Node objects)',
    `${fmt(json)} ms`,
    `${fmt(getJson)} ms`,
    `${fmt(json / getJson, 2)}×`,
    '≤ 0.8×',
    json / getJson <= 0.8,
  );
  const rss = peakRssMiB(EXE, ['nodes', '-o', 'json'], env);
  const getRss = peakRssMiB('kubectl', ['get', 'nodes', '-o', 'json'], env);
  row('all nodes: peak RSS, `nodes -o json` vs `get nodes -o json`', `${fmt(rss)} MiB`, `${fmt(getRss)} MiB`, '', '≤ 250 MB', rss <= 250);
  const allT = await traffic(EXE, ['nodes']);
  const pagedNodes = allT.reqs.filter((r) => /^\/api\/v1\/nodes\?/.test(r.path)).every((r) => /limit=500/.test(r.path));
  const allPods = allT.reqs.filter((r) => /^\/api\/v1\/pods(\?|$)/.test(r.path) && !/labelSelector=/.test(r.path)).length;
  row(
    'all nodes: requests (paged nodes, one list of reports, CNI pods by label, no list of all pods)',
    `${allT.count} requests, ${fmt(allT.bytes / 1048576, 1)} MiB`,
    '',
    '',
    'paged, no all-pods list',
    pagedNodes && allPods === 0,
    `${allPods} unfiltered pod lists`,
  );
  sim.stop();
}

async function benchScrape() {
  log('\n# 4. exporter scrape vs prometheus-node-exporter');
  const sim = await startSim(['--fixtures', path.join(ROOT, 'test/fixtures/clusters/flannel-incidents.yaml')]);
  const agentPort = await freePort();
  const nodeExporterPort = await freePort();
  const agent = spawn(
    process.execPath,
    [
      ...AGENT_NODE_FLAGS,
      path.join(ROOT, 'dist/exporter.mjs'),
      '--probe-interval',
      '0', // the fixtures' addresses are not this machine's: no probes
      '--node-name',
      'n01',
      '--host-root',
      path.join(ROOT, 'test/fixtures/hosts/healthy-flannel'),
      '--address',
      '127.0.0.1',
      '--port',
      String(agentPort),
      '--interval',
      '30s',
      '--kubeconfig',
      sim.kubeconfig,
    ],
    { stdio: 'ignore' },
  );
  // As in a pod: service-account auth, no kubeconfig read.
  const podLike = spawn(
    process.execPath,
    [
      ...AGENT_NODE_FLAGS,
      path.join(ROOT, 'dist/exporter.mjs'),
      '--probe-interval',
      '0', // the fixtures' addresses are not this machine's: no probes
      '--node-name',
      'n01',
      '--host-root',
      path.join(ROOT, 'test/fixtures/hosts/healthy-flannel'),
      '--address',
      '127.0.0.1',
      '--port',
      String(await freePort()),
      '--interval',
      '30s',
    ],
    { stdio: 'ignore', env: { ...ENV, HOME: tmp(), KUBECONFIG: '' } },
  );
  children.push(podLike);
  const nodeExporter = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nodeExporterPort}`], { stdio: 'ignore' });
  children.push(agent, nodeExporter);
  await waitHttp(`http://127.0.0.1:${agentPort}/readyz`);
  await waitHttp(`http://127.0.0.1:${nodeExporterPort}/metrics`);
  const load = (url, connections, duration) => autocannon({ url, connections, duration });
  for (const connections of [10, 50]) {
    const ours = await load(`http://127.0.0.1:${agentPort}/metrics`, connections, SCRAPE_S);
    const theirs = await load(`http://127.0.0.1:${nodeExporterPort}/metrics`, connections, SCRAPE_S);
    row(
      `/metrics at ${connections} connections: p50 / p99 latency, req/s (errors)`,
      `${ours.latency.p50} / ${ours.latency.p99} ms, ${fmt(ours.requests.average)}/s (${ours.errors + ours.non2xx})`,
      `${theirs.latency.p50} / ${theirs.latency.p99} ms, ${fmt(theirs.requests.average)}/s (${theirs.errors + theirs.non2xx})`,
      '',
      connections === 10 ? 'p99 ≤ 5 ms' : 'no errors',
      connections === 10 ? ours.latency.p99 <= 5 : ours.errors + ours.non2xx === 0,
      'node_exporter gathers /proc and /sys on every scrape; netcheck serves text rendered once per cycle',
    );
  }
  const before = rssMiB(agent.pid);
  const soak = await load(`http://127.0.0.1:${agentPort}/metrics`, 50, 60);
  const after = rssMiB(agent.pid);
  row(
    '/metrics, 50 connections for 60 s: errors; agent RSS before → after',
    `${soak.errors + soak.non2xx} errors, ${fmt(before)} → ${fmt(after)} MiB`,
    '',
    '',
    'no errors, RSS flat',
    soak.errors + soak.non2xx === 0 && after - before < 20,
  );
  row('RSS after load: agent vs node_exporter', `${fmt(rssMiB(agent.pid))} MiB`, `${fmt(rssMiB(nodeExporter.pid))} MiB`, '', '≤ 70 MB', rssMiB(agent.pid) <= 70, 'with --kubeconfig, as tests run it');
  const podSoak = await load(`http://127.0.0.1:${await agentPortOf(podLike)}/metrics`, 50, SCRAPE_S);
  row(
    'RSS after load: agent as in a pod (service-account auth)',
    `${fmt(rssMiB(podLike.pid))} MiB (${podSoak.errors + podSoak.non2xx} errors)`,
    `${fmt(rssMiB(nodeExporter.pid))} MiB`,
    '',
    '≤ 70 MB',
    rssMiB(podLike.pid) <= 70,
  );
  podLike.kill('SIGTERM');
  agent.kill('SIGTERM');
  nodeExporter.kill('SIGTERM');
  sim.stop();
}

async function benchApiLoad() {
  log(`\n# 5. the agent's load on the API server (${SOAK_S} s at --interval 10s, 60 s at 1s)`);
  for (const [interval, seconds] of [
    ['10s', SOAK_S],
    ['1s', 60],
  ]) {
    const sim = await startSim(['--fixtures', path.join(ROOT, 'test/fixtures/clusters/flannel-incidents.yaml')]);
    const port = await freePort();
    const agent = spawn(
      process.execPath,
      [
        path.join(ROOT, 'dist/exporter.mjs'),
        '--probe-interval',
        '0', // the fixtures' addresses are not this machine's: no probes
        '--node-name',
        'n01',
        '--host-root',
        path.join(ROOT, 'test/fixtures/hosts/healthy-flannel'),
        '--address',
        '127.0.0.1',
        '--port',
        String(port),
        '--interval',
        interval,
        '--kubeconfig',
        sim.kubeconfig,
      ],
      { stdio: 'ignore' },
    );
    children.push(agent);
    await waitHttp(`http://127.0.0.1:${port}/readyz`);
    await sleep(5000); // past the start-up lists
    await sim.reset();
    await sleep(seconds * 1000);
    const perMinute = ((await sim.requests()).length / seconds) * 60;
    row(
      `agent API requests per minute, steady state over ${seconds} s, --interval ${interval}`,
      fmt(perMinute, 2),
      '',
      '',
      '≤ 2/min, flat',
      perMinute <= 2,
      'list once, then watches renewed every 5-10 min; the cluster declarations every 10 min',
    );
    agent.kill('SIGTERM');
    sim.stop();
  }
}

async function benchCycle() {
  log('\n# 6. check cycle CPU time with a live BIRD');
  const dir = tmp();
  const birds = [];
  for (const [ip, peer] of [
    ['127.0.0.2', '127.0.0.3'],
    ['127.0.0.3', '127.0.0.2'],
  ]) {
    const conf = path.join(dir, `${ip}.conf`);
    fs.writeFileSync(
      conf,
      `router id ${ip};\nlisten bgp address ${ip} port 1179;\nprotocol device {}\nprotocol bgp Mesh { local ${ip} as 64512; neighbor ${peer} port 1179 as 64512; connect delay time 1; }\n`,
    );
    birds.push(spawn('bird', ['-f', '-c', conf, '-s', path.join(dir, `${ip}.ctl`), '-P', path.join(dir, `${ip}.pid`)], { stdio: 'ignore' }));
  }
  children.push(...birds);
  await sleep(3000);
  const port = await freePort();
  const agent = spawn(
    process.execPath,
    [
      path.join(ROOT, 'dist/exporter.mjs'),
      '--probe-interval',
      '0', // the fixtures' addresses are not this machine's: no probes
      '--node-name',
      'k8smaster2',
      '--host-root',
      path.join(ROOT, 'test/fixtures/hosts/healthy-calico'),
      '--bird-socket',
      path.join(dir, '127.0.0.2.ctl'),
      '--address',
      '127.0.0.1',
      '--port',
      String(port),
      '--interval',
      '100ms',
    ],
    { stdio: 'ignore' },
  );
  children.push(agent);
  await waitHttp(`http://127.0.0.1:${port}/readyz`);
  const cycles = async () => Number(/^netcheck_cycles_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())[1]);
  const c0 = await cycles();
  const cpu0 = cpuSeconds(agent.pid);
  await sleep(10000);
  const perCycleMs = ((cpuSeconds(agent.pid) - cpu0) / ((await cycles()) - c0)) * 1000;
  row('check cycle CPU time (host files + BIRD socket + 9 checks + metrics render)', `${fmt(perCycleMs, 1)} ms`, '', '', '≤ 20 ms', perCycleMs <= 20);
  agent.kill('SIGTERM');
  for (const b of birds) b.kill('SIGTERM');
}

/** Writes the generated part of docs/benchmarks.md (between its bench markers), keeping the rest. */
function writeReport() {
  const kubectlVersion = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const lines = [
    '<!-- bench:begin (make bench, bench/run.mjs) -->',
    `Measured by \`make bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${kubectlVersion}.`,
    'The plugin timed is the shipped executable (dist/bin/kubectl-netcheck). Each comparison runs both tools alternately in the same run (medians); absolute times drift on these machines, ratios hold.',
    '',
    '| what | netcheck | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.netcheck} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.met ? 'yes' : '**no**'}${r.note ? ` (${r.note})` : ''} |`),
    '',
    'Reproduce: `make bench` (about 10 minutes; `BENCH_SOAK_SECONDS=60 make bench` for a quicker run).',
    '<!-- bench:end -->',
  ];
  const file = path.join(ROOT, 'docs/benchmarks.md');
  const doc = fs.readFileSync(file, 'utf8');
  const start = doc.indexOf('<!-- bench:begin');
  const end = doc.indexOf('<!-- bench:end -->');
  if (start < 0 || end < 0) throw new Error('docs/benchmarks.md has no bench:begin/bench:end markers');
  fs.writeFileSync(file, doc.slice(0, start) + lines.join('\n') + doc.slice(end + '<!-- bench:end -->'.length));
  log('\nwrote docs/benchmarks.md');
}

try {
  await benchStartup();
  await benchLargeCluster();
  await benchScrape();
  await benchCycle();
  await benchApiLoad();
  writeReport();
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}
