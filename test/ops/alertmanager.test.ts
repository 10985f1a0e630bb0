// What reaches the person on call. A real Prometheus (Debian's) evaluates the shipped rules, rendered
// by the mixin with shortened durations, and sends to a real Alertmanager (Debian's) loaded with the
// shipped routing and inhibitions (alerts/mixin.ts), whose receivers are webhooks on a small HTTP
// server here. Agents run on the seed incident (n01 healthy, n02 eth0 down, n03 wlan0 down) and on a
// Calico node with swap on and a full conntrack table (k8scephnode); a kube-state-metrics fixture adds
// a Windows node, a Linux node without an agent and a node whose network is down (its agent pod
// cannot be scraped, its kubelet stopped posting status); kubernetes-mixin's KubeNodeNotReady fires
// for the NotReady nodes before netcheck's alerts do.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import yaml from 'js-yaml';
import { alertmanagerRoute, DEFAULT_CONFIG, inhibitRules, type MixinConfig, ruleGroups } from '../../alerts/mixin';
import { DASHBOARDS } from '../../dashboards/dashboards';
import { type AgentProcess, agentUser, freePort, HOSTS, kubeconfigWithToken, REPORT_API, ROOT, type Sim, startAgent, startSim, tmpdir } from '../e2e/harness';
import { podMonitorScrapeConfig } from './podmonitor';

/** The shipped rules and routing, with every duration shortened (the mixin's knobs, nothing else). */
const CFG: MixinConfig = {
  ...DEFAULT_CONFIG,
  for: { fast: '2s', slow: '3s', slowest: '4s' },
  alertmanager: { groupWait: '1s', groupInterval: '2s', repeatInterval: '1h', pageRepeatInterval: '1h' },
};

interface Notified {
  receiver: string;
  status: string;
  groupLabels: Record<string, string>;
  alerts: { labels: Record<string, string>; annotations: Record<string, string> }[];
}
interface AmAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

const notifications: Notified[] = [];
let webhook: http.Server;
let sim: Sim;
const agents: AgentProcess[] = [];
let ksm: http.Server;
let prometheus: ChildProcess;
let alertmanager: ChildProcess;
let promOutput = '';
let amOutput = '';
let promUrl = '';
let amUrl = '';
let dir = '';
let promArgs: string[] = [];

