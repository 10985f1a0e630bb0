import fs from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';

// The process_* families every Prometheus client serves (names and meanings as the client libraries
// define them), plus the V8 heap's size. Not prom-client's collectDefaultMetrics(): its event-loop
// delay monitor, GC observer and heap-space statistics cost RSS under scrape load (docs/benchmarks.md,
// "the floor"), for series no dashboard, alert or runbook here reads.
// Each value is read when the registry renders (once per check cycle); one that cannot be read is
// left out of that rendering, never reported as 0.

const PROC = '/proc/self';
/** /proc/self/status and limits are under 2 KiB; reads stop here. Kernel files answer at once. */
const PROC_FILE_LIMIT = 16 * 1024;
/** Open fds are counted up to here (the agent holds at most 256 connections); past it, no value. */
const FD_COUNT_LIMIT = 65_536;

/** A /proc file's text, at most PROC_FILE_LIMIT bytes; null off Linux or when unreadable. */
function procText(name: string): string | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(`${PROC}/${name}`, 'r');
    const buffer = Buffer.alloc(PROC_FILE_LIMIT);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = fs.readSync(fd, buffer, length, buffer.length - length, null);
    return buffer.toString('utf8', 0, length);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** VmRSS, VmSize, VmData of /proc/self/status in bytes; empty off Linux or when unreadable. */
function readStatus(): Map<string, number> {
  return new Map([...(procText('status') ?? '').matchAll(/^(VmRSS|VmSize|VmData):\s+(\d+) kB$/gm)].map((m) => [m[1], Number(m[2]) * 1024]));
}

function maxFds(): number | undefined {
  const m = /^Max open files\s+(\d+)/m.exec(procText('limits') ?? '');
  return m ? Number(m[1]) : undefined;
}

function openFds(): number | undefined {
  let dir: fs.Dir | undefined;
  try {
    dir = fs.opendirSync(`${PROC}/fd`);
    let count = 0;
    while (dir.readSync() !== null) if (++count > FD_COUNT_LIMIT) return undefined;
    return count - 1; // the directory handle opendir itself holds
  } catch {
    return undefined;
  } finally {
    dir?.closeSync();
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

  // /proc/self/status once per rendering: prom-client collects in registration order, so the
  // resident gauge reads it and the two after it use that reading.
  let vm = new Map<string, number>();
  sampled(registry, 'process_resident_memory_bytes', 'Resident memory size in bytes.', () => {
    vm = readStatus();
    return vm.get('VmRSS') ?? process.memoryUsage.rss();
  });
  sampled(registry, 'process_virtual_memory_bytes', 'Virtual memory size in bytes.', () => vm.get('VmSize'));
  sampled(registry, 'process_heap_bytes', 'Process heap size in bytes.', () => vm.get('VmData'));
  sampled(registry, 'process_open_fds', 'Number of open file descriptors.', openFds);
  const max = maxFds();
  sampled(registry, 'process_max_fds', 'Maximum number of open file descriptors.', () => max);

  sampled(registry, 'nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', () => process.memoryUsage().heapTotal);
  sampled(registry, 'nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', () => process.memoryUsage().heapUsed);
  sampled(registry, 'nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', () => process.memoryUsage().external);
}
