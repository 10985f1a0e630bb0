// Every fixture scenario, walked: each cluster through the plugin (API only), each host through the
// agent (host only). Their reports are golden files (test/golden/scenarios/, `make golden`), and
// every remedy in them must be pasteable: no <placeholder>, and no step the evidence shows is
// already done (bringing up an interface the evidence says is up, loading a module it says is
// loaded, masking a unit it does not name).
import fs from 'node:fs';
import path from 'node:path';
import type { CheckResult, ClusterReport, NodeReport } from '../../src/core/model';
import { CLUSTERS, golden as goldenFile, HOSTS, kubectlNetcheck, startAgent, startSim, withoutClock } from './harness';

const ages = withoutClock;
const golden = (name: string, actual: string) => goldenFile('scenarios', name, actual);

/** What makes a remedy not pasteable, or wrong for the evidence in front of it; [] when it is fine. */
function remedyProblems(where: string, check: CheckResult): string[] {
  const remedy = check.remedy ?? '';
  const evidence = check.evidence.join('\n');
  const problems: string[] = [];
  const hole = /<[a-zA-Z][\w .-]*>/.exec(remedy);
  if (hole) problems.push(`${where} ${check.id}: placeholder ${hole[0]} in "${remedy}"`);
  for (const [, iface] of remedy.matchAll(/ip link set (\S+) up/g)) {
    if (!new RegExp(`\\b${iface.replace(/\./g, '\\.')}\\b[^\\n]*\\bdown\\b|down: [^\\n]*\\b${iface.replace(/\./g, '\\.')}\\b`).test(evidence))
      problems.push(`${where} ${check.id}: brings up ${iface}, which the evidence does not show down`);
  }
  if (/modprobe br_netfilter/.test(remedy) && !/not loaded|does not exist/.test(evidence)) problems.push(`${where} ${check.id}: loads br_netfilter, which the evidence does not show missing`);
  for (const [, units] of remedy.matchAll(/systemctl mask ((?:'[^']+' ?)+)/g)) {
    for (const unit of units.match(/'[^']+'/g) ?? []) if (!evidence.includes(unit.slice(1, -1))) problems.push(`${where} ${check.id}: masks ${unit}, which the evidence does not name`);
  }
  return problems;
}

const clusters = fs.readdirSync(CLUSTERS).filter((f) => f.endsWith('.yaml') && f !== 'demo-agent.yaml');

test.each(clusters)('cluster %s, from the API: every node, every remedy pasteable', async (file) => {
  const sim = await startSim([file]);
  try {
    const json = kubectlNetcheck(['nodes', '-o', 'json', '--kubeconfig', sim.kubeconfig]);
    expect(json.stderr).toBe('');
    const report = JSON.parse(json.stdout) as ClusterReport;
    expect(report.nodes.length).toBeGreaterThan(0);
    expect(report.nodes.flatMap((n) => n.checks.flatMap((c) => remedyProblems(`${file} ${n.node}`, c)))).toEqual([]);
    const name = file.replace(/\.yaml$/, '');
    golden(`${name}.nodes.txt`, ages(kubectlNetcheck(['nodes', '-o', 'wide', '--kubeconfig', sim.kubeconfig]).stdout));
    for (const node of report.nodes.filter((n) => n.status === 'fail' || n.status === 'warn')) {
      golden(`${name}.${node.node}.txt`, ages(kubectlNetcheck(['node', node.node, '--kubeconfig', sim.kubeconfig]).stdout));
    }
  } finally {
    await sim.stop();
  }
});

const hosts = fs.readdirSync(HOSTS);

test.each(hosts)('host %s, from the agent: every remedy pasteable', async (host) => {
  const agent = await startAgent(['--node-name', 'n1', '--host-root', path.join(HOSTS, host), '--interval', '1s'], { env: { KUBECONFIG: '/nonexistent' } });
  try {
    await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
    const report = (await (await agent.get('/checks')).json()) as NodeReport;
    expect(report.checks.flatMap((c) => remedyProblems(host, c))).toEqual([]);
    // Host checks only: what the API would tell is not part of this scenario.
    const hostChecks = report.checks.filter((c) => !/could not be read|not be read|no pod network declaration/.test(c.summary));
    golden(`host-${host}.json`, `${JSON.stringify({ node: report.node, rootCause: report.rootCause, checks: hostChecks }, null, 2)}\n`);
  } finally {
    await agent.stop('SIGKILL');
  }
});
