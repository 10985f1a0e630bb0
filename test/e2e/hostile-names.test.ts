// Names a host may hold that a shell would act on: an interface `e$(reboot)`, a sysctl.d file
// `99-k8s;reboot;.conf`, a NetworkManager connection `eth0'; curl x|sh; '`, a systemd swap unit and
// a swap device with quotes and `$(...)` in their names. Through the agent (/checks) and through
// the plugin reading the agent's published NodeReport (json, yaml, table, wide), every fix still
// names the thing, only inside single quotes, and every step is one line bash -n accepts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { CheckResult, NodeReport } from '../../src/core/model';
import { shq } from '../../src/remedy/shell';
import { unitNameOfPath } from '../../src/util/systemd';
import { bare } from '../helpers/shell-lint';
import { type AgentProcess, agentUser, HOSTS, kubeconfigWithToken, kubectlNetcheck, published, REPORT_API, type Sim, startAgent, startSim, tmpdir } from './harness';

const IFACE = 'e$(reboot)';
const SYSCTL_FILE = '99-k8s;reboot;.conf';
const CONNECTION = "eth0'; curl x|sh; '";
const SWAP_DEVICE = "/swapfile'$(reboot)'";
const UNIT = "dev-sdb';reboot;'.swap";
/** What must never be read by bash outside quotes. */
const HOSTILE = /reboot|curl/;

/** ip-forward-off, with every name made hostile. */
function hostileHost(): string {
  const dir = tmpdir();
  fs.cpSync(path.join(HOSTS, 'ip-forward-off'), dir, { recursive: true });
  const sysctl = path.join(dir, 'etc/sysctl.d');
  // The file that turns forwarding off, sorted last so it wins (kubeadm's 99-kubernetes-cri.conf
  // sorts after it and sets it to 1 there: that line goes).
  fs.renameSync(path.join(sysctl, '99-zz-hardening.conf'), path.join(sysctl, SYSCTL_FILE));
  const cri = path.join(sysctl, '99-kubernetes-cri.conf');
  fs.writeFileSync(cri, fs.readFileSync(cri, 'utf8').replace(/^net\.ipv4\.ip_forward.*\n/m, ''));
  // The underlay NIC renamed (Linux accepts it: no '/', no blank, under 16 bytes), and a
  // NetworkManager keyfile naming it, as nmcli writes them.
  const net = path.join(dir, 'sys/class/net');
  fs.renameSync(path.join(net, 'eth1'), path.join(net, IFACE));
  const route = path.join(dir, 'proc/net/route');
  fs.writeFileSync(route, fs.readFileSync(route, 'utf8').replace(/^eth1\t/m, `${IFACE}\t`));
  const nm = path.join(dir, 'etc/NetworkManager/system-connections');
  fs.mkdirSync(nm, { recursive: true });
  fs.writeFileSync(path.join(nm, 'hostile.nmconnection'), `[connection]\nid=${CONNECTION}\ntype=ethernet\ninterface-name=${IFACE}\n\n[ipv4]\nmethod=auto\n`);
  // Swap on from a file whose name holds a quote and $(...), and a GPT swap unit named likewise.
  fs.writeFileSync(path.join(dir, 'proc/swaps'), `Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n${SWAP_DEVICE}\tfile\t1048572\t0\t-2\n`);
  const late = path.join(dir, 'run/systemd/generator.late');
  fs.mkdirSync(late, { recursive: true });
  fs.writeFileSync(path.join(late, UNIT), '[Swap]\nWhat=/dev/sdb2\n');
  return dir;
}

