// make bench-runtimes: the agent on each runtime it could ship on, same host, same load.
//
//   AGENT_RUNTIMES="node=/usr/bin/node node22=/opt/node22/bin/node bun=compiled" node bench/agent-runtimes.mjs
//
// "compiled" is the agent built by Bun (`bun build --compile`, as the plugin is). For each: time to
// /readyz, RSS after 30 s of 50 connections scraping /metrics, and CPU per check cycle at
// --interval 100ms on the healthy-flannel host. Prints a Markdown table.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { imageNodeFlags } from './image-flags.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const HOST = path.join(ROOT, 'test/fixtures/hosts/healthy-flannel');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const hwmMiB = (pid) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const cpuSeconds = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

/** Waits (15 s at most) until the agent at `url` says it is ready. */
async function ready(url) {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(50);
  }
  throw new Error(`the agent at ${url} did not become ready within 15 s`);
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function compiledAgent() {
  const out = path.join(ROOT, '.tmp/netcheck-exporter');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  execFileSync(path.join(ROOT, 'node_modules/.bin/bun'), ['build', 'exporter/main.ts', '--compile', '--minify', '--bytecode', '--format=esm', '--outfile', out], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return out;
}

async function measure(name, command) {
  const port = await freePort();
  const args = ['--node-name', 'n01', '--host-root', HOST, '--address', '127.0.0.1', '--port', String(port)];
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-runtime-'));
  const start = (interval) => {
    const child = spawn(command[0], [...command.slice(1), ...args, '--interval', interval, '--probe-interval', '0'], { stdio: 'ignore', env: { ...process.env, HOME: home, KUBECONFIG: '' } });
    return child;
  };
  const t0 = Date.now();
  let agent = start('5s');
  const url = `http://127.0.0.1:${port}`;
  await ready(url);
  const readyMs = Date.now() - t0;
  const idle = rssMiB(agent.pid);
  await autocannon({ url: `${url}/metrics`, connections: 50, duration: 30 });
  const loaded = rssMiB(agent.pid);
  const peak = hwmMiB(agent.pid);
  agent.kill('SIGTERM');
  await sleep(500);
  agent = start('100ms');
  await ready(url);
  const cycles = async () => Number(/^netcheck_cycles_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())[1]);
  await sleep(2000);
  const c0 = await cycles();
  const cpu0 = cpuSeconds(agent.pid);
  await sleep(10_000);
  const perCycle = ((cpuSeconds(agent.pid) - cpu0) / ((await cycles()) - c0)) * 1000;
  agent.kill('SIGTERM');
  await sleep(500);
  return { name, readyMs, idle, loaded, peak, perCycle };
}

const spec = process.env.AGENT_RUNTIMES ?? `node=${process.execPath} bun=compiled`;
const results = [];
for (const entry of spec.split(/\s+/).filter(Boolean)) {
  const [name, runtime] = entry.split('=');
  const command = runtime === 'compiled' ? [compiledAgent()] : [runtime, ...(process.env.AGENT_NODE_FLAGS?.split(' ').filter(Boolean) ?? imageNodeFlags()), path.join(ROOT, 'dist/exporter.mjs')];
  const version =
    runtime === 'compiled'
      ? `bun ${execFileSync(path.join(ROOT, 'node_modules/.bin/bun'), ['--version'], { encoding: 'utf8' }).trim()}, compiled`
      : `node ${execFileSync(runtime, ['--version'], { encoding: 'utf8' }).trim()}`;
  results.push({ ...(await measure(name, command)), version });
}
console.log('| runtime | ready | RSS idle | RSS after 30 s at 50 connections | peak | CPU per cycle |');
console.log('|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.version} | ${r.readyMs} ms | ${r.idle.toFixed(0)} MiB | ${r.loaded.toFixed(0)} MiB | ${r.peak.toFixed(0)} MiB | ${r.perCycle.toFixed(1)} ms |`);
