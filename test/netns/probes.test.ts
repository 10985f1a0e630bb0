// The data-plane probes on real Linux hosts: four nodes (network namespaces) on an underlay bridge,
// a VXLAN overlay programmed as flanneld programs it (flannel.1, per-peer FDB, neighbour and
// onlink route entries), kube-proxy's Service VIP emulated by an nftables DNAT, the simulated API
// server in the underlay namespace, and a real agent inside each node. Faults: 8472/udp dropped
// into n3; one node's agent stopped; the default route removed on another.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canMakeNamespaces, Netns, removeNamespaces, run, veth } from '../helpers/netns';

const ROOT = path.resolve(__dirname, '../..');
const PREFIX = 'nc26-';
const PORT = 9742;
const INTERVAL_S = 3;
const NODES = [1, 2, 3, 4].map((i) => ({ name: `n${i}`, ip: `192.168.33.1${i}`, overlay: `10.244.${i}.0`, cidr: `10.244.${i}.0/24`, mac: `02:42:0a:f4:0${i}:00` }));
const API = { ip: '192.168.33.10', port: 6443 };

interface Proc {
  child: ChildProcess;
  output: () => string;
}

const procs: Proc[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nc26-'));

function start(ns: Netns, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const p = { child, output: () => out };
  procs.push(p);
  return p;
}

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  await exited;
}

