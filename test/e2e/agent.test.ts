// The agent as a process: its flags, and the faults around it that must not stop it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { NodeReport } from '../../src/core/model';
import { kubeconfigFor, ROOT, startAgent, startSim, tmpdir } from './harness';

const HOSTS = path.join(ROOT, 'test/fixtures/hosts');
const exporter = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [path.join(ROOT, 'dist/exporter.mjs'), ...args], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, ...env } });

describe('flags', () => {
  test('--help lists every flag with its default and environment variable; --version prints the version', () => {
    const help = exporter(['--help']);
    expect(help.status).toBe(0);
    for (const flag of ['node-name', 'host-root', 'bird-socket', 'kubelet-config', 'address', 'port', 'interval', 'fact-timeout', 'report-heartbeat', 'kubeconfig', 'version', 'help']) {
      expect(help.stdout).toMatch(new RegExp(`--${flag}\\b`));
    }
    expect(help.stdout).toMatch(/--host-root DIR .*\(default: \/host; env NETCHECK_HOST_ROOT\)/);
    expect(help.stdout).toMatch(/--node-name NAME .*\(env NODE_NAME\)/);
    expect(help.stdout).toMatch(/--interval DURATION .*\(default: 30s; env NETCHECK_INTERVAL\)/);
    const version = exporter(['--version']);
    expect(version.stdout).toMatch(/^netcheck-exporter \d+\.\d+\.\d+\n$/);
  });

  test('bad flags and values: one line, exit 1', () => {
    const cases: [string[], string][] = [
      [['--port', 'x', '--node-name', 'n1'], 'error: invalid --port x (see netcheck-exporter --help)'],
      [['--interval', '0s', '--node-name', 'n1'], 'error: --interval: invalid duration "0s": must be more than zero (see netcheck-exporter --help)'],
      [['--bogus'], 'error: unknown flag --bogus (see netcheck-exporter --help)'],
      [['--node-name', 'n1', '--kubeconfig', '/nonexistent/config'], 'error: --kubeconfig /nonexistent/config cannot be read: ENOENT (see netcheck-exporter --help)'],
      [['--node-name', 'n1', '--host-root', '/nonexistent/host'], 'error: --host-root /nonexistent/host cannot be opened: ENOENT (see netcheck-exporter --help)'],
    ];
    for (const [args, line] of cases) {
      const run = exporter(args, { NODE_NAME: '' });
      expect([args.join(' '), run.status, run.stderr]).toEqual([args.join(' '), 1, `${line}\n`]);
    }
    expect(exporter([], { NODE_NAME: '' }).stderr).toBe('error: --node-name (or $NODE_NAME) is required (see netcheck-exporter --help)\n');
  });

  test('environment variables stand in for flags; a flag wins over its variable', async () => {
    const agent = await startAgent([], { env: { NODE_NAME: 'from-env', NETCHECK_HOST_ROOT: path.join(HOSTS, 'healthy-flannel'), NETCHECK_INTERVAL: '200ms', KUBECONFIG: '/nonexistent' } });
    try {
      await agent.waitFor('the first report', async () => (await agent.get('/checks')).ok);
      expect(((await (await agent.get('/checks')).json()) as NodeReport).node).toBe('from-env');
    } finally {
      await agent.stop();
    }
  });

  test('an API client that cannot be set up at start is retried with backoff, and /readyz says so until it is', async () => {
    const dir = tmpdir();
    const kubeconfig = path.join(dir, 'kubeconfig');
    // Readable but not a kubeconfig yet (a Secret being rotated): the set-up fails, the agent runs on.
    fs.writeFileSync(kubeconfig, 'not: [a kubeconfig');
    const sim = await startSim(['flannel-incidents.yaml']);
    const agent = await startAgent(['--node-name', 'n01', '--host-root', path.join(HOSTS, 'healthy-flannel'), '--interval', '300ms', '--kubeconfig', kubeconfig]);
    try {
      await agent.waitFor('the first report', async () => (await agent.get('/checks')).ok);
      const notReady = await agent.get('/readyz');
      expect({ status: notReady.status, body: await notReady.text() }).toEqual({ status: 503, body: expect.stringMatching(/^no Kubernetes API client, so no report leaves the node \(retrying\): /) });
      fs.copyFileSync(sim.kubeconfig, kubeconfig);
      await agent.waitFor('the API client set up on a retry, and /readyz green', async () => (await agent.get('/readyz')).ok, 20_000);
      await agent.waitFor('the node seen through the API', async () => ((await (await agent.get('/checks')).json()) as NodeReport).checks.find((c) => c.id === 'kubelet-ready')!.status === 'ok');
      expect(agent.output()).toMatch(/running without the Kubernetes API for now \(retrying in 1s\)/);
      // The line is written before /readyz turns green, but its pipe may be read after the HTTP reply.
      await agent.waitFor('the set-up logged', async () => /the Kubernetes API client is set up/.test(agent.output()));
    } finally {
      await agent.stop();
      await sim.stop();
    }
  });
});

