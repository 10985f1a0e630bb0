import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { registerProcessMetrics } from '../../exporter/process-metrics';

const ROOT = path.resolve(__dirname, '../..');

/** "name" → value for the unlabelled samples of a rendering. */
async function render(registry: Registry): Promise<Map<string, number>> {
  const text = await registry.metrics();
  return new Map([...text.matchAll(/^([a-z_]+) (\S+)$/gm)].map((m) => [m[1], Number(m[2])]));
}

describe('process_* metrics', () => {
  test('say what /proc/self and the runtime say, and CPU only goes up', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry);
    const first = await render(registry);
    const rss = Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
    expect(Math.abs((first.get('process_resident_memory_bytes') ?? 0) - rss)).toBeLessThan(16 * 1024 * 1024);
    expect(first.get('process_virtual_memory_bytes')).toBeGreaterThan(first.get('process_resident_memory_bytes') ?? Infinity);
    expect(first.get('process_open_fds')).toBe(fs.readdirSync('/proc/self/fd').length - 1);
    expect(first.get('process_max_fds')).toBe(Number(/^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1]));
    const started = Date.now() / 1000 - process.uptime();
    expect(Math.abs((first.get('process_start_time_seconds') ?? 0) - started)).toBeLessThanOrEqual(1);
    expect(first.get('nodejs_heap_size_used_bytes')).toBeLessThanOrEqual(first.get('nodejs_heap_size_total_bytes') ?? 0);

    const until = Date.now() + 30;
    while (Date.now() < until); // burn some CPU
    const second = await render(registry);
    const cpu = (m: Map<string, number>) => m.get('process_cpu_seconds_total') ?? Number.NaN;
    expect(cpu(second)).toBeGreaterThan(cpu(first));
    expect(cpu(second)).toBeCloseTo((second.get('process_cpu_user_seconds_total') ?? 0) + (second.get('process_cpu_system_seconds_total') ?? 0), 5);
    const used = process.cpuUsage();
    expect(cpu(second)).toBeLessThanOrEqual((used.user + used.system) / 1e6);
  });

  test('the rendering passes promtool check metrics', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: await registry.metrics(), encoding: 'utf8' });
    expect(lint.stderr + lint.stdout).toBe('');
    expect(lint.status).toBe(0);
  });
});

describe('the agent bundle', () => {
  // build.mjs leaves out the built-ins Fastify and prom-client load for features the agent does not
  // use (HTTP/2 servers, gzipped pushes): they cost RSS on every node (docs/benchmarks.md).
  test('loads neither node:http2 nor zlib, and its stand-ins say where they come from', () => {
    const preload = path.join(ROOT, '.tmp', `modules-${process.pid}.cjs`);
    fs.mkdirSync(path.dirname(preload), { recursive: true });
    fs.writeFileSync(preload, "process.on('exit', () => process.stderr.write('MODULES ' + JSON.stringify(process.moduleLoadList) + '\\n'));\n");
    try {
      const run = spawnSync(process.execPath, ['--require', preload, path.join(ROOT, 'dist/exporter.mjs'), '--version'], { encoding: 'utf8', timeout: 20_000 });
      expect(run.status).toBe(0);
      const loaded: string[] = JSON.parse(/^MODULES (.*)$/m.exec(run.stderr)?.[1] ?? 'null');
      expect(loaded).toEqual(expect.arrayContaining(['NativeModule http', 'NativeModule https']));
      expect(loaded.filter((m) => /^NativeModule (http2|zlib)$/.test(m))).toEqual([]);
      const bundle = fs.readFileSync(path.join(ROOT, 'dist/exporter.mjs'), 'utf8');
      expect(bundle).toContain('node:http2 for fastify/lib/server.js is left out of this bundle (build.mjs)');
      expect(bundle).toContain('zlib for prom-client/lib/pushgateway.js is left out of this bundle (build.mjs)');
    } finally {
      fs.rmSync(preload, { force: true });
    }
  });
});
