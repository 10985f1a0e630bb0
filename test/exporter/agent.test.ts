import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Agent } from '../../exporter/agent';
import { buildApp } from '../../exporter/app';
import { CHECK_FAMILIES } from '../../exporter/metrics';
import type { NodeFacts } from '../../src/core/facts';
import type { NodeReport } from '../../src/core/model';
import { testAgent } from '../helpers/agent';
import { cniPod, node } from '../helpers/objects';

const HOSTS = path.join(__dirname, '../fixtures/hosts');

const agentFor = (host: string, api: Pick<NodeFacts, 'node' | 'pods' | 'unavailable'>, root = path.join(HOSTS, host)) => testAgent(root, api);

/** Parses the Prometheus text format into "name{labels}" → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

const flannelApi = (ready = true) => ({
  node: node({ podCIDR: '10.244.3.0/24', ip: '192.168.33.20', annotations: { 'flannel.alpha.coreos.com/public-ip': '192.168.33.20' } }),
  pods: [cniPod('flannel', { ready })],
  unavailable: {},
});

describe('the agent on fixture hosts', () => {
  test('/readyz is 503 and /checks 503 until the first cycle; then 200', async () => {
    const { agent, app } = await agentFor('healthy-flannel', flannelApi());
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    expect((await app.inject('/checks')).statusCode).toBe(503);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    await agent.runCycle();
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    expect((await app.inject('/')).body).toMatch(/href="metrics"/);
  });

  test('healthy flannel node: no failing check, gauges at their healthy values', async () => {
    const { agent, app } = await agentFor('healthy-flannel', flannelApi());
    await agent.runCycle();
    const report = (await app.inject('/checks')).json() as NodeReport;
    expect(report.checks.filter((c) => c.status === 'fail' || c.status === 'warn')).toEqual([]);
    const m = samples((await app.inject('/metrics')).body);
    expect(m.get('netcheck_cni_ready{node="n1"}')).toBe(1);
    expect(m.get('netcheck_flannel_subnet_env_present{node="n1"}')).toBe(1);
    expect(m.get('netcheck_swap_enabled{node="n1"}')).toBe(0);
    expect(m.get('netcheck_default_route_present{node="n1"}')).toBe(1);
    expect(m.get('netcheck_pod_cidr_assigned{node="n1"}')).toBe(1);
    expect(m.has('netcheck_bgp_sessions{node="n1"}')).toBe(false); // skip: absent
    expect(m.get('netcheck_check_status{node="n1",check="bgp-established",status="skip"}')).toBe(1);
    expect([...m.keys()].filter((k) => k.startsWith('netcheck_build_info'))).toEqual([`netcheck_build_info{version="dev",revision="unknown",runtime="node ${process.version}"}`]);
    expect(m.get('process_start_time_seconds')).toBeGreaterThan(0);
  });

  test('seed 000 host: subnet.env missing and no default route, eth0 down', async () => {
    const { agent, app } = await agentFor('nic-down', flannelApi(false));
    await agent.runCycle();
    const report = (await app.inject('/checks')).json() as NodeReport;
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId['flannel-subnet-env'].status).toBe('fail');
    expect(byId['default-route'].summary).toBe('no default route; eth0 is down');
    const m = samples((await app.inject('/metrics')).body);
    expect(m.get('netcheck_flannel_subnet_env_present{node="n1"}')).toBe(0);
    expect(m.get('netcheck_default_route_present{node="n1"}')).toBe(0);
    expect(m.get('netcheck_cni_ready{node="n1"}')).toBe(0);
  });

  test('seed 001 host: the default-route NIC (wlan0) stayed down', async () => {
    const { agent, app } = await agentFor('no-default-route', flannelApi(false));
    await agent.runCycle();
    const route = ((await app.inject('/checks')).json() as NodeReport).checks.find((c) => c.id === 'default-route')!;
    expect(route).toMatchObject({ status: 'fail', summary: 'no default route; wlan0 is down' });
  });

  test('seed 002 host: swap on with failSwapOn defaulting to true; the kubelet-ready cause is swap', async () => {
    const api = { node: node({ ip: '172.17.73.60', ready: 'Unknown', annotations: { 'projectcalico.org/IPv4Address': '10.0.0.63/24' } }), pods: [cniPod('calico', { ready: false })], unavailable: {} };
    const { agent, app } = await agentFor('swap-on', api);
    await agent.runCycle();
    const byId = Object.fromEntries(((await app.inject('/checks')).json() as NodeReport).checks.map((c) => [c.id, c]));
    expect(byId.swap.status).toBe('fail');
    expect(byId.swap.evidence.join('\n')).toMatch(/\/dev\/sda3 \(partition, 27336 MiB\)/);
    expect(byId['kubelet-ready'].summary).toBe('kubelet stopped posting node status: it refuses to start with swap on');
    expect(samples((await app.inject('/metrics')).body).get('netcheck_swap_enabled{node="n1"}')).toBe(1);
  });

  test('bad host files make their checks unknown; the others run and the server keeps serving', async () => {
    const root = fs.mkdtempSync('/tmp/netcheck-host-');
    fs.cpSync(path.join(HOSTS, 'healthy-flannel'), root, { recursive: true });
    fs.writeFileSync(path.join(root, 'proc/swaps'), 'garbage\n');
    fs.writeFileSync(path.join(root, 'run/flannel/subnet.env'), 'x'.repeat(2 * 1024 * 1024));
    fs.rmSync(path.join(root, 'proc/net/route'));
    // Unreadable: tests run as root, so a directory stands where a file should be (EISDIR).
    fs.rmSync(path.join(root, 'var/lib/kubelet/config.yaml'));
    fs.mkdirSync(path.join(root, 'var/lib/kubelet/config.yaml'));
    const { agent, app, logs } = await agentFor('healthy-flannel', flannelApi(), root);
    await agent.runCycle();
    const byId = Object.fromEntries(((await app.inject('/checks')).json() as NodeReport).checks.map((c) => [c.id, c]));
    expect(byId.swap.status).toBe('unknown');
    expect(byId['flannel-subnet-env']).toMatchObject({ status: 'unknown', summary: 'subnet.env could not be read on the host' });
    expect(byId['flannel-subnet-env'].evidence.join()).toMatch(/\/run\/flannel\/subnet\.env is larger than 4096 bytes; not read/);
    expect(byId['default-route'].status).toBe('unknown');
    expect(byId['cni-ready'].status).toBe('ok');
    expect(samples((await app.inject('/metrics')).body).get('netcheck_fact_unavailable{node="n1",fact="kubeletConfig"}')).toBe(1);
    expect(logs).toContain('some facts could not be read; their checks are unknown');
    expect(samples((await app.inject('/metrics')).body).get('netcheck_fact_unavailable{node="n1",fact="swaps"}')).toBe(1);
  });

  test('every contract metric family exists, and promtool check metrics passes', async () => {
    const { agent, app } = await agentFor('healthy-flannel', flannelApi());
    await agent.runCycle();
    const text = (await app.inject('/metrics')).body;
    for (const name of [...CHECK_FAMILIES.map((g) => g.name), 'netcheck_check_status', 'netcheck_build_info']) expect(text).toContain(`# TYPE ${name} gauge`);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.stderr + lint.stdout).toBe('');
    expect(lint.status).toBe(0);
  });

  test('docs/metrics.md lists exactly the metric families the exporter serves', async () => {
    const { agent, app } = await agentFor('healthy-flannel', flannelApi());
    await agent.runCycle();
    const all = [...(await app.inject('/metrics')).body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    const served = all.filter((n) => n.startsWith('netcheck_')).sort();
    // The rest are prom-client's process_* and nodejs_* families, documented as such.
    expect(all.filter((n) => !n.startsWith('netcheck_') && !/^(process|nodejs)_/.test(n))).toEqual([]);
    expect(all).toEqual(expect.arrayContaining(['process_start_time_seconds', 'process_resident_memory_bytes']));
    const documented = [...fs.readFileSync(path.join(__dirname, '../../docs/metrics.md'), 'utf8').matchAll(/^\| `(netcheck_[a-z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(served);
  });
});

describe('never silent', () => {
  const api = { node: node(), pods: [], unavailable: {} };
  const hostRead = async () => ({ host: {}, unavailable: {} });

  function clockAgent(readHost: (signal: AbortSignal) => Promise<{ host: object; unavailable: object }> = hostRead) {
    let now = 1_000_000;
    const agent = new Agent({ nodeName: 'n1', intervalMs: 10_000, cycleTimeoutMs: 5_000, readHost, readApi: () => api, log: () => {}, now: () => now });
    return { agent, app: buildApp(agent, { nodeName: 'n1' }), advance: (ms: number) => (now += ms) };
  }

  test('/healthz fails once no cycle has finished for three intervals (plus a cycle deadline)', async () => {
    const { agent, app, advance } = clockAgent();
    await agent.runCycle();
    advance(3 * 10_000 + 5_000);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    advance(1_000);
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(503);
    expect(res.body).toMatch(/no check cycle has finished 36s ago; cycles have stalled/);
    await agent.runCycle();
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  test('/readyz is 503 before the first cycle and when the last report is stale', async () => {
    const { agent, app, advance } = clockAgent();
    expect((await app.inject('/readyz')).body).toBe('the first check cycle has not finished\n');
    await agent.runCycle();
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    advance(2 * 10_000 + 5_000 + 1_000);
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.body).toMatch(/the last check cycle finished 26s ago \(stale after 25s\)/);
  });

  test('a host read that never returns ends at the cycle deadline: the cycle finishes, host facts unknown', async () => {
    const agent = new Agent({ nodeName: 'n1', intervalMs: 1000, cycleTimeoutMs: 200, readHost: () => new Promise(() => {}), readApi: () => api, log: () => {} });
    await agent.runCycle();
    const swap = agent.report!.checks.find((c) => c.id === 'swap')!;
    expect(swap.status).toBe('unknown');
    expect(swap.evidence.join()).toContain('swaps: timed out after 200ms reading host facts');
  });

  test('cycles never overlap, and start on the interval from the start of the previous one', async () => {
    let running = 0;
    let most = 0;
    const starts: number[] = [];
    let fifth!: () => void;
    const fifthStart = new Promise<void>((r) => (fifth = r));
    const agent = new Agent({
      nodeName: 'n1',
      intervalMs: 100,
      cycleTimeoutMs: 1000,
      readHost: async () => {
        if (starts.push(Date.now()) === 5) fifth();
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 150)); // each cycle runs longer than the interval
        running--;
        return { host: {}, unavailable: {} };
      },
      readApi: () => api,
      log: () => {},
    });
    agent.start();
    await fifthStart;
    await agent.stop();
    expect(most).toBe(1);
    expect(starts.length).toBeGreaterThanOrEqual(4);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(140); // never before the last one ended
  });

  test('/checks answers only on loopback; /metrics answers everywhere', async () => {
    const { agent, app } = clockAgent();
    await agent.runCycle();
    expect((await app.inject({ url: '/checks', remoteAddress: '127.0.0.1' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/checks', remoteAddress: '::1' })).statusCode).toBe(200);
    const remote = await app.inject({ url: '/checks', remoteAddress: '10.244.3.17' });
    expect(remote.statusCode).toBe(404);
    expect(remote.body).not.toContain('NodeReport');
    expect((await app.inject({ url: '/checks', remoteAddress: '::ffff:10.0.0.9' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/metrics', remoteAddress: '10.244.3.17' })).statusCode).toBe(200);
  });
});
