// make soak: the agent on a busy node for SOAK_SECONDS (600): 250 interfaces on the host, 250 pods
// on the node in the simulated cluster, cycles every 5 s, its NodeReport published, and 50
// scrapers on /metrics the whole time. Samples the agent's RSS every 10 s and writes the result
// into docs/benchmarks.md (between the soak markers). Targets: RSS flat and ≤ 60 MiB, no scrape
// errors, and the /metrics p99 it reaches under that load.
//
//   SOAK_NODE=image (make soak): the Node.js binary inside dist/image (make image); a path: that
//   binary; unset: the Node running this. SOAK_NODE_FLAGS: other flags than the image's.
//   SOAK_ENV="A=1 B=2": more environment for the agent. SOAK_DOC=0: print, do not write the doc.
//   SOAK_HEAP_SNAPSHOT=FILE: a heap snapshot of the agent at the end, and its breakdown.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { imageNodeFlags } from './image-flags.mjs';
import { imageNode } from './image-node.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const INTERFACES = 250;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-soak-'));
const children = [];
const stop = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', stop);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

// The host: a healthy flannel node plus 249 pod veths (250 links that carry pod traffic in all).
const host = path.join(tmp, 'host');
fs.cpSync(path.join(ROOT, 'test/fixtures/hosts/healthy-flannel'), host, { recursive: true });
for (let i = 0; i < INTERFACES; i++) {
  const dir = path.join(host, 'sys/class/net', `veth${i.toString(16).padStart(8, '0')}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'operstate'), 'up\n');
  fs.writeFileSync(path.join(dir, 'mtu'), '1450\n');
}

// The cluster: one generated node (node-00000) with 250 pods, the NodeReport CRD and policy.
const kubeconfig = path.join(tmp, 'kubeconfig');
const sim = spawn(
  process.execPath,
  [
    path.join(ROOT, 'dist/sim.mjs'),
    '--generate',
    '1x250',
    '--fixtures',
    ['deploy/base/nodereport-crd.yaml', 'deploy/base/nodereport-policy.yaml'].map((f) => path.join(ROOT, f)).join(','),
    '--kubeconfig-out',
    kubeconfig,
  ],
  { stdio: 'ignore' },
);
children.push(sim);
for (let i = 0; i < 100 && !fs.existsSync(kubeconfig); i++) await sleep(100);

// SOAK_NODE: the Node.js binary to run the agent with (the image's is Node 22), default this one.
const NODE = process.env.SOAK_NODE === 'image' ? imageNode() : (process.env.SOAK_NODE ?? process.execPath);
const FLAGS = process.env.SOAK_NODE_FLAGS !== undefined ? process.env.SOAK_NODE_FLAGS.split(' ').filter(Boolean) : imageNodeFlags();
const EXTRA_ENV = Object.fromEntries(
  (process.env.SOAK_ENV ?? '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const SNAPSHOT = process.env.SOAK_HEAP_SNAPSHOT ? path.resolve(process.env.SOAK_HEAP_SNAPSHOT) : undefined;
const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
const agent = spawn(
  NODE,
  [
    ...FLAGS,
    ...(SNAPSHOT ? ['--heapsnapshot-signal=SIGUSR2'] : []),
    path.join(ROOT, 'dist/exporter.mjs'),
    '--probe-interval',
    '0', // the fixtures' addresses are not this machine's: no probes
    '--node-name',
    'node-00000',
    '--host-root',
    host,
    '--kubeconfig',
    kubeconfig,
    '--address',
    '127.0.0.1',
    '--port',
    '0',
    '--interval',
    '5s',
  ],
  { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp, env: { ...process.env, ...EXTRA_ENV } },
);
children.push(agent);
let output = '';
agent.stdout.on('data', (c) => (output += c));
agent.stderr.on('data', (c) => (output += c));
let url;
for (let i = 0; i < 300 && !url; i++) {
  url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  await sleep(100);
}
if (!url) throw new Error(`the agent did not start:\n${output}`);
for (let i = 0; i < 300; i++) {
  if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) break;
  await sleep(100);
}

console.log(`soak: ${SECONDS}s, agent at ${url}, ${INTERFACES} interfaces, 250 pods, 50 scrapers`);
const samples = [];
const sampler = setInterval(() => samples.push(rssMiB(agent.pid)), 10_000);
samples.push(rssMiB(agent.pid));
const load = await autocannon({ url: `${url}/metrics`, connections: 50, duration: SECONDS });
clearInterval(sampler);
samples.push(rssMiB(agent.pid));
const cycles = Number(/^netcheck_cycles_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
const status = fs.readFileSync(`/proc/${agent.pid}/status`, 'utf8');
const kib = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
const hwm = kib(status, 'VmHWM') / 1024;
// Where the resident memory is: anonymous (heaps, malloc) against file-backed (the node binary's
// pages it touched) and, from the runtime, the V8 heap.
const rollup = fs.readFileSync(`/proc/${agent.pid}/smaps_rollup`, 'utf8');
const breakdown = { anon: kib(status, 'RssAnon') / 1024, file: kib(status, 'RssFile') / 1024, threads: kib(status, 'Threads'), pssAnon: kib(rollup, 'Pss_Anon') / 1024 };
const heap = await (await fetch(`${url}/metrics`)).text();
const sampleOf = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(heap)?.[1] ?? NaN) / 1048576;
breakdown.heapTotal = sampleOf('nodejs_heap_size_total_bytes');
breakdown.heapUsed = sampleOf('nodejs_heap_size_used_bytes');
breakdown.external = sampleOf('nodejs_external_memory_bytes');
let snapshotSummary = '';
if (SNAPSHOT) {
  const before = new Set(fs.readdirSync(tmp));
  agent.kill('SIGUSR2');
  let file;
  for (let i = 0; i < 600 && !file; i++) {
    await sleep(100);
    file = fs.readdirSync(tmp).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file) {
      const size = fs.statSync(path.join(tmp, file)).size;
      await sleep(1000);
      if (size === 0 || fs.statSync(path.join(tmp, file)).size !== size) file = undefined; // still being written
    }
  }
  if (!file) throw new Error('the agent wrote no heap snapshot within 60 s');
  fs.copyFileSync(path.join(tmp, file), SNAPSHOT);
  snapshotSummary = spawnSync(process.execPath, [path.join(ROOT, 'bench/heap-breakdown.mjs'), SNAPSHOT], { encoding: 'utf8' }).stdout;
  console.log(snapshotSummary);
}
stop();

const first = samples.slice(0, 3);
const last = samples.slice(-3);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const peak = Math.max(...samples);
const drift = mean(last) - mean(first);
const errors = load.errors + load.non2xx;
const met = (ok) => (ok ? 'yes' : '**no**');
const table = [
  '| what | measured | target | met |',
  '|---|---|---|---|',
  `| agent RSS over ${SECONDS} s (${samples.length} samples): first → last minute, peak (VmHWM) | ${mean(first).toFixed(0)} → ${mean(last).toFixed(0)} MiB, peak ${Math.max(peak, hwm).toFixed(0)} MiB | flat, ≤ 60 MiB | ${met(Math.max(peak, hwm) <= 60 && drift < 10)} |`,
  `| where it is at the end: anonymous / file-backed RSS; V8 heap used / total; external | ${breakdown.anon.toFixed(0)} / ${breakdown.file.toFixed(0)} MiB; ${breakdown.heapUsed.toFixed(1)} / ${breakdown.heapTotal.toFixed(1)} MiB; ${breakdown.external.toFixed(1)} MiB | — | — |`,
  `| /metrics under 50 scrapers for the whole run: p50 / p99 / max latency | ${load.latency.p50} / ${load.latency.p99} / ${load.latency.max} ms, ${load.requests.average.toFixed(0)} req/s | no errors | ${met(errors === 0)} (${errors} errors) |`,
  `| check cycles in that time (every 5 s) | ${cycles} | ≈ ${Math.floor(SECONDS / 5)} | ${met(cycles >= Math.floor(SECONDS / 5) * 0.9)} |`,
].join('\n');
console.log(table);
console.log(
  JSON.stringify({
    node: nodeVersion,
    flags: FLAGS,
    env: EXTRA_ENV,
    peak: Math.max(peak, hwm),
    first: mean(first),
    last: mean(last),
    breakdown,
    rps: load.requests.average,
    p99: load.latency.p99,
    errors,
    cycles,
  }),
);
if (process.env.SOAK_DOC === '0') process.exit(0);

const doc = path.join(ROOT, 'docs/benchmarks.md');
const section = `<!-- soak:begin (make soak, bench/soak.mjs) -->\n## Soak: the agent on a busy node (${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, agent on Node ${nodeVersion}${process.env.SOAK_NODE === 'image' ? ' from the image' : ''} with ${[...FLAGS, ...Object.entries(EXTRA_ENV).map(([k, v]) => `${k}=${v}`)].join(' ')})\n\n${INTERFACES} interfaces under --host-root, 250 pods on the node, cycles every 5 s with the NodeReport published, 50 connections scraping /metrics without pause.\n\n${table}\n<!-- soak:end -->`;
const text = fs.readFileSync(doc, 'utf8');
fs.writeFileSync(doc, /<!-- soak:begin[\s\S]*<!-- soak:end -->/.test(text) ? text.replace(/<!-- soak:begin[\s\S]*<!-- soak:end -->/, section) : `${text.trimEnd()}\n\n${section}\n`);
process.exit(0);