/** Every process's output, for a failure's message. */
const outputs = () => procs.map((p, i) => `--- process ${i} (${p.child.spawnargs.slice(4, 8).join(' ')}):\n${p.output().slice(-3000)}`).join('\n');

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000}s; the plugin last said:\n${lastView}\n${outputs()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Report {
  node: string;
  status: string;
  checks: { id: string; status: string; summary: string; evidence: string[]; code?: string }[];
}

let underlay: Netns;
const hosts: Netns[] = [];
const agents = new Map<string, Proc>();
let adminKubeconfig = '';

/** `kubectl netcheck nodes -o json`, run from the underlay namespace (where the API server is). */
let lastView = '';
function clusterView(): Report[] {
  const r = spawnSync('ip', ['netns', 'exec', underlay.name, process.execPath, path.join(ROOT, 'dist/plugin.mjs'), 'nodes', '-o', 'json', '--kubeconfig', adminKubeconfig, '--request-timeout', '5s'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.status !== 0 && r.status !== 2) throw new Error(`kubectl netcheck nodes exited ${r.status}: ${r.stderr}\n${outputs()}`);
  const nodes = (JSON.parse(r.stdout) as { nodes: Report[] }).nodes;
  lastView = nodes
    .map((n) =>
      n.checks
        .filter((c) => ['peers', 'api-service'].includes(c.id))
        .map((c) => `${n.node} ${c.id} ${c.status}: ${c.summary} | ${c.evidence.join(' | ')}`)
        .join('\n'),
    )
    .join('\n');
  return nodes;
}
const check = (reports: Report[], node: string, id: string) => reports.find((r) => r.node === node)?.checks.find((c) => c.id === id);

function agentFor(n: (typeof NODES)[number], ns: Netns, kubeconfig: string, kubeletConfig: string): Proc {
  return start(
    ns,
    [
      path.join(ROOT, 'dist/exporter.mjs'),
      ...['--node-name', n.name, '--host-root', '/', '--address', '0.0.0.0', '--port', String(PORT), '--interval', `${INTERVAL_S}s`, '--fact-timeout', '1s'],
      ...['--kubeconfig', kubeconfig, '--kubelet-config', kubeletConfig, '--report-heartbeat', '60s'],
    ],
    // As in a pod: the kubernetes Service is in the environment.
    { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
  );
}

beforeAll(async () => {
  // test/netns runs as root only (make test says so otherwise); it drives the built bundles.
  if (!canMakeNamespaces()) throw new Error('test/netns needs root and iproute2');
  if (!fs.existsSync(path.join(ROOT, 'dist/exporter.mjs'))) throw new Error('run node build.mjs (or make build) first');
  removeNamespaces(PREFIX);
  // The API server's certificate, as kubeadm makes it: valid for kubernetes.default.svc, the
  // Service VIP and the control plane's own address, signed by the test CA.
  const tls = path.join(ROOT, 'test/fixtures/tls');
  run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/api.key`, '-out', `${dir}/api.csr`, '-subj', '/CN=kube-apiserver']);
  fs.writeFileSync(`${dir}/san.ext`, `subjectAltName=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1,IP:${API.ip}\n`);
  run('openssl', [
    'x509',
    '-req',
    '-in',
    `${dir}/api.csr`,
    '-CA',
    `${tls}/ca.crt`,
    '-CAkey',
    `${tls}/ca.key`,
    '-CAcreateserial',
    '-CAserial',
    `${dir}/ca.srl`,
    '-days',
    '2',
    '-out',
    `${dir}/api.crt`,
    '-extfile',
    `${dir}/san.ext`,
  ]);

  underlay = Netns.create(`${PREFIX}u`);
  underlay.ip('link', 'add', 'br0', 'type', 'bridge');
  underlay.ip('addr', 'add', `${API.ip}/24`, 'dev', 'br0');
  underlay.ip('addr', 'add', '192.168.33.1/24', 'dev', 'br0'); // the nodes' gateway
  underlay.ip('link', 'set', 'br0', 'up');
  for (const n of NODES) {
    const ns = Netns.create(`${PREFIX}${n.name}`);
    hosts.push(ns);
    veth(ns, 'eth0', [`${n.ip}/24`], underlay, `v-${n.name}`, []);
    underlay.ip('link', 'set', `v-${n.name}`, 'master', 'br0');
    ns.ip('route', 'add', 'default', 'via', '192.168.33.1', 'dev', 'eth0');
    ns.sysctl('net.ipv4.conf.all.rp_filter', '0');
    ns.sysctl('net.ipv4.conf.default.rp_filter', '0');
    // flannel's VXLAN backend: flannel.1 with the subnet's network address, no learning.
    ns.ip('link', 'add', 'flannel.1', 'address', n.mac, 'type', 'vxlan', 'id', '1', 'local', n.ip, 'dev', 'eth0', 'dstport', '8472', 'nolearning');
    ns.ip('addr', 'add', `${n.overlay}/32`, 'dev', 'flannel.1');
    ns.ip('link', 'set', 'flannel.1', 'up');
    for (const p of NODES.filter((x) => x !== n)) {
      ns.exec('bridge', ['fdb', 'append', p.mac, 'dev', 'flannel.1', 'dst', p.ip]);
      ns.ip('neigh', 'replace', p.overlay, 'lladdr', p.mac, 'dev', 'flannel.1', 'nud', 'permanent');
      ns.ip('route', 'add', p.cidr, 'via', p.overlay, 'dev', 'flannel.1', 'onlink');
    }
    // kube-proxy, as far as the kubernetes Service goes: 10.96.0.1:443 → the API server.
    ns.nft(`table ip kube-proxy {\n chain output { type nat hook output priority -100; ip daddr 10.96.0.1 tcp dport 443 dnat to ${API.ip}:${API.port}; }\n}\n`);
  }

  // The cluster as the API server shows it: the four Nodes with flannel's annotations, the
  // kubernetes Service and its EndpointSlice (shapes from `kubectl get -o yaml` on kubeadm + flannel).
  const fixture = {
    items: [
      ...NODES.map((n) => ({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: n.name,
          uid: `uid-${n.name}`,
          annotations: {
            'flannel.alpha.coreos.com/backend-type': 'vxlan',
            'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: n.mac }),
            'flannel.alpha.coreos.com/public-ip': n.ip,
            'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
          },
        },
        spec: { podCIDR: n.cidr, podCIDRs: [n.cidr] },
        status: {
          addresses: [
            { type: 'InternalIP', address: n.ip },
            { type: 'Hostname', address: n.name },
          ],
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: 'now', lastTransitionTime: 'now-1h' }],
        },
      })),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default' },
        spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: [API.ip], conditions: { ready: true } }],
        ports: [{ name: 'https', port: API.port, protocol: 'TCP' }],
      },
    ],
  };
  fs.writeFileSync(`${dir}/cluster.yaml`, JSON.stringify(fixture));
  adminKubeconfig = `${dir}/admin.kubeconfig`;
  const sim = start(underlay, [
    path.join(ROOT, 'dist/sim.mjs'),
    ...['--address', API.ip, '--port', String(API.port), '--fixtures', `${dir}/cluster.yaml,${ROOT}/deploy/base/nodereport-crd.yaml`],
    ...['--tls-cert', `${dir}/api.crt`, '--tls-key', `${dir}/api.key`, '--kubeconfig-out', adminKubeconfig],
  ]);
  await waitFor('the simulated API server listens', () => (/listening on/.test(sim.output()) ? true : undefined), 20_000);
  // The agents reach the API as pods do, through the Service VIP.
  const agentKubeconfig = `${dir}/agent.kubeconfig`;
  fs.writeFileSync(agentKubeconfig, fs.readFileSync(adminKubeconfig, 'utf8').replace(`https://${API.ip}:${API.port}`, 'https://10.96.0.1:443'));
  NODES.forEach((n, i) => {
    const kubelet = `${dir}/kubelet-${n.name}.yaml`;
    fs.writeFileSync(kubelet, 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfailSwapOn: true\n');
    agents.set(n.name, agentFor(n, hosts[i], agentKubeconfig, kubelet));
  });
}, 60_000);

afterAll(async () => {
  for (const p of procs) await stop(p);
  removeNamespaces(PREFIX);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('probes between four nodes over a VXLAN overlay', () => {
  test('healthy: every agent reaches its peers over both paths, and the kubernetes Service', async () => {
    await waitFor(
      'all four reports with peers ok over both paths',
      () => {
        const view = clusterView();
        const ok = NODES.every((n) => check(view, n.name, 'peers')?.summary === 'all 3 peers probed reachable over the underlay and the pod network');
        return ok && NODES.every((n) => check(view, n.name, 'api-service')?.status === 'ok') ? view : undefined;
      },
      40_000,
    );
  }, 60_000);

  test('8472/udp dropped into n3: n3, and only n3, is named, within two probe intervals', async () => {
    hosts[2].nft('table inet firewall {\n chain input { type filter hook input priority 0; udp dport 8472 drop; }\n}\n');
    const { value: view, ms } = await waitFor(
      'n3 named as the culprit',
      () => {
        const v = clusterView();
        return check(v, 'n3', 'peers')?.summary === 'pod network unreachable from n1, n2, n4; underlay fine' ? v : undefined;
      },
      4 * INTERVAL_S * 1000,
    );
    expect(ms).toBeLessThanOrEqual(2 * INTERVAL_S * 1000 + 1500); // two intervals, plus the plugin's own run
    expect(check(view, 'n3', 'peers')?.status).toBe('fail');
    for (const other of ['n1', 'n2', 'n4']) expect(check(view, other, 'peers')?.status).toBe('ok');
    // The probers say whom they miss; the page is n3's.
    expect(check(view, 'n1', 'peers')?.summary).toMatch(/^unreachable from here: n3 over the pod network \(timeout\)/);
    hosts[2].exec('nft', ['delete', 'table', 'inet', 'firewall']);
    await waitFor('n3 recovers', () => (check(clusterView(), 'n3', 'peers')?.status === 'ok' ? true : undefined), 4 * INTERVAL_S * 1000);
  }, 60_000);

  test("n4's agent stopped: refused on both paths, nobody's network is blamed", async () => {
    await stop(agents.get('n4')!);
    const { value: view } = await waitFor(
      'the probers see n4 refusing',
      () => {
        const v = clusterView();
        return ['n1', 'n2', 'n3'].every((n) => check(v, n, 'peers')?.evidence.some((e) => /n4 \S+ refused/.test(e))) ? v : undefined;
      },
      4 * INTERVAL_S * 1000,
    );
    for (const n of ['n1', 'n2', 'n3']) expect([n, check(view, n, 'peers')?.status, lastView]).toEqual([n, 'ok', lastView]);
    expect(check(view, 'n4', 'peers')?.code).not.toBe('blamedByProbers');
  }, 60_000);

  test('the default route removed on n2: the agent still publishes, and api-service says the API server answered directly', async () => {
    const before = Date.now();
    hosts[1].ip('route', 'del', 'default');
    const { value: view, ms } = await waitFor(
      'n2 reports api-service failing',
      () => {
        const v = clusterView();
        return check(v, 'n2', 'api-service')?.status === 'fail' ? v : undefined;
      },
      6 * INTERVAL_S * 1000,
    );
    expect(ms).toBeLessThanOrEqual(2 * INTERVAL_S * 1000 + 1500);
    const api = check(view, 'n2', 'api-service')!;
    expect(api.summary).toBe(`the host cannot reach the kubernetes Service 10.96.0.1:443 (unreachable); the API server answers at ${API.ip}:${API.port}`);
    expect(api.evidence[0]).toBe(`the agent reaches the API directly at ${API.ip}:${API.port} (from the kubernetes EndpointSlice): the kubernetes Service 10.96.0.1:443 failed (unreachable)`);
    // Published after the fault, through the API server's own address.
    expect(check(view, 'n2', 'default-route')?.status).toBe('fail');
    expect(agents.get('n2')!.output()).toContain(`reaching the API server directly at ${API.ip}:${API.port}`);
    expect(Date.now() - before).toBeLessThan(30_000);
  }, 60_000);
});