function startPrometheus() {
  prometheus = spawn('prometheus', promArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  prometheus.stdout!.on('data', (c) => (promOutput += c));
  prometheus.stderr!.on('data', (c) => (promOutput += c));
}

async function until(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(predicate()).catch(() => false))) {
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not reached in ${timeoutMs / 1000}s.\nNotifications:\n${JSON.stringify(notifications.map(summary), null, 1)}\nAlertmanager printed:\n${amOutput.slice(-4000)}\nPrometheus printed:\n${promOutput.slice(-2000)}\nAgents printed:\n${agents.map((a) => a.output().slice(-800)).join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

const summary = (n: Notified) => ({ receiver: n.receiver, alerts: n.alerts.map((a) => `${a.labels.alertname}@${a.labels.node}`) });
const pages = () => notifications.filter((n) => n.receiver === 'pager');
const tickets = () => notifications.filter((n) => n.receiver === 'tickets');
/** Every (alertname, node) that reached `receiver`. */
const delivered = (list: Notified[], node: string) => [...new Set(list.flatMap((n) => n.alerts.filter((a) => a.labels.node === node).map((a) => a.labels.alertname)))].sort();

async function query(expr: string): Promise<{ metric: Record<string, string> }[]> {
  const body = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { status: string; error?: string; data: { result: { metric: Record<string, string> }[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** Alerts posted to Alertmanager as a Prometheus would (API v2), held for a minute. */
async function post(alerts: Record<string, string>[]) {
  const now = Date.now();
  const body = alerts.map((labels) => ({ labels, annotations: { summary: 'posted by the test' }, startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now + 60_000).toISOString() }));
  const res = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

async function amAlerts(): Promise<AmAlert[]> {
  return (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as AmAlert[];
}
const amAlert = (alerts: AmAlert[], name: string, node: string) => alerts.find((a) => a.labels.alertname === name && a.labels.node === node);

/** How many times Alertmanager has flushed the group of `alertname` (its debug log). */
const flushes = (alertname: string) => amOutput.split('\n').filter((l) => l.includes('msg=flushing') && l.includes(`alertname=\\"${alertname}\\"`)).length;

beforeAll(async () => {
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      notifications.push({ ...(JSON.parse(body) as Notified), receiver: req.url!.slice(1) });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;
  const ksmText = fs.readFileSync(path.join(ROOT, 'test/fixtures/kube-state-metrics/nodes.prom'), 'utf8');
  ksm = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(ksmText));
  await new Promise<void>((r) => ksm.listen(0, '127.0.0.1', r));

  sim = await startSim(['flannel-incidents.yaml', ...REPORT_API], ['--user', agentUser('n01'), '--user', agentUser('n02'), '--user', agentUser('n03')]);
  // k8scephnode: swap on (the kubelet still runs: a latent risk) and the conntrack table 98% full (an outage now).
  const ceph = tmpdir();
  fs.cpSync(path.join(HOSTS, 'swap-on'), ceph, { recursive: true });
  fs.writeFileSync(path.join(ceph, 'proc/sys/net/netfilter/nf_conntrack_count'), '257000\n');
  fs.writeFileSync(path.join(ceph, 'proc/sys/net/netfilter/nf_conntrack_max'), '262144\n');
  const fleet: [string, string][] = [
    ['n01', path.join(HOSTS, 'healthy-flannel')],
    ['n02', path.join(HOSTS, 'nic-down')],
    ['n03', path.join(HOSTS, 'no-default-route')],
    ['k8scephnode', ceph],
  ];
  for (const [node, host] of fleet) {
    const token = node.startsWith('n0') ? `agent-${node}` : 'sim-token';
    agents.push(await startAgent(['--node-name', node, '--host-root', host, '--interval', '1s', '--kubeconfig', kubeconfigWithToken(sim, token)]));
  }

  dir = tmpdir();
  const amPort = await freePort();
  amUrl = `http://127.0.0.1:${amPort}`;
  fs.writeFileSync(
    path.join(dir, 'alertmanager.yml'),
    yaml.dump({
      route: alertmanagerRoute(CFG, { page: 'pager', ticket: 'tickets' }),
      inhibit_rules: inhibitRules(CFG),
      receivers: [
        { name: 'pager', webhook_configs: [{ url: `${hook}/pager`, send_resolved: false }] },
        { name: 'tickets', webhook_configs: [{ url: `${hook}/tickets`, send_resolved: false }] },
      ],
    }),
  );
  alertmanager = spawn(
    'prometheus-alertmanager',
    [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=', '--log.level=debug'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  alertmanager.stdout!.on('data', (c) => (amOutput += c));
  alertmanager.stderr!.on('data', (c) => (amOutput += c));
  await until('Alertmanager ready', async () => (await fetch(`${amUrl}/-/ready`)).ok, 30_000);

  fs.writeFileSync(path.join(dir, 'netcheck.rules.yaml'), yaml.dump({ groups: ruleGroups(CFG) }));
  // kubernetes-mixin's KubeNodeNotReady (alerts/kubelet.libsonnet), its 15m shortened to none: it is
  // already firing when netcheck's alerts arrive.
  fs.writeFileSync(
    path.join(dir, 'kubernetes-mixin.rules.yaml'),
    yaml.dump({
      groups: [
        {
          name: 'kubernetes-system-kubelet',
          rules: [
            {
              alert: 'KubeNodeNotReady',
              expr: 'kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0',
              for: '0s',
              labels: { severity: 'warning' },
              annotations: { description: '{{ $labels.node }} has been unready for more than 15 minutes.', summary: 'Node is not ready.' },
            },
          ],
        },
      ],
    }),
  );
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  const targets = fleet.map(([node], i) => ({ address: agents[i].url.replace('http://', ''), node, pod: `netcheck-agent-${node}` }));
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    yaml.dump({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [path.join(dir, 'netcheck.rules.yaml'), path.join(dir, 'kubernetes-mixin.rules.yaml')],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
      scrape_configs: [
        // n05's agent pod is scheduled, but nothing answers on its node's address.
        podMonitorScrapeConfig([...targets, { address: '127.0.0.1:1', node: 'n05', pod: 'netcheck-agent-n05' }], { cluster: 'prod' }),
        // kube-prometheus-stack's ServiceMonitor for kube-state-metrics keeps its labels (honorLabels).
        { job_name: 'kube-state-metrics', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${(ksm.address() as AddressInfo).port}`], labels: { cluster: 'prod' } }] },
      ],
    }),
  );
  promArgs = [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--rules.alert.resend-delay=1s'];
  startPrometheus();
}, 120_000);

afterAll(async () => {
  prometheus?.kill('SIGKILL');
  alertmanager?.kill('SIGKILL');
  for (const a of agents) await a.stop('SIGKILL');
  await sim?.stop();
  webhook?.close();
  ksm?.close();
});

test("the seed incident's n02 pages once, naming its root cause; the same failure on n03 is in that one page", async () => {
  await until('a page for NetcheckDefaultRouteMissing listing n02 and n03', () => pages().some((n) => n.alerts.filter((a) => a.labels.alertname === 'NetcheckDefaultRouteMissing').length === 2));
  // Its symptoms hold (no subnet.env, CNI not ready) but their alerts wait behind their cause.
  expect((await query('netcheck_cni_ready{node="n02"} == 0')).length).toBe(1);
  expect((await query('netcheck_flannel_subnet_env_present{node="n02"} == 0')).length).toBe(1);
  expect((await query('ALERTS{node="n02", alertname=~"NetcheckCNINotReady|NetcheckFlannelSubnetEnvMissing"}')).length).toBe(0);
  // The same symptoms arriving in Alertmanager from elsewhere (an older rule file, a rule of one's
  // own) are inhibited by the cause: the shipped inhibitions, cause to effect on the same node.
  const labels = { cluster: 'prod', node: 'n02', job: 'netcheck-agent', namespace: 'netcheck', severity: 'critical' };
  await post([
    { ...labels, alertname: 'NetcheckCNINotReady', check: 'cni-ready' },
    { ...labels, alertname: 'NetcheckFlannelSubnetEnvMissing', check: 'flannel-subnet-env' },
  ]);
  await until('n02 symptoms inhibited in Alertmanager', async () => {
    const alerts = await amAlerts();
    return ['NetcheckCNINotReady', 'NetcheckFlannelSubnetEnvMissing'].every((n) => amAlert(alerts, n, 'n02')?.status.state === 'suppressed');
  });
  // Each symptom's group has been flushed twice since: its first notification was decided (and muted).
  const flushedBefore = { cni: flushes('NetcheckCNINotReady'), env: flushes('NetcheckFlannelSubnetEnvMissing') };
  await until('the symptom groups flushed again', () => flushes('NetcheckCNINotReady') > flushedBefore.cni && flushes('NetcheckFlannelSubnetEnvMissing') > flushedBefore.env);
  // On n01 nothing explains a CNI failure: the same alert there is not muted.
  await post([{ ...labels, node: 'n01', alertname: 'NetcheckCNINotReady', check: 'cni-ready' }]);
  await until('the posted CNI page for n01 delivered', () => delivered(pages(), 'n01').includes('NetcheckCNINotReady'));

  expect(delivered(pages(), 'n02')).toEqual(['NetcheckDefaultRouteMissing']);
  const page = pages().find((n) => n.groupLabels.alertname === 'NetcheckDefaultRouteMissing' && n.alerts.some((a) => a.labels.node === 'n02'))!;
  expect(page.groupLabels).toEqual({ alertname: 'NetcheckDefaultRouteMissing', cluster: 'prod' });
  const n02 = page.alerts.find((a) => a.labels.node === 'n02')!;
  expect(n02.labels).toMatchObject({ severity: 'critical', check: 'default-route', cluster: 'prod' });
  expect(n02.annotations.description).toMatch(/^Root cause on node n02: the host has no usable default route/);
  // One page for the failure, with both nodes in it (group_by cluster, alertname).
  expect(pages().filter((n) => n.alerts.some((a) => a.labels.alertname === 'NetcheckDefaultRouteMissing' && a.labels.node === 'n03')).length).toBeGreaterThan(0);
  expect(delivered(pages(), 'n03')).toEqual(['NetcheckDefaultRouteMissing']);
});

test("KubeNodeNotReady, firing first, does not mute netcheck's page; netcheck's page mutes it", async () => {
  await until('KubeNodeNotReady on n02 inhibited by the netcheck page that says why', async () => {
    const k = amAlert(await amAlerts(), 'KubeNodeNotReady', 'n02');
    return k?.status.state === 'suppressed' && k.status.inhibitedBy.length > 0;
  });
  const page = amAlert(await amAlerts(), 'NetcheckDefaultRouteMissing', 'n02')!;
  expect(page.status).toMatchObject({ state: 'active', inhibitedBy: [] });
  expect(delivered(pages(), 'n02')).toContain('NetcheckDefaultRouteMissing');
});

test("the swap node's conntrack page arrives; swap, a latent risk, is a ticket and mutes nothing it does not explain", async () => {
  await until('the conntrack page for k8scephnode', () => delivered(pages(), 'k8scephnode').includes('NetcheckConntrackTableFull'));
  await until('the swap ticket for k8scephnode', () => delivered(tickets(), 'k8scephnode').includes('NetcheckSwapEnabled'));
  expect(delivered(pages(), 'k8scephnode')).toEqual(['NetcheckConntrackTableFull']);
  const swap = amAlert(await amAlerts(), 'NetcheckSwapEnabled', 'k8scephnode')!;
  expect(swap.labels.severity).toBe('warning');
  expect(amAlert(await amAlerts(), 'NetcheckConntrackTableFull', 'k8scephnode')!.status.state).toBe('active');
});

test('no agent on a Windows node is no alert; no agent on a Linux node is a ticket', async () => {
  await until('NetcheckAgentAbsent ticket for n04', () => delivered(tickets(), 'n04').includes('NetcheckAgentAbsent'));
  const absent = (await amAlerts()).filter((a) => a.labels.alertname === 'NetcheckAgentAbsent').map((a) => a.labels.node);
  // m01 (the control plane) runs no agent in this fixture either: it should have one.
  expect(absent.sort()).toEqual(['m01', 'n04']);
  expect((await amAlerts()).filter((a) => a.labels.node === 'win01')).toEqual([]);
  expect(notifications.flatMap((n) => n.alerts).filter((a) => a.labels.node === 'win01')).toEqual([]);
});

test('a node whose network is down pages once, as NetcheckNodeUnreachable, and mutes KubeNodeNotReady there', async () => {
  await until('the NodeUnreachable page for n05', () => delivered(pages(), 'n05').includes('NetcheckNodeUnreachable'));
  await until('KubeNodeNotReady on n05 inhibited', async () => amAlert(await amAlerts(), 'KubeNodeNotReady', 'n05')?.status.state === 'suppressed');
  const alerts = (await amAlerts()).filter((a) => a.labels.node === 'n05').map((a) => a.labels.alertname);
  expect(alerts.sort()).toEqual(['KubeNodeNotReady', 'NetcheckNodeUnreachable']);
  expect(delivered(pages(), 'n05')).toEqual(['NetcheckNodeUnreachable']);
  // No AgentDown, no AgentAbsent: the agent pod is there, its node is what cannot be reached. (The
  // KubeNodeNotReady of this test fires at once, before netcheck's 2 s: its ticket may be out already.)
  expect(delivered(tickets(), 'n05').filter((a) => a.startsWith('Netcheck'))).toEqual([]);
});

test("the dashboards' alert annotation finds n02's page, and none for n01", async () => {
  const annotated = async (d: (typeof DASHBOARDS)[number], node: string) => {
    const expr = (d.annotations!.list!.find((a) => a.name === 'netcheck alerts')!.target as unknown as { expr: string }).expr;
    return (await query(expr.replace(/\$cluster/g, 'prod').replace(/\$node/g, node))).map((s) => `${s.metric.alertname}@${s.metric.node}`);
  };
  const [overview, node] = DASHBOARDS;
  expect(await annotated(node, 'n02')).toEqual(['NetcheckDefaultRouteMissing@n02']);
  expect(await annotated(node, 'n01')).toEqual([]);
  // The overview's are the cluster's.
  expect(await annotated(overview, 'n01')).toEqual(expect.arrayContaining(['NetcheckDefaultRouteMissing@n02', 'NetcheckDefaultRouteMissing@n03']));
  expect((await annotated(overview, 'n01')).filter((a) => a.endsWith('@n01'))).toEqual([]);
});

test('a healthy node produces no alert and no notification', async () => {
  // By now every rule's `for` has passed several times over (the slowest is 6 s).
  await until('the slowest alerts in', () => delivered(tickets(), 'k8scephnode').includes('NetcheckCheckUnknown'));
  // (The one alert of n01 there is the test's own, posted above: none comes from the rules.)
  expect((await query('ALERTS{node="n01"}')).map((s) => s.metric.alertname)).toEqual([]);
  expect((await amAlerts()).filter((a) => a.labels.node === 'n01' && a.annotations?.summary !== 'posted by the test')).toEqual([]);
  expect(notifications.flatMap((n) => n.alerts).filter((a) => a.labels.node === 'n01' && a.annotations.summary !== 'posted by the test')).toEqual([]);
});

test('after a Prometheus restart the causes are back before their symptoms, so the symptoms still do not page', async () => {
  prometheus.kill('SIGTERM');
  await new Promise((r) => prometheus.once('exit', r));
  // Prometheus gone, Alertmanager resolves what it stops hearing about (endsAt: 4 × the resend delay).
  await until('n02 alerts resolved in Alertmanager', async () => !(await amAlerts()).some((a) => a.labels.node === 'n02' && a.labels.alertname === 'NetcheckDefaultRouteMissing'));
  const pagedBefore = pages().length;
  const restartedAt = Date.now();
  startPrometheus();
  await until('the cause pages again after the restart', () =>
    pages()
      .slice(pagedBefore)
      .some((n) => n.alerts.some((a) => a.labels.alertname === 'NetcheckDefaultRouteMissing' && a.labels.node === 'n02')),
  );
  // Every rule has been evaluated since the restart, more than once: nothing else is on its way.
  await until('two rounds of rule evaluation after the restart', async () => {
    const body = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { name: string; lastEvaluation: string }[] } };
    return body.data.groups.length > 0 && body.data.groups.every((g) => Date.parse(g.lastEvaluation) > restartedAt + 2000);
  });
  const flushedBefore = flushes('NetcheckDefaultRouteMissing');
  await until('the cause group flushed again', () => flushes('NetcheckDefaultRouteMissing') > flushedBefore);
  // (The symptoms the first test posted by hand are still active, and pages now that their cause
  // was resolved during the outage: only what Prometheus sent counts here.)
  const sent = pages()
    .slice(pagedBefore)
    .map((n) => ({ ...n, alerts: n.alerts.filter((a) => a.annotations.summary !== 'posted by the test') }));
  expect(delivered(sent, 'n02')).toEqual(['NetcheckDefaultRouteMissing']);
}, 90_000);
