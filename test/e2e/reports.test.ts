// Node reports in the API: agents on fixture hosts publish NodeReport objects into the simulated
// cluster with server-side apply; the plugin reads one object for `node`, one list for `nodes`,
// never pods/proxy. The admission policy deploy/ ships is evaluated on every write.
import type { ClusterReport, NodeReport } from '../../src/core/model';
import { type AgentProcess, agentOn, agentPodFixture, agentUser, kubectl, kubectlNetcheck, published, REPORT_API, type Sim, startSim } from './harness';

const check = (r: NodeReport, id: string) => r.checks.find((c) => c.id === id)!;

describe('agents publish NodeReports; the plugin reads them from the API', () => {
  let sim: Sim;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    sim = await startSim(
      ['flannel-incidents.yaml', ...REPORT_API],
      ['--user', agentUser('n01'), '--user', agentUser('n02'), '--user', agentUser('n03'), '--user', 'no-node-token=system:serviceaccount:netcheck:netcheck-agent'],
    );
    // n01's conntrack table is full: a check only -o wide shows, failing.
    agents.push(await agentOn(sim, 'n01', 'conntrack-full'), await agentOn(sim, 'n02', 'nic-down'), await agentOn(sim, 'n03', 'no-default-route'));
    for (const [i, node] of ['n01', 'n02', 'n03'].entries()) await published(sim, agents[i], node);
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    await sim.stop();
  });

  test('`nodes` shows host-only findings for every node with an agent, from one list of reports and no pods/proxy', async () => {
    await sim.resetRequests();
    const run = kubectlNetcheck(['nodes', '-o', 'json', '--kubeconfig', sim.kubeconfig]);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as ClusterReport;
    const byNode = Object.fromEntries(report.nodes.map((n) => [n.node, n]));
    expect(check(byNode.n02, 'default-route').summary).toBe('no default route; eth0 is down');
    expect(check(byNode.n02, 'flannel-subnet-env').evidence.join('\n')).toMatch(/\/run\/flannel\/subnet\.env does not exist/);
    expect(check(byNode.n03, 'default-route').summary).toBe('no default route; wlan0 is down');
    expect(check(byNode.n01, 'swap')).toMatchObject({ status: 'ok', summary: 'swap is off' });
    expect(check(byNode.m01, 'swap').status).toBe('unknown'); // no agent there
    expect(check(byNode.m01, 'swap').evidence).toContain('agent: no netcheck agent pod on m01 in namespace netcheck');
    const requests = await sim.requests();
    expect(requests.filter((r) => r.path.startsWith('/apis/netcheck.io/v1alpha1/nodereports'))).toHaveLength(1);
    expect(requests.filter((r) => r.path.includes('/proxy'))).toEqual([]);
  });

  test('the table never hides why a node fails: a wide-only check failing somewhere gets its column; unknowns for one reason are told once', () => {
    const table = kubectlNetcheck(['nodes', '--kubeconfig', sim.kubeconfig]);
    const [head, ...rows] = table.stdout.split('\n');
    expect(head).toMatch(/\sCLUSTER-CIDR\s+CONNTRACK$/); // and not IP-FORWARD, BR-NETFILTER or MTU: ok everywhere
    expect(rows.find((r) => r.startsWith('n01'))).toMatch(/^n01\s+fail\s+(ok\s+|skip\s+)+fail$/);
    expect(table.stdout).toMatch(/^3 of 4 nodes failing, 1 not fully seen \(unknown\); see why with: kubectl netcheck node n\d\d$/m);
    const m01 = kubectlNetcheck(['node', 'm01', '--kubeconfig', sim.kubeconfig]).stdout;
    expect(m01).toMatch(
      /^swap, default-route, ip-forward, bridge-netfilter, conntrack, mtu, cni-plugins, kernel-modules, dns-resolv, ipam-leases, network-manager, cidr-overlap, vtep-mac, hairpin, rp-filter, overlay-errors, api-service, peers, cluster-dns \(unknown\), all for one reason:\n {2}- agent: no netcheck agent pod on m01 in namespace netcheck\n {2}fix: Install the netcheck agent/m,
    );
    expect(m01.match(/fix: Install the netcheck agent/g)).toHaveLength(1);
  });

  test('`node NAME` reads one object: the report of that node, named as its source', async () => {
    await sim.resetRequests();
    const run = kubectlNetcheck(['node', 'n02', '-o', 'json', '--kubeconfig', sim.kubeconfig]);
    const report = JSON.parse(run.stdout) as NodeReport;
    expect(report.rootCause).toBe('default-route');
    expect(check(report, 'default-route').evidence.join('\n')).toMatch(/^\/proc\/net\/route: no default route$/m);
    const requests = await sim.requests();
    const reads = requests.filter((r) => r.path.startsWith('/apis/netcheck.io'));
    expect(reads.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /apis/netcheck.io/v1alpha1/nodereports/n02']);
    expect(requests.length).toBeLessThanOrEqual(7); // node, its pods, the report, kcm flags, flannel config, events, CNI log
  });

  test('kubectl get nodereports is a cluster view on its own, and each report is owned by its Node', () => {
    const out = kubectl(['get', 'nodereports'], sim.kubeconfig).stdout;
    expect(out.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ROOT-CAUSE\s+FAILING\s+AGE$/);
    expect(out).toMatch(/^n02\s+fail\s+default-route\s+cni-ready,flannel-subnet-env,default-route\s+\d+s$/m);
    expect(out).toMatch(/^n01\s+fail\s+conntrack\s+conntrack\s+\d+s$/m);
    const n02 = JSON.parse(kubectl(['get', 'nr', 'n02', '-o', 'json', '--show-managed-fields'], sim.kubeconfig).stdout);
    expect(n02.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'n02', uid: expect.any(String) }]);
    expect(n02.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`)).toEqual(['netcheck-agent/Apply', 'netcheck-agent/Apply']);
    expect(n02.status).toMatchObject({ node: 'n02', status: 'fail', rootCause: 'default-route', heartbeatSeconds: 300, intervalSeconds: 1 });
  });

  test("the admission policy lets an agent write only its own node's report", async () => {
    const forged = JSON.stringify({ apiVersion: 'netcheck.io/v1alpha1', kind: 'NodeReport', metadata: { name: 'n03' } });
    const other = await sim.fetchAs('agent-n02', 'PATCH', '/apis/netcheck.io/v1alpha1/nodereports/n03?fieldManager=netcheck-agent&force=true', forged, 'application/apply-patch+yaml');
    expect(other.status).toBe(403);
    expect(((await other.json()) as { message: string }).message).toBe(
      `nodereports.netcheck.io "n03" is forbidden: ValidatingAdmissionPolicy 'netcheck-nodereport-own-node' with binding 'netcheck-nodereport-own-node' denied request: the netcheck agent on n02 may write only the NodeReport named n02, not n03`,
    );
    const status = await sim.fetchAs('agent-n02', 'PATCH', '/apis/netcheck.io/v1alpha1/nodereports/n03/status?fieldManager=netcheck-agent&force=true', forged, 'application/apply-patch+yaml');
    expect(status.status).toBe(403);
    const deleted = await sim.fetchAs('agent-n02', 'DELETE', '/apis/netcheck.io/v1alpha1/nodereports/n01');
    expect(deleted.status).toBe(403);
    const noNode = await sim.fetchAs(
      'no-node-token',
      'PATCH',
      '/apis/netcheck.io/v1alpha1/nodereports/n02?fieldManager=netcheck-agent&force=true',
      forged.replace('n03', 'n02'),
      'application/apply-patch+yaml',
    );
    expect(noNode.status).toBe(403);
    expect(((await noNode.json()) as { message: string }).message).toMatch(/token names no node .* it may not write NodeReports$/);
    // Anyone else (an admin, here the sim's default user) is not matched by the policy.
    const own = await sim.fetchAs(
      'agent-n02',
      'PATCH',
      '/apis/netcheck.io/v1alpha1/nodereports/n02?fieldManager=netcheck-agent&force=true',
      forged.replace('n03', 'n02'),
      'application/apply-patch+yaml',
    );
    expect(own.status).toBe(200);
  });

  test('a report that breaks the CRD schema is refused by the API server', async () => {
    const bad = JSON.stringify({ apiVersion: 'netcheck.io/v1alpha1', kind: 'NodeReport', metadata: { name: 'n02' }, status: { node: 'n02', status: 'great', checks: [] } });
    const res = await sim.fetchAs('agent-n02', 'PATCH', '/apis/netcheck.io/v1alpha1/nodereports/n02/status?fieldManager=netcheck-agent&force=true', bad, 'application/apply-patch+yaml');
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/status\.status: must be equal to one of the allowed values/);
  });
});

describe('when reports cannot be had', () => {
  test('a stale report makes the host checks unknown, naming its age and the agent pod', async () => {
    const sim = await startSim(['flannel-incidents.yaml', ...REPORT_API, agentPodFixture('n03')]);
    try {
      const observedAt = new Date(Date.now() - 14 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
      await sim.upsert({
        apiVersion: 'netcheck.io/v1alpha1',
        kind: 'NodeReport',
        metadata: { name: 'n03' },
        status: {
          node: 'n03',
          status: 'ok',
          failing: '',
          checks: [{ id: 'swap', status: 'ok', summary: 'swap is off', evidence: [] }],
          observedAt,
          agentVersion: '0.1.0',
          heartbeatSeconds: 300,
          intervalSeconds: 30,
        },
      });
      const report = JSON.parse(kubectlNetcheck(['node', 'n03', '-o', 'json', '--kubeconfig', sim.kubeconfig]).stdout) as NodeReport;
      const swap = check(report, 'swap');
      expect(swap.status).toBe('unknown');
      expect(swap.evidence.join('\n')).toContain(
        `agent: the agent's report on n03 is 14m old (observed ${observedAt}), older than its heartbeat allows: agent pod netcheck/netcheck-agent-x7k2p is Running, Ready`,
      );
      expect(swap.remedy).toBe('See why the agent stopped reporting: kubectl -n netcheck logs netcheck-agent-x7k2p');
    } finally {
      await sim.stop();
    }
  });

  test('an agent pod that publishes nothing is named, with its logs; installing is suggested only when no agent pod exists', async () => {
    const sim = await startSim(['flannel-incidents.yaml', ...REPORT_API, agentPodFixture('n03', { ready: false, waiting: 'CrashLoopBackOff' })]);
    try {
      const n03 = check(JSON.parse(kubectlNetcheck(['node', 'n03', '-o', 'json', '--kubeconfig', sim.kubeconfig]).stdout) as NodeReport, 'swap');
      expect(n03.evidence).toContain('agent: agent pod netcheck/netcheck-agent-x7k2p is CrashLoopBackOff, 4 restarts but has published no NodeReport for n03');
      expect(n03.remedy).toBe('See why the agent is not running: kubectl -n netcheck logs netcheck-agent-x7k2p; kubectl -n netcheck describe pod netcheck-agent-x7k2p');
      const n01 = check(JSON.parse(kubectlNetcheck(['node', 'n01', '-o', 'json', '--kubeconfig', sim.kubeconfig]).stdout) as NodeReport, 'swap');
      // deploy/ of this release (or a clone): no remote this project does not publish; the command ends the line.
      expect(n01.remedy).toMatch(
        /^Install the netcheck agent to see the host \(in netcheck \S+ unpacked from its release archive, or a clone of its source; NETCHECK_DEPLOY names another base\): kubectl apply -k deploy\/$/,
      );
      expect(JSON.stringify(n01)).not.toMatch(/github\.com/);
    } finally {
      await sim.stop();
    }
  });

  test('without the CRD the agent says so once and keeps serving metrics; the plugin names the missing CRD', async () => {
    const sim = await startSim(['flannel-incidents.yaml', agentPodFixture('n02')], ['--user', agentUser('n02')]);
    const agent = await agentOn(sim, 'n02', 'nic-down');
    try {
      await agent.waitFor('the missing CRD in the log', () => /NodeReport CRD \(nodereports\.netcheck\.io\) is not installed/.test(agent.output()));
      await agent.cycles(5); // five more cycles, each of which could have logged it again
      expect(agent.output().match(/is not installed, so this node's report is not published/g)).toHaveLength(1);
      expect(await agent.sample('netcheck_default_route_present{')).toBe(0);
      expect(await agent.sample('netcheck_report_writes_total{node="n02",result="error"}')).toBeGreaterThanOrEqual(1);
      const swap = check(JSON.parse(kubectlNetcheck(['node', 'n02', '-o', 'json', '--kubeconfig', sim.kubeconfig]).stdout) as NodeReport, 'swap');
      expect(swap.evidence.join('\n')).toContain(
        'agent: agent pod netcheck/netcheck-agent-x7k2p is Running, Ready, but the NodeReport CRD (nodereports.netcheck.io) is not installed, so no agent reports can be read',
      );
      expect(swap.remedy).toMatch(/^Install the NodeReport CRD with the agent \(.*\): kubectl apply -k deploy\/$/);
    } finally {
      await agent.stop('SIGKILL');
      await sim.stop();
    }
  });
});
