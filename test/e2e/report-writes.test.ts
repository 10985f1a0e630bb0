// The API write load of one agent on a host whose live counters move, as on every real node: the
// conntrack entry count changes between every two cycles, and the NodeReport must still be written
// only on the heartbeat (and at once when a status or finding changes).
import fs from 'node:fs';
import path from 'node:path';
import type { NodeReport } from '../../src/core/model';
import { agentOn, agentUser, HOSTS, kubeconfigWithToken, kubectlNetcheck, published, REPORT_API, reportsWritten, startAgent, startSim, tmpdir } from './harness';

const check = (r: NodeReport, id: string) => r.checks.find((c) => c.id === id)!;

const COUNT = 'proc/sys/net/netfilter/nf_conntrack_count';

describe('a host whose counters move every cycle', () => {
  test('the report is written on the heartbeat, not on every cycle; a finding that changes is written at once', async () => {
    const sim = await startSim(['flannel-incidents.yaml', ...REPORT_API], ['--user', agentUser('n02')]);
    const host = tmpdir();
    fs.cpSync(path.join(HOSTS, 'healthy-flannel'), host, { recursive: true });
    // The table holds 262144 entries; the count walks between 2000 and 2999 (always "ok").
    let entries = 2000;
    const mover = setInterval(() => fs.writeFileSync(path.join(host, COUNT), `${2000 + (entries++ % 1000)}\n`), 50);
    const heartbeatMs = 3000;
    const kubeconfig = kubeconfigWithToken(sim, 'agent-n02');
    const agent = await startAgent(['--node-name', 'n02', '--host-root', host, '--interval', '250ms', '--report-heartbeat', `${heartbeatMs / 1000}s`, '--kubeconfig', kubeconfig]);
    try {
      await published(sim, agent, 'n02');
      await sim.resetRequests();
      const startedAt = Date.now();
      const cycles = (await agent.sample('netcheck_cycles_total{'))!;
      const summaries = new Set<string>();
      // 32 cycles of 250 ms: about 8 s, two or three heartbeats. Each cycle sees another count.
      await agent.waitFor(
        '32 more cycles',
        async () => {
          const report = (await (await agent.get('/checks')).json()) as NodeReport;
          summaries.add(report.checks.find((c) => c.id === 'conntrack')!.summary);
          return (await agent.sample('netcheck_cycles_total{'))! - cycles >= 32;
        },
        30_000,
      );
      const elapsedMs = Date.now() - startedAt;
      // The counter did move under the agent: the summary a person reads changed many times.
      expect(summaries.size).toBeGreaterThan(10);
      const writes = (await reportsWritten(sim, 'n02')).filter((r) => r.path.includes('/status'));
      // At most one write per heartbeat (plus one for a heartbeat falling at the window's edge);
      // fingerprinting the summaries wrote ~32 here.
      expect(writes.length).toBeGreaterThanOrEqual(1);
      expect(writes.length).toBeLessThanOrEqual(Math.floor(elapsedMs / heartbeatMs) + 1);

      // A finding that changes (the table fills past its limit) is written within a few cycles:
      // changed just after a heartbeat write, so the next heartbeat is 3 s away.
      clearInterval(mover);
      await agent.waitFor('a heartbeat write', async () => (await reportsWritten(sim, 'n02')).length > writes.length, 10_000);
      await sim.resetRequests();
      fs.writeFileSync(path.join(host, COUNT), '262144\n');
      const changedAt = Date.now();
      await agent.waitFor('the changed report', async () => (await reportsWritten(sim, 'n02')).length > 0, 10_000);
      expect(Date.now() - changedAt).toBeLessThan(heartbeatMs / 2);
      const report = (await (await agent.get('/checks')).json()) as NodeReport;
      expect(report.checks.find((c) => c.id === 'conntrack')!.status).toBe('fail');
    } finally {
      clearInterval(mover);
      await agent.stop('SIGKILL');
      await sim.stop();
    }
  }, 60_000);
});

describe('the agent writes on change and on its heartbeat, never every cycle', () => {
  test('steady state: no write between heartbeats; a change is written within a cycle', async () => {
    const sim = await startSim(['flannel-incidents.yaml', ...REPORT_API], ['--user', agentUser('n02')]);
    const host = tmpdir();
    fs.cpSync(path.join(HOSTS, 'nic-down'), host, { recursive: true });
    const agent = await startAgent(['--node-name', 'n02', '--host-root', host, '--interval', '200ms', '--report-heartbeat', '4s', '--kubeconfig', kubeconfigWithToken(sim, 'agent-n02')]);
    try {
      await published(sim, agent, 'n02');
      const first = await agent.sample('netcheck_cycles_total{');
      await sim.resetRequests();
      await agent.cycles(8); // 8 cycles of 200 ms: under half the 4 s heartbeat
      expect((await agent.sample('netcheck_cycles_total{'))! - first!).toBeGreaterThanOrEqual(8);
      expect(await reportsWritten(sim, 'n02')).toEqual([]);
      // The heartbeat: one write of the status, nothing else.
      await agent.waitFor('the heartbeat write', async () => (await reportsWritten(sim, 'n02')).length > 0, 10_000);
      expect((await reportsWritten(sim, 'n02')).map((r) => r.path.split('?')[0])).toEqual(['/apis/netcheck.io/v1alpha1/nodereports/n02/status']);
      // A change: the swap check fails; written within a cycle or two, not at the next heartbeat.
      await sim.resetRequests();
      fs.writeFileSync(path.join(host, 'proc/swaps'), 'Filename\tType\tSize\tUsed\tPriority\n/swap.img file 2097148 0 -2\n');
      const changedAt = Date.now();
      await agent.waitFor('the changed report', async () => (await reportsWritten(sim, 'n02')).length > 0, 10_000);
      expect(Date.now() - changedAt).toBeLessThan(2000);
      const run = kubectlNetcheck(['node', 'n02', '-o', 'json', '--kubeconfig', sim.kubeconfig]);
      expect(check(JSON.parse(run.stdout) as NodeReport, 'swap').status).toBe('fail');
    } finally {
      await agent.stop('SIGKILL');
      await sim.stop();
    }
  });
  test('a write RBAC refuses is logged once; the agent goes on', async () => {
    const sim = await startSim(['flannel-incidents.yaml', ...REPORT_API], ['--user', agentUser('n02'), '--forbid', 'patch nodereports']);
    const agent = await agentOn(sim, 'n02', 'nic-down');
    try {
      await agent.waitFor('the refusal in the log', () => /not allowed to write nodereport n02: .*cannot patch resource \\"nodereports\\"/.test(agent.output()));
      await agent.cycles(5);
      expect(agent.output().match(/not allowed to write nodereport/g)).toHaveLength(1);
      expect((await agent.get('/healthz')).status).toBe(200);
    } finally {
      await agent.stop('SIGKILL');
      await sim.stop();
    }
  });
});