describe('faults around the agent', () => {
  test('with the API server unreachable it still serves, API checks unknown; SIGTERM exits 0', async () => {
    const agent = await startAgent(['--node-name', 'n9', '--host-root', path.join(HOSTS, 'healthy-flannel'), '--interval', '1s', '--kubeconfig', kubeconfigFor('https://127.0.0.1:1')]);
    await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
    const report = (await (await agent.get('/checks')).json()) as NodeReport;
    expect(report.checks.find((c) => c.id === 'kubelet-ready')!.status).toBe('unknown');
    expect(report.checks.find((c) => c.id === 'swap')!.status).toBe('ok');
    expect((await agent.get('/metrics')).status).toBe(200);
    expect(await agent.stop('SIGTERM')).toMatchObject({ code: 0 });
    expect(agent.output()).not.toMatch(/\n\s+at /);
  });

  test('the API server going away mid-run: the agent keeps serving and cycling, and says so once', async () => {
    const sim = await startSim(['flannel-incidents.yaml']);
    const agent = await startAgent(['--node-name', 'n01', '--host-root', path.join(HOSTS, 'healthy-flannel'), '--interval', '300ms', '--kubeconfig', sim.kubeconfig]);
    const cycles = async () => (await agent.sample('netcheck_cycles_total{')) ?? 0;
    try {
      await agent.waitFor('the first report', async () => (await agent.get('/readyz')).ok);
      await sim.stop();
      const before = await cycles();
      await agent.waitFor('three more cycles', async () => (await cycles()) >= before + 3);
      await agent.waitFor('the watch error in the log', () => /node watch: .*refused/.test(agent.output()));
      await agent.cycles(8); // retries go on behind the scenes, cycles too
      expect((await agent.get('/readyz')).status).toBe(200); // ready = fresh reports; the host checks still answer
      const report = (await (await agent.get('/checks')).json()) as NodeReport;
      expect(report.checks.find((c) => c.id === 'swap')!.status).toBe('ok');
      expect(
        agent
          .output()
          .split('\n')
          .filter((l) => /node watch: .*refused/.test(l)),
      ).toHaveLength(1); // one line per change of error
    } finally {
      await agent.stop('SIGKILL');
    }
  });

  test('SIGTERM while a cycle waits on a BIRD that never answers: clean exit within 5 s', async () => {
    const socket = path.join(tmpdir(), 'bird.ctl');
    let connected!: () => void;
    const waiting = new Promise<void>((r) => (connected = r));
    const hanging = net.createServer(() => connected()).listen(socket);
    const agent = await startAgent(['--node-name', 'n1', '--host-root', path.join(HOSTS, 'healthy-calico'), '--bird-socket', socket, '--interval', '100ms', '--fact-timeout', '30s'], {
      env: { KUBECONFIG: '/nonexistent' },
    });
    try {
      await waiting; // a cycle is now waiting on a BIRD that never answers
      const { code, ms } = await agent.stop('SIGTERM');
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5000);
    } finally {
      hanging.close();
    }
  });
});