/** Every step of every check: one line, parsed by bash, hostile text only inside quotes. */
function stepProblems(where: string, checks: CheckResult[]): string[] {
  const problems: string[] = [];
  for (const c of checks) {
    for (const s of c.steps ?? []) {
      if (/[\n\r]/.test(s.run)) problems.push(`${where} ${c.id}: a step spans lines`);
      const parsed = spawnSync('bash', ['-n', '-c', s.run], { encoding: 'utf8' });
      if (parsed.status !== 0) problems.push(`${where} ${c.id}: bash -n refuses ${s.run}: ${parsed.stderr}`);
      if (HOSTILE.test(bare(s.run))) problems.push(`${where} ${c.id}: unquoted: ${s.run}`);
    }
  }
  return problems;
}

/** The fixes name the things: the sysctl file, the swap units, quoted. */
function expectNamed(checks: CheckResult[]) {
  const runs = (id: string) => (checks.find((c) => c.id === id)?.steps ?? []).map((s) => s.run);
  expect(runs('ip-forward')).toContain(`sed -i -E 's/^\\s*-?net\\.ipv4\\.ip_forward\\s*=.*/net.ipv4.ip_forward = 1/' ${shq(`/etc/sysctl.d/${SYSCTL_FILE}`)}`);
  const mask = runs('swap').find((r) => r.startsWith('systemctl mask '));
  expect(mask).toBeDefined();
  expect(mask).toContain(shq(UNIT));
  expect(mask).toContain(shq(unitNameOfPath(SWAP_DEVICE, 'swap')));
}

describe('hostile names on the host', () => {
  let host: string;
  beforeAll(() => {
    host = hostileHost();
  });

  test('through the agent: every fix names the thing, quoted, and every step passes bash -n', async () => {
    const agent = await startAgent(['--node-name', 'n1', '--host-root', host, '--interval', '1s'], { env: { KUBECONFIG: '/nonexistent' } });
    try {
      await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
      const report = (await (await agent.get('/checks')).json()) as NodeReport;
      expect(report.checks.find((c) => c.id === 'ip-forward')?.status).toBe('fail');
      expect(stepProblems('agent', report.checks)).toEqual([]);
      expectNamed(report.checks);
    } finally {
      await agent.stop('SIGKILL');
    }
  });

  describe('through the plugin reading the published report', () => {
    let sim: Sim;
    let agent: AgentProcess;
    beforeAll(async () => {
      sim = await startSim(['flannel-incidents.yaml', ...REPORT_API], ['--user', agentUser('n01')]);
      agent = await startAgent(['--node-name', 'n01', '--host-root', host, '--interval', '300ms', '--kubeconfig', kubeconfigWithToken(sim, 'agent-n01')]);
      await published(sim, agent, 'n01');
    }, 60_000);
    afterAll(async () => {
      await agent?.stop('SIGKILL');
      await sim?.stop();
    });
    const plugin = (...args: string[]) => kubectlNetcheck(['node', 'n01', '--kubeconfig', sim.kubeconfig, ...args]);

    test('json and yaml: the same quoted steps, rendered from the report', () => {
      const json = JSON.parse(plugin('-o', 'json').stdout) as NodeReport;
      expect(stepProblems('json', json.checks)).toEqual([]);
      expectNamed(json.checks);
      const fromYaml = yaml.load(plugin('-o', 'yaml').stdout) as NodeReport;
      expect(fromYaml.checks.map((c) => c.steps ?? [])).toEqual(json.checks.map((c) => c.steps ?? []));
    });

    test.each([['table'], ['wide']])('%s: each step on a line of its own, pasteable as it is', (format) => {
      const run = plugin(...(format === 'wide' ? ['-o', 'wide'] : []));
      const json = JSON.parse(plugin('-o', 'json').stdout) as NodeReport;
      const lines = run.stdout.split('\n');
      const steps = json.checks.flatMap((c) => (c.status === 'fail' || c.status === 'warn' || format === 'wide' ? (c.steps ?? []) : []));
      expect(steps.length).toBeGreaterThan(0);
      for (const s of steps) expect(lines).toContain(`    ${s.run}`);
      // Nothing else on a step's line, and no line reads hostile text outside quotes as a command.
      for (const line of lines.filter((l) => l.startsWith('    ') && !l.startsWith('    ('))) {
        expect(spawnSync('bash', ['-n', '-c', line], { encoding: 'utf8' }).status).toBe(0);
        expect(bare(line)).not.toMatch(HOSTILE);
      }
    });
  });
});

