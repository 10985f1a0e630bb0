// A real Prometheus scrapes netcheck agents on fixture hosts, all in cluster "prod": n01 healthy,
// n02 after seed 000 (eth0 down, no route, no subnet.env, and a malformed kubelet config), n03 after
// seed 001 (wlan0 down), k8smaster2 on Calico with a real BIRD whose second peer is down, and
// k8scephnode with swap on (seed 002). The last two are not in the API server's cluster, so their
// API checks stay unknown. Prometheus scrapes them as the shipped PodMonitor makes the operator
// scrape them (test/ops/podmonitor.ts). Every alert expression, every dashboard query (for concrete
// nodes) and the rule file are evaluated through Prometheus's HTTP API.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { recordingRules, renderAlerts } from '../../alerts/mixin';
import { DASHBOARDS } from '../../dashboards/dashboards';
import { type AgentProcess, agentUser, kubeconfigWithToken, REPORT_API, ROOT, type Sim, startAgent, startSim, tmpdir } from '../e2e/harness';
import { BirdMesh } from '../helpers/bird';
import { podMonitorScrapeConfig } from './podmonitor';

const ALERTS = renderAlerts().map((a) => a.rule);
const PROBE_METRICS = ['netcheck_api_service_reachable', 'netcheck_cluster_dns_ok', 'netcheck_probe_'];
const HOSTS = path.join(ROOT, 'test/fixtures/hosts');
let sim: Sim;
const agents: AgentProcess[] = [];
let prometheus: ChildProcess;
let promOutput = '';
let promUrl = '';
const mesh = new BirdMesh();

type Sample = { metric: Record<string, string>; value: [number, string] };

async function query(expr: string): Promise<Sample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate().catch(() => false))) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached in ${timeoutMs / 1000}s. Prometheus printed:\n${promOutput.slice(-3000)}\nAgents printed:\n${agents.map((a) => a.output().slice(-1500)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  mesh.start(2, [3, 9]); // k8smaster2: peers with 3 (runs) and 9 (nothing listens)
  mesh.start(3, [2]);
  sim = await startSim(['flannel-incidents.yaml', ...REPORT_API], ['--user', agentUser('n01'), '--user', agentUser('n02'), '--user', agentUser('n03')]);
  // n02's kubelet config is malformed too, so the "facts not read" panel has a series.
  const n02 = tmpdir();
  fs.cpSync(path.join(HOSTS, 'nic-down'), n02, { recursive: true });
  fs.writeFileSync(path.join(n02, 'var/lib/kubelet/config.yaml'), 'failSwapOn: [\n');
  const fleet: [string, string, string[]][] = [
    ['n01', path.join(HOSTS, 'healthy-flannel'), []],
    ['n02', n02, []],
    ['n03', path.join(HOSTS, 'no-default-route'), []],
    ['k8smaster2', path.join(HOSTS, 'healthy-calico'), ['--bird-socket', mesh.socket(2)]],
    ['k8scephnode', path.join(HOSTS, 'swap-on'), []],
  ];
  for (const [node, host, extra] of fleet) {
    const token = ['n01', 'n02', 'n03'].includes(node) ? `agent-${node}` : 'sim-token';
    agents.push(await startAgent(['--node-name', node, '--host-root', host, '--interval', '1s', '--kubeconfig', kubeconfigWithToken(sim, token), ...extra]));
  }
  await mesh.established(2, 1);
  const dir = tmpdir();
  const promPort = 20000 + Math.floor(Math.random() * 20000);
  const targets = fleet.map(([node], i) => ({ address: agents[i].url.replace('http://', ''), node, pod: `netcheck-agent-${node}` }));
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    yaml.dump({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [path.join(ROOT, 'alerts/netcheck.rules.yaml')],
      scrape_configs: [
        // As the operator scrapes the shipped PodMonitor (job netcheck-agent, node from the pod); here
        // with a cluster label too, and an agent pod on n09 that does not answer.
        podMonitorScrapeConfig([...targets, { address: '127.0.0.1:1', node: 'n09', pod: 'netcheck-agent-n09' }], { cluster: 'prod' }),
      ],
    }),
  );
  prometheus = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prometheus.stdout!.on('data', (c) => (promOutput += c));
  prometheus.stderr!.on('data', (c) => (promOutput += c));
  promUrl = `http://127.0.0.1:${promPort}`;
  await until(
    'every agent scraped twice, with BGP and report writes in',
    async () =>
      (await query('count(netcheck_cni_ready)'))[0]?.value[1] === '3' &&
      (await query('count(netcheck_bgp_sessions_established)'))[0]?.value[1] === '1' &&
      (await query('count(rate(netcheck_cycles_total[1m]) > 0)'))[0]?.value[1] === '5' &&
      (await query('count(netcheck_report_writes_total{result="ok"} > 0)'))[0]?.value[1] === '3',
    120_000,
  );
}, 180_000);

afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  prometheus?.kill('SIGTERM');
  mesh.stopAll();
  await sim?.stop();
});

const nodesIn = (result: Sample[]) => [...new Set(result.map((r) => r.metric.node))].sort();

test('Prometheus scrapes the agents and loads every rule', async () => {
  expect((await query('up{job="netcheck-agent"} == 1')).length).toBe(5);
  const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { health: string; name: string }[] }[] } };
  const loaded = rules.data.groups.flatMap((g) => g.rules);
  expect(loaded.map((r) => r.name).sort()).toEqual([...ALERTS.map((a) => a.alert), ...recordingRules().map((r) => r.record)].sort());
  for (const r of loaded) expect([r.name, r.health]).toEqual([r.name, 'ok']);
});

test('each alert expression selects exactly the nodes it should; none selects the healthy node', async () => {
  const expected: Record<string, string[]> = {
    // Their CNI and subnet.env fail too, explained by the route: those alerts wait behind it.
    NetcheckDefaultRouteMissing: ['n02', 'n03'],
    NetcheckBGPSessionsDown: ['k8smaster2'],
    NetcheckSwapEnabled: ['k8scephnode'],
    // The two nodes the API server does not know: their API checks cannot tell.
    NetcheckCheckUnknown: ['k8scephnode', 'k8smaster2'],
    NetcheckAgentDown: ['n09'],
  };
  for (const alert of ALERTS) {
    const nodes = nodesIn(await query(alert.expr));
    expect([alert.alert, nodes]).toEqual([alert.alert, expected[alert.alert] ?? []]);
    expect(nodes).not.toContain('n01');
  }
});

test('series keep the cluster label through every join and aggregation of the rules', async () => {
  for (const alert of ALERTS) for (const s of await query(alert.expr)) expect([alert.alert, s.metric.cluster]).toEqual([alert.alert, 'prod']);
});

const sub = (expr: string, node: string) =>
  expr
    .replace(/\$cluster/g, 'prod')
    .replace(/\$node/g, node)
    .replace(/\$__rate_interval/g, '1m');

test("every dashboard query returns data for a concrete node (never a .* in place of $node), under the PodMonitor's labels", async () => {
  const nodes = ['n01', 'n02', 'n03', 'k8smaster2', 'k8scephnode'];
  const [, nodeDashboard] = DASHBOARDS;
  for (const d of DASHBOARDS) {
    for (const p of d.panels ?? []) {
      for (const t of ('targets' in p ? p.targets : undefined) ?? []) {
        const expr = (t as unknown as { expr: string }).expr;
        // The probes are off in this suite (the fixtures' addresses are not this machine's): their
        // panels have no data here; test/netns/probes.test.ts runs them on real hosts.
        if (PROBE_METRICS.some((m) => expr.includes(m))) continue;
        // A per-check number exists only where its check applies (BGP on Calico): some node must have it.
        const answering = [];
        for (const node of nodes) if ((await query(sub(expr, node))).length > 0) answering.push(node);
        expect([d.uid, p.title, expr, answering.length > 0]).toEqual([d.uid, p.title, expr, true]);
      }
    }
  }
  // The root-cause annotation too, for a failing node (the alerts' one needs firing alerts: the
  // Alertmanager test, with its shortened durations, checks it).
  for (const d of DASHBOARDS)
    for (const a of (d.annotations?.list ?? []).filter((a) => a.name === 'Root cause changes')) {
      const expr = (a.target as unknown as { expr: string }).expr;
      expect([d.uid, a.name, (await query(sub(expr, 'n02'))).length > 0]).toEqual([d.uid, a.name, true]);
    }
  // The node dashboard's agent and status panels answer for every node, the healthy one included.
  for (const title of ['Checks', 'Check status over time', 'Last check cycle, seconds ago', 'Agent memory and restarts']) {
    const panel = (nodeDashboard.panels ?? []).find((p) => p.title === title) as unknown as { targets: { expr: string }[] };
    for (const t of panel.targets) for (const node of nodes) expect([title, node, (await query(sub(t.expr, node))).length > 0]).toEqual([title, node, true]);
  }
});

