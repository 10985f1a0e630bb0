import fs from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';

// The process_* families every Prometheus client serves (names and meanings as the client libraries
// define them), plus the V8 heap's size. Not prom-client's collectDefaultMetrics(): its event-loop
// delay monitor, GC observer and heap-space statistics cost RSS under scrape load (docs/benchmarks.md,
// "the floor"), for series no dashboard, alert or runbook here reads.
// Each value is read when the registry renders (once per check cycle); one that cannot be read is
// left out of that rendering, never reported as 0.

const PROC = '/proc/self';

/** VmRSS, VmSize, VmData of /proc/self/status in bytes (a small file, read at each rendering); empty off Linux or when unreadable. */
function status(): Map<string, number> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = fs.readFileSync(`${PROC}/status`, 'utf8');
  } catch {
    return out;
  }
  for (const m of text.matchAll(/^(VmRSS|VmSize|VmData):\s+(\d+) kB$/gm)) out.set(m[1], Number(m[2]) * 1024);
  return out;
}

function maxFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync(`${PROC}/limits`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function openFds(): number | undefined {
  try {
    return fs.readdirSync(`${PROC}/fd`).length - 1; // the directory handle readdir itself opened
  } catch {
    return undefined;
  }
}

/** A gauge whose value is read at each rendering; `read` returning undefined leaves it out. */
function sampled(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      const v = read();
      if (v !== undefined) this.set(v);
    },
  });
}

export function registerProcessMetrics(registry: Registry): void {
  const startedAt = Math.round(Date.now() / 1000 - process.uptime());
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers: [registry] }).set(startedAt);

  // CPU counters: prom-client counters only go up, so each rendering adds what was used since the last.
  let last = { user: 0, system: 0 };
  const user = new Counter({ name: 'process_cpu_user_seconds_total', help: 'Total user CPU time spent in seconds.', registers: [registry] });
  const system = new Counter({ name: 'process_cpu_system_seconds_total', help: 'Total system CPU time spent in seconds.', registers: [registry] });
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers: [registry],
    collect() {
      const now = process.cpuUsage(); // microseconds since start
      user.inc((now.user - last.user) / 1e6);
      system.inc((now.system - last.system) / 1e6);
      this.inc((now.user - last.user + now.system - last.system) / 1e6);
      last = now;
    },
  });

  sampled(registry, 'process_resident_memory_bytes', 'Resident memory size in bytes.', () => status().get('VmRSS') ?? process.memoryUsage.rss());
  sampled(registry, 'process_virtual_memory_bytes', 'Virtual memory size in bytes.', () => status().get('VmSize'));
  sampled(registry, 'process_heap_bytes', 'Process heap size in bytes.', () => status().get('VmData'));
  sampled(registry, 'process_open_fds', 'Number of open file descriptors.', openFds);
  const max = maxFds();
  sampled(registry, 'process_max_fds', 'Maximum number of open file descriptors.', () => max);

  sampled(registry, 'nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', () => process.memoryUsage().heapTotal);
  sampled(registry, 'nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', () => process.memoryUsage().heapUsed);
  sampled(registry, 'nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', () => process.memoryUsage().external);
}
