// make footprint-floor: how much RSS the agent's design costs before any of netcheck's code runs.
// Each skeleton (bench/floor/server.cjs) serves /metrics on the image's Node with the image's
// flags, under the soak's load (50 connections scraping without pause, FLOOR_SECONDS, default 30),
// and node_exporter, the anchor, under the same load in the same run. For each: RSS once ready, and
// at the end with its peak (VmHWM). Writes the table into docs/benchmarks.md between the floor
// markers (FLOOR_DOC=0: print only).
//
//   FLOOR_NODE=image (make footprint-floor): the Node.js binary inside dist/image; a path: that
//   binary; unset: the Node running this.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { imageNodeFlags } from './image-flags.mjs';
import { imageNode } from './image-node.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SECONDS = Number(process.env.FLOOR_SECONDS ?? 30);
const NODE = process.env.FLOOR_NODE === 'image' ? imageNode() : (process.env.FLOOR_NODE ?? process.execPath);
const FLAGS = imageNodeFlags();
const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout?.trim();
/** One line and exit 1, with what the child printed below it. */
function fail(message, output = '') {
  process.stderr.write(`error: make footprint-floor: ${message}\n${output ? `--- it printed:\n${output}\n---\n` : ''}`);
  process.exit(1);
}
if (!nodeVersion) fail(`${NODE} does not run (FLOOR_NODE)`);

// netcheck's process_* collectors, compiled for the skeleton that uses them.
const processMetrics = path.join(ROOT, '.tmp/floor-process-metrics.cjs');
fs.mkdirSync(path.dirname(processMetrics), { recursive: true });
const esbuild = spawnSync(
  'npx',
  ['esbuild', 'exporter/process-metrics.ts', '--bundle', '--platform=node', '--format=cjs', '--external:prom-client', `--outfile=${processMetrics}`, '--log-level=warning'],
  { cwd: ROOT, encoding: 'utf8' },
);
if (esbuild.status !== 0) fail('esbuild could not compile exporter/process-metrics.ts', esbuild.stderr);

const status = (pid) => fs.readFileSync(`/proc/${pid}/status`, 'utf8');
const mib = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 1024;
const fmt = (n) => n.toFixed(1);

/** Starts a server, waits until it answers /metrics, loads it, and measures it. */
async function measure(label, command, args, env, port) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, PORT: String(port) } });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    const deadline = Date.now() + 20_000;
    while (!(await fetch(url).catch(() => undefined))?.ok) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL'); // process.exit skips the finally below
        fail(`${label}: did not answer /metrics within 20 s`, output);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const ready = status(child.pid);
    const load = await autocannon({ url, connections: 50, duration: SECONDS });
    const end = status(child.pid);
    return {
      label,
      ready: mib(ready, 'VmRSS'),
      anon: mib(end, 'RssAnon'),
      file: mib(end, 'RssFile'),
      end: mib(end, 'VmRSS'),
      peak: mib(end, 'VmHWM'),
      rps: load.requests.average,
      errors: load.errors + load.non2xx,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

const SKELETONS = [
  ['Node, `node:http`, hand-written text', ''],
  ['the same with TLS loaded (the API client needs it)', 'tls'],
  ['TLS, `node:http`, prom-client with netcheck’s process_* collectors', 'tls,prom,process'],
  ['TLS, `node:http`, prom-client with collectDefaultMetrics()', 'tls,prom,defaults'],
  ['TLS, Fastify, hand-written text', 'tls,fastify'],
  ['TLS, Fastify, prom-client with netcheck’s process_* collectors (the agent’s stack)', 'tls,fastify,prom,process'],
  ['TLS, Fastify, prom-client with collectDefaultMetrics() (the agent’s stack until now)', 'tls,fastify,prom,defaults'],
];

let port = 39_700 + (process.pid % 200);
const rows = [];
for (const [label, parts] of SKELETONS) {
  rows.push(await measure(label, NODE, [...FLAGS, path.join(ROOT, 'bench/floor/server.cjs')], { FLOOR_PARTS: parts, FLOOR_PROCESS_METRICS: processMetrics }, port++));
  console.error(`${label}: peak ${fmt(rows.at(-1).peak)} MiB`);
}
const anchorPort = port++;
rows.push(await measure('node_exporter (the anchor), its default collectors', 'prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${anchorPort}`], {}, anchorPort));

const date = new Date().toISOString().slice(0, 10);
const table = [
  `## The floor: what the agent's stack costs before netcheck's code (make footprint-floor, ${date}, ${nodeVersion} ${FLAGS.join(' ')})`,
  '',
  `Each skeleton serves /metrics under 50 connections scraping without pause for ${SECONDS} s (the soak's load); no netcheck code runs in it. node_exporter answers at most 40 scrapes at once (its --web.max-requests) and refuses the others: those are its errors.`,
  '',
  '| what serves /metrics | RSS ready | RSS at the end: anonymous + file-backed | peak (VmHWM) | req/s (errors) |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.label} | ${fmt(r.ready)} MiB | ${fmt(r.end)} MiB: ${fmt(r.anon)} + ${fmt(r.file)} | ${fmt(r.peak)} MiB | ${Math.round(r.rps)} (${r.errors}) |`),
].join('\n');
console.log(table);

const BEGIN = '<!-- floor:begin (make footprint-floor, bench/footprint-floor.mjs) -->';
const END = '<!-- floor:end -->';
if (process.env.FLOOR_DOC !== '0') {
  const doc = path.join(ROOT, 'docs/benchmarks.md');
  const text = fs.readFileSync(doc, 'utf8');
  const block = `${BEGIN}\n${table}\n${END}`;
  const at = text.indexOf(BEGIN);
  fs.writeFileSync(doc, at >= 0 ? text.slice(0, at) + block + text.slice(text.indexOf(END) + END.length) : `${text.trimEnd()}\n\n${block}\n`);
}
