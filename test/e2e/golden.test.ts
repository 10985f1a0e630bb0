// Golden outputs: what the plugin prints for the demo's scenarios, and the agent's /metrics on a
// fixture host, compared byte for byte with test/golden/. An intended change shows as a diff:
// `make golden` rewrites the files from the current output, for review.
//
// Only what a clock changes is normalised: ages ("12s ago") and the agent's own timings.
import { spawnSync } from 'node:child_process';
import type { NodeReport } from '../../src/core/model';
import { type AgentProcess, agentOn, agentUser, golden as goldenFile, kubectlNetcheck, published, REPORT_API, type Sim, startSim, withoutClock } from './harness';

const normalise = withoutClock;
const golden = (name: string, actual: string) => goldenFile('', name, actual);

// The demo's cluster: seeds 000/001 with an agent on every worker; n01's conntrack table is full.
const FLEET: [string, string][] = [
  ['n01', 'conntrack-full'],
  ['n02', 'nic-down'],
  ['n03', 'no-default-route'],
];

let sim: Sim;
const agents: AgentProcess[] = [];
beforeAll(async () => {
  sim = await startSim(
    ['flannel-incidents.yaml', ...REPORT_API],
    FLEET.flatMap(([node]) => ['--user', agentUser(node)]),
  );
  for (const [node, host] of FLEET) agents.push(await agentOn(sim, node, host, ['--interval', '1s']));
  for (const [i, [node]] of FLEET.entries()) await published(sim, agents[i], node);
}, 60_000);
afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  await sim?.stop();
});

const plugin = (...args: string[]) => {
  const run = kubectlNetcheck([...args, '--kubeconfig', sim.kubeconfig]);
  if (run.stderr) throw new Error(`kubectl netcheck ${args.join(' ')} printed on stderr:\n${run.stderr}`);
  return normalise(run.stdout);
};

test.each([
  ['nodes.txt', ['nodes']],
  ['nodes-wide.txt', ['nodes', '-o', 'wide']],
  ['node-n02.txt', ['node', 'n02']],
  ['node-n02-wide.txt', ['node', 'n02', '-o', 'wide']],
  ['node-n01.txt', ['node', 'n01']],
  ['node-m01-no-agent.txt', ['node', 'm01']],
  ['node-n03.json', ['node', 'n03', '-o', 'json']],
])('kubectl netcheck: %s', (name, args) => {
  golden(name, plugin(...args));
});

test('every step the demo prints is one line bash -n accepts, and the table prints it alone on its line', () => {
  for (const node of ['n01', 'n02', 'n03', 'm01']) {
    const report = JSON.parse(plugin('node', node, '-o', 'json')) as NodeReport;
    const table = plugin('node', node, '-o', 'wide').split('\n');
    for (const step of report.checks.flatMap((c) => c.steps ?? [])) {
      expect(step.run).not.toMatch(/[\n\r]/);
      const parsed = spawnSync('bash', ['-n', '-c', step.run], { encoding: 'utf8' });
      expect({ step: step.run, stderr: parsed.stderr }).toEqual({ step: step.run, stderr: '' });
      expect(table).toContain(`    ${step.run}`);
    }
  }
});

test("the agent's netcheck_* series on n02 (nic-down)", async () => {
  const text = await agents[1].metrics();
  // The agent's own timings and clocks vary run to run; every check series is kept.
  const varying = /^netcheck_(cycle_duration_seconds|last_cycle_timestamp_seconds|report_last_write_timestamp_seconds|fact_duration_seconds|report_writes_total|cycles_total|scrape|build_info)/;
  const series = text
    .split('\n')
    .filter((l) => /^(# (HELP|TYPE) )?netcheck_/.test(l) && !varying.test(l.replace(/^# (HELP|TYPE) /, '')))
    .join('\n');
  golden('metrics-n02.txt', `${series}\n`);
});