test("the PodMonitor's scrape gives every series, process_* and up included, the node of the agent's pod and no exported_node", async () => {
  expect(nodesIn(await query('process_resident_memory_bytes{job="netcheck-agent"}'))).toEqual(['k8scephnode', 'k8smaster2', 'n01', 'n02', 'n03']);
  expect(nodesIn(await query('up{job="netcheck-agent"}'))).toEqual(['k8scephnode', 'k8smaster2', 'n01', 'n02', 'n03', 'n09']);
  expect(await query('{job="netcheck-agent", exported_node!=""}')).toEqual([]);
  expect((await query('netcheck_check_status{job="netcheck-agent", namespace="netcheck", pod="netcheck-agent-n02", node="n02"}')).length).toBeGreaterThan(0);
});

test('the recording rules count failing nodes and root causes per check, 0 where none fails', async () => {
  await until('the recording rules evaluated', async () => (await query('cluster:netcheck_nodes_failing:sum')).length > 0, 30_000);
  const failing = Object.fromEntries((await query('cluster:netcheck_nodes_failing:sum{cluster="prod"}')).map((s) => [s.metric.check, s.value[1]]));
  const rootCauses = Object.fromEntries((await query('cluster:netcheck_root_cause_nodes:sum{cluster="prod"}')).map((s) => [s.metric.check, s.value[1]]));
  // n02 and n03: no usable default route, hence no subnet.env and no CNI; the route is their root cause.
  expect(failing).toMatchObject({ 'default-route': '2', 'flannel-subnet-env': '2', 'cni-ready': '2', 'pod-cidr-assigned': '0' });
  expect(rootCauses).toMatchObject({ 'default-route': '2', 'flannel-subnet-env': '0', 'cni-ready': '0' });
  expect((await query('cluster:netcheck_agents_reporting:count{cluster="prod"}'))[0].value[1]).toBe('5');
});

test('the dashboards show what the agents see: n02 fails default-route, k8smaster2 has a BGP peer down', async () => {
  const [overview, node] = DASHBOARDS;
  const panel = (d: (typeof DASHBOARDS)[number], title: string) => (d.panels ?? []).find((p) => p.title === title) as unknown as { targets: { expr: string }[] };
  const worst = await query(sub(panel(overview, 'Worst nodes, with their root cause').targets[0].expr, 'n02'));
  expect(worst.find((r) => r.metric.node === 'n02')!.metric.check).toBe('default-route');
  expect(worst.map((r) => r.metric.node)).not.toContain('n01');
  const rootCause = await query(sub(panel(node, 'Root cause').targets[0].expr, 'n02'));
  expect(rootCause.map((r) => r.metric.check)).toEqual(['default-route']);
  expect(await query(sub(panel(node, 'Root cause').targets[0].expr, 'n01'))).toEqual([]);
  const peers = await query(sub(panel(node, 'BGP peers').targets[0].expr, 'k8smaster2'));
  expect(peers.map((p) => [p.metric.peer, p.metric.state, p.value[1]]).sort()).toEqual([
    [mesh.addr(3), 'Established', '1'],
    [mesh.addr(9), expect.stringMatching(/^(Active|Connect|Idle)$/), '0'],
  ]);
});