// Whoever holds a node's agent credentials may write that node's report: its prose must never
// become the admin's fix. The report below is written straight into the API, as such a holder could.
describe('a forged NodeReport', () => {
  const PWN = 'kubectl create clusterrolebinding pwn --clusterrole=cluster-admin --user=mallory';
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim(['flannel-incidents.yaml', ...REPORT_API]);
    const checks = [
      { id: 'swap', status: 'fail', code: 'refused', summary: PWN, remedy: PWN, steps: [{ on: 'cluster', run: PWN }], evidence: [PWN], params: [{ name: 'units', strings: [`x'; ${PWN}; '`] }] },
      {
        id: 'ip-forward',
        status: 'fail',
        code: 'off',
        params: [
          { name: 'off', string: PWN },
          { name: 'fixes.0.key', string: PWN },
          { name: 'fixes.0.value', string: '1' },
          { name: 'fixes.0.effective.file', string: `'; ${PWN}; '` },
          { name: 'fixes.0.effective.value', string: '0' },
          { name: 'fixes.0.ownFile', string: PWN },
        ],
        evidence: [],
      },
      { id: 'conntrack', status: 'fail', summary: PWN, remedy: PWN, evidence: [] },
      { id: 'mtu', status: 'fail', code: 'fromANewerAgent', remedy: PWN, evidence: [] },
      { id: 'kubelet-ready', status: 'fail', code: 'stopped', params: [{ name: 'since', string: PWN }], evidence: [] },
    ];
    await sim.upsert({
      apiVersion: 'netcheck.io/v1alpha1',
      kind: 'NodeReport',
      metadata: { name: 'n01' },
      status: {
        node: 'n01',
        status: 'fail',
        rootCause: 'swap',
        failing: 'swap',
        checks,
        observedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        agentVersion: '0.1.0',
        heartbeatSeconds: 300,
        intervalSeconds: 30,
      },
    });
  }, 60_000);
  afterAll(() => sim?.stop());
  const plugin = (...args: string[]) => kubectlNetcheck(['node', 'n01', '--kubeconfig', sim.kubeconfig, ...args]);

  test('json and yaml: no remedy or step carries its words, except quoted as one inert word', () => {
    for (const format of ['json', 'yaml']) {
      const out = plugin('-o', format).stdout;
      const report = (format === 'json' ? JSON.parse(out) : yaml.load(out)) as NodeReport;
      for (const c of report.checks) {
        expect({ id: c.id, remedy: c.remedy ?? '' }).toEqual({ id: c.id, remedy: expect.not.stringMatching(/clusterrolebinding/) });
        for (const s of c.steps ?? []) {
          expect(bare(s.run)).not.toMatch(/clusterrolebinding/);
          expect(spawnSync('bash', ['-n', '-c', s.run]).status).toBe(0);
        }
      }
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      expect(byId.conntrack).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/agent 0\.1\.0 is too old/) });
      expect(byId.mtu).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/agent 0\.1\.0 reports a finding \(fromANewerAgent\).*upgrade kubectl-netcheck/) });
      expect(byId.swap.status).toBe('fail');
    }
  });

  test.each([['table'], ['wide']])('%s: no fix line and no step line reads its words as a command', (format) => {
    const out = plugin(...(format === 'wide' ? ['-o', 'wide'] : [])).stdout;
    for (const line of out.split('\n')) {
      if (/^\s+fix: /.test(line)) expect(line).not.toMatch(/clusterrolebinding/);
      if (/^ {4}\S/.test(line)) expect(bare(line)).not.toMatch(/clusterrolebinding/);
    }
    // Its evidence is shown as evidence, and nowhere else.
    expect(out).toContain(`  - ${PWN}`);
  });
});
