import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Agent } from '../../exporter/agent';
import { buildApp } from '../../exporter/app';
import { CHECK_GAUGES } from '../../exporter/metrics';
import type { NodeFacts } from '../../src/facts';
import type { NodeReport } from '../../src/model';
import { readHostFacts } from '../../src/sources/host';
import { cniPod, node } from '../helpers/objects';

const HOSTS = path.join(__dirname, '../fixtures/hosts');

function agentFor(host: string, api: Pick<NodeFacts, 'node' | 'pods' | 'unavailable'>, root = path.join(HOSTS, host)) {
  const logs: string[] = [];
  const agent = new Agent({ nodeName: api.node?.metadata?.name ?? 'n1', readHost: () => readHostFacts({ root, birdTimeoutMs: 500 }), readApi: () => api, log: (_l, m) => logs.push(m) });
  return { agent, app: buildApp(agent, { nodeName: 'n1' }), logs };
}

/** Parses the Prometheus text format into "name{labels}" → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

const flannelApi = (ready = true) => ({ node: node({ podCIDR: '10.244.3.0/24', ip: '192.168.33.20', annotations: { 'flannel.alpha.coreos.com/public-ip': '192.168.33.20' } }), pods: [cniPod('flannel', { ready })], unavailable: {} });

describe('the agent on fixture hosts', () => {
  test('/readyz is 503 and /checks 503 until the first cycle; then 200', async () => {
    const { agent, app } = agentFor('healthy-flannel', flannelApi());
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    expect((await app.inject('/checks')).statusCode).toBe(503);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    await agent.runCycle();
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    expect((await app.inject('/')).body).toMatch(/href="metrics"/);
  });

  test('healthy flannel node: no failing check, gauges at their healthy values', async () => {
    const { agent, app } = agentFor('healthy-flannel', flannelApi());
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
    expect(m.get('netcheck_build_info{version="dev"}')).toBe(1);
  });

  test('seed 000 host: subnet.env missing and no default route, eth0 down', async () => {
    const { agent, app } = agentFor('nic-down', flannelApi(false));
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
    const { agent, app } = agentFor('no-default-route', flannelApi(false));
    await agent.runCycle();
    const route = ((await app.inject('/checks')).json() as NodeReport).checks.find((c) => c.id === 'default-route')!;
    expect(route).toMatchObject({ status: 'fail', summary: 'no default route; wlan0 is down' });
  });

  test('seed 002 host: swap on with failSwapOn defaulting to true; the kubelet-ready cause is swap', async () => {
    const api = { node: node({ ip: '172.17.73.60', ready: 'Unknown', annotations: { 'projectcalico.org/IPv4Address': '10.0.0.63/24' } }), pods: [cniPod('calico', { ready: false })], unavailable: {} };
    const { agent, app } = agentFor('swap-on', api);
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
    const { agent, app, logs } = agentFor('healthy-flannel', flannelApi(), root);
    await agent.runCycle();
    const byId = Object.fromEntries(((await app.inject('/checks')).json() as NodeReport).checks.map((c) => [c.id, c]));
    expect(byId.swap.status).toBe('unknown');
    expect(byId['flannel-subnet-env']).toMatchObject({ status: 'unknown', summary: 'subnet.env could not be read on the host' });
    expect(byId['flannel-subnet-env'].evidence.join()).toMatch(/larger than 1048576 bytes/);
    expect(byId['default-route'].status).toBe('unknown');
    expect(byId['cni-ready'].status).toBe('ok');
    expect(samples((await app.inject('/metrics')).body).get('netcheck_fact_unavailable{node="n1",fact="kubeletConfig"}')).toBe(1);
    expect(logs).toContain('some facts could not be read; their checks are unknown');
    expect(samples((await app.inject('/metrics')).body).get('netcheck_fact_unavailable{node="n1",fact="swaps"}')).toBe(1);
  });

  test('every contract metric family exists, and promtool check metrics passes', async () => {
    const { agent, app } = agentFor('healthy-flannel', flannelApi());
    await agent.runCycle();
    const text = (await app.inject('/metrics')).body;
    for (const name of [...CHECK_GAUGES.map((g) => g.name), 'netcheck_check_status', 'netcheck_build_info']) expect(text).toContain(`# TYPE ${name} gauge`);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.stderr + lint.stdout).toBe('');
    expect(lint.status).toBe(0);
  });

  test('docs/metrics.md lists exactly the metric families the exporter serves', async () => {
    const { agent, app } = agentFor('healthy-flannel', flannelApi());
    await agent.runCycle();
    const served = [...(await app.inject('/metrics')).body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]).sort();
    const documented = [...fs.readFileSync(path.join(__dirname, '../../docs/metrics.md'), 'utf8').matchAll(/^\| `(netcheck_[a-z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(served);
  });
});
