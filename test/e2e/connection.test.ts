// kubectl's connection flags and kubeconfig features, each checked against the simulated cluster:
// what the server saw (user, credential, impersonation), what a proxy tunnelled, what a credential
// plugin was given, and, where kubectl can do the same thing, that kubectl agrees.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { kubectlNetcheck, ROOT, type Run, type Sim, startSim, tmpdir } from './harness';

const TLS = path.join(ROOT, 'test/fixtures/tls');
const CREDENTIAL = path.join(ROOT, 'test/fixtures/exec/credential.sh');
const b64 = (file: string) => fs.readFileSync(path.join(TLS, file)).toString('base64');
const V1 = 'client.authentication.k8s.io/v1';

/** The run reached the cluster and diagnosed node n01: exit 0 or 2, its report on stdout. */
function expectReport(run: Run): void {
  if (run.code !== 0 && run.code !== 2) throw new Error(`exit ${run.code}; stderr:\n${run.stderr}\nstdout:\n${run.stdout}`);
  expect(JSON.parse(run.stdout).node).toBe('n01');
}

function expectError(run: Run, pattern: RegExp): void {
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
}

const netcheck = (args: string[], env: Record<string, string | undefined> = {}) => kubectlNetcheck(['node', 'n01', '-o', 'json', '--no-agent', ...args], env);

/** A kubeconfig file in its own directory (so relative paths in it can be tested). */
function kubeconfig(text: string, dir = tmpdir()): string {
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, text);
  return file;
}

const cluster = (name: string, server: string, extra = `certificate-authority-data: ${b64('ca.crt')}`) => `- name: ${name}\n  cluster: {server: "${server}", ${extra}}`;
const context = (name: string, clusterName: string, user: string) => `- name: ${name}\n  context: {cluster: ${clusterName}, user: ${user}}`;
const config = (parts: { clusters: string[]; contexts: string[]; users: string[]; current?: string }) =>
  `apiVersion: v1\nkind: Config\nclusters:\n${parts.clusters.join('\n')}\ncontexts:\n${parts.contexts.join('\n')}\nusers:\n${parts.users.join('\n')}\n${parts.current ? `current-context: ${parts.current}\n` : ''}`;

/** The different tunnels (a run opens one per parallel connection, so maybe several of the same). */
const distinct = (tunnels: object[]) => [...new Set(tunnels.map((t) => JSON.stringify(t)))].map((t) => JSON.parse(t));

interface ProxyProcess {
  url: string;
  tunnels(): Record<string, unknown>[];
  stop(): void;
}

/** test/helpers/proxy.mjs as a process (spawnSync in the tests would block one in this process). */
async function startProxy(args: string[]): Promise<ProxyProcess> {
  const log = path.join(tmpdir(), 'tunnels.log');
  fs.writeFileSync(log, '');
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'test/helpers/proxy.mjs'), '--log', log, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the test proxy did not start within 30s; it printed:\n${out}`)), 30_000);
    child.stdout!.on('data', () => {
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    });
  });
  return {
    url,
    tunnels: () =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    stop: () => child.kill(),
  };
}

describe('kubectl connection flags', () => {
  let sim: Sim;
  let port: string;
  beforeAll(async () => {
    sim = await startSim(['flannel-incidents.yaml'], ['--user', 'alice-token=alice', '--user', 'file-token=from-token-file', '--user', 'exec-token=from-exec', '--user', 'oidc-token=from-oidc']);
    port = new URL(sim.url).port;
  });
  afterAll(() => sim.stop());
  beforeEach(() => sim.resetRequests());

  test('--server, --token and --certificate-authority need no kubeconfig at all', async () => {
    expectReport(netcheck(['-s', sim.url, '--token', 'alice-token', '--certificate-authority', path.join(TLS, 'ca.crt')], { KUBECONFIG: '/nonexistent' }));
    const requests = await sim.requests();
    expect(requests.length).toBeGreaterThan(0);
    expect(new Set(requests.map((r) => r.user))).toEqual(new Set(['alice']));
  });

  test('--cluster, --user and --context pick entries of a kubeconfig, kubectl-style errors otherwise', async () => {
    const file = kubeconfig(
      config({
        clusters: [cluster('good', sim.url), cluster('stale', sim.url, `certificate-authority-data: ${b64('other-ca.crt')}`)],
        contexts: [context('stale', 'stale', 'anonymous'), context('good', 'good', 'alice')],
        users: ['- name: alice\n  user: {token: alice-token}', '- name: anonymous\n  user: {}'],
        current: 'stale',
      }),
    );
    expectError(netcheck(['--kubeconfig', file]), /x509: .*certificate-authority-data of cluster "stale"/);
    expectReport(netcheck(['--kubeconfig', file, '--cluster', 'good', '--user', 'alice']));
    expect((await sim.requests()).every((r) => r.user === 'alice')).toBe(true);
    expectReport(netcheck(['--kubeconfig', file, '--context', 'good']));
    expectError(netcheck(['--kubeconfig', file, '--context', 'prod']), /^error: context was not found for specified context: prod$/m);
    expectError(netcheck(['--kubeconfig', file, '--cluster', 'prod']), /^error: no server found for cluster "prod"$/m);
    expectError(netcheck(['--kubeconfig', file, '--user', 'bob']), /^error: auth info "bob" does not exist$/m);
    // kubectl says the same, word for word
    const kubectl = spawnSync('kubectl', ['get', 'nodes', '--kubeconfig', file, '--context', 'prod'], { encoding: 'utf8' });
    expect(kubectl.stderr).toContain('context was not found for specified context: prod');
  });

  test('KUBECONFIG lists files: for each name, and for current-context, the first file wins', async () => {
    const first = kubeconfig(config({ clusters: [cluster('c', sim.url)], contexts: [context('c', 'c', 'u')], users: ['- name: u\n  user: {token: alice-token}'], current: 'c' }));
    const second = kubeconfig(
      config({
        clusters: [cluster('c', 'https://127.0.0.1:1'), cluster('other', sim.url)],
        contexts: [context('second', 'other', 'u'), context('c', 'other', 'nobody')],
        users: ['- name: u\n  user: {token: not-this-one}'],
        current: 'second',
      }),
    );
    const KUBECONFIG = [first, '/nonexistent/config', second].join(path.delimiter);
    expectReport(netcheck([], { KUBECONFIG }));
    expect((await sim.requests()).every((r) => r.user === 'alice')).toBe(true);
    await sim.resetRequests();
    expectReport(netcheck(['--context', 'second'], { KUBECONFIG })); // a context only the second file has, with the first file's user u
    expect((await sim.requests()).every((r) => r.user === 'alice')).toBe(true);
  });

  test('--insecure-skip-tls-verify replaces a stale CA; --tls-server-name is the name verified', () => {
    const file = kubeconfig(
      config({ clusters: [cluster('c', sim.url, `certificate-authority-data: ${b64('other-ca.crt')}`)], contexts: [context('c', 'c', 'u')], users: ['- name: u\n  user: {token: t}'], current: 'c' }),
    );
    expectError(netcheck(['--kubeconfig', file]), /x509/);
    expectReport(netcheck(['--kubeconfig', file, '--insecure-skip-tls-verify']));
    expectReport(netcheck(['--kubeconfig', file, '--insecure-skip-tls-verify=true']));
    expectError(
      netcheck(['--kubeconfig', file, '--insecure-skip-tls-verify', '--certificate-authority', path.join(TLS, 'ca.crt')]),
      /^error: specifying a root certificates file with the insecure flag is not allowed$/m,
    );
    const good = ['--kubeconfig', file, '--certificate-authority', path.join(TLS, 'ca.crt')];
    expectReport(netcheck([...good, '--tls-server-name', 'localhost']));
    expectError(netcheck([...good, '--tls-server-name', 'api.example.org']), /not valid for api\.example\.org/);
    expectError(
      netcheck([...good.slice(0, 2), '--certificate-authority', '/nonexistent/ca.crt']),
      /unable to read certificate-authority \/nonexistent\/ca\.crt for c due to open \/nonexistent\/ca\.crt: no such file or directory/,
    );
  });

  test('--as, --as-group and --as-uid send the same Impersonate-* headers kubectl sends', async () => {
    const file = kubeconfig(config({ clusters: [cluster('c', sim.url)], contexts: [context('c', 'c', 'u')], users: ['- name: u\n  user: {token: alice-token}'], current: 'c' }));
    const flags = ['--as', 'bob', '--as-group', 'oncall', '--as-group', 'system:authenticated', '--as-uid', '1234'];
    expectReport(netcheck(['--kubeconfig', file, ...flags]));
    const ours = (await sim.requests())[0];
    await sim.resetRequests();
    spawnSync('kubectl', ['get', 'nodes', '--kubeconfig', file, ...flags], { encoding: 'utf8' });
    const theirs = (await sim.requests()).find((r) => r.path.startsWith('/api/v1/nodes'));
    expect(ours.impersonate).toEqual({ 'impersonate-user': 'bob', 'impersonate-group': 'oncall, system:authenticated', 'impersonate-uid': '1234' });
    expect(ours.impersonate).toEqual(theirs?.impersonate);
    expect(ours.user).toBe('bob');
    expectError(netcheck(['--kubeconfig', file, '--as-group', 'oncall']), /^error: requesting uid, groups or user-extra for u without impersonating a user$/m);
  });

  test("the kubeconfig's as, as-groups, as-uid and as-user-extra", async () => {
    const file = kubeconfig(
      config({
        clusters: [cluster('c', sim.url)],
        contexts: [context('c', 'c', 'u')],
        users: ['- name: u\n  user: {token: alice-token, as: carol, as-groups: [sre], as-uid: "42", as-user-extra: {reason: [paged at 3am]}}'],
        current: 'c',
      }),
    );
    expectReport(netcheck(['--kubeconfig', file]));
    expect((await sim.requests())[0].impersonate).toEqual({ 'impersonate-user': 'carol', 'impersonate-group': 'sre', 'impersonate-uid': '42', 'impersonate-extra-reason': 'paged at 3am' });
  });

  test('client certificates: by flags, as files relative to the kubeconfig, inline', async () => {
    const secured = await startSim(['flannel-incidents.yaml'], ['--client-ca', path.join(TLS, 'ca.crt')]);
    try {
      const byFlags = ['-s', secured.url, '--certificate-authority', path.join(TLS, 'ca.crt'), '--client-certificate', path.join(TLS, 'client.crt'), '--client-key', path.join(TLS, 'client.key')];
      expectReport(netcheck(byFlags, { KUBECONFIG: '/nonexistent' }));
      const dir = tmpdir();
      fs.mkdirSync(path.join(dir, 'pki'));
      for (const f of ['ca.crt', 'client.crt', 'client.key']) fs.copyFileSync(path.join(TLS, f), path.join(dir, 'pki', f));
      const relative = kubeconfig(
        config({
          clusters: [cluster('c', secured.url, 'certificate-authority: pki/ca.crt')],
          contexts: [context('c', 'c', 'admin')],
          users: ['- name: admin\n  user: {client-certificate: pki/client.crt, client-key: pki/client.key}'],
          current: 'c',
        }),
        dir,
      );
      expectReport(netcheck([], { KUBECONFIG: relative }));
      const inline = kubeconfig(
        config({
          clusters: [cluster('c', secured.url)],
          contexts: [context('c', 'c', 'admin')],
          users: [`- name: admin\n  user: {client-certificate-data: ${b64('client.crt')}, client-key-data: ${b64('client.key')}}`],
          current: 'c',
        }),
      );
      expectReport(netcheck(['--kubeconfig', inline]));
      const requests = await secured.requests();
      expect(requests.length).toBeGreaterThan(3);
      expect(requests.every((r) => r.user === 'netcheck-admin' && r.credential === 'certificate')).toBe(true);
      const noKey = kubeconfig(
        config({ clusters: [cluster('c', secured.url)], contexts: [context('c', 'c', 'admin')], users: [`- name: admin\n  user: {client-certificate-data: ${b64('client.crt')}}`], current: 'c' }),
      );
      expectError(netcheck(['--kubeconfig', noKey]), /^error: client-key-data or client-key must be specified for admin to use the clientCert authentication method\.$/m);
    } finally {
      await secured.stop();
    }
  });

  test('a tokenFile relative to the kubeconfig; token and basic auth together are refused as kubectl refuses them', async () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'token'), 'file-token\n');
    const file = kubeconfig(config({ clusters: [cluster('c', sim.url)], contexts: [context('c', 'c', 'u')], users: ['- name: u\n  user: {tokenFile: token}'], current: 'c' }), dir);
    expectReport(netcheck(['--kubeconfig', file]));
    expect((await sim.requests()).every((r) => r.user === 'from-token-file')).toBe(true);
    const both = kubeconfig(
      config({ clusters: [cluster('c', sim.url)], contexts: [context('c', 'c', 'u')], users: ['- name: u\n  user: {token: t, username: admin, password: secret}'], current: 'c' }),
    );
    expectError(netcheck(['--kubeconfig', both]), /^error: more than one authentication method found for u; found \[token basicAuth\], only one is allowed$/m);
  });

  test('an oidc auth-provider sends its id-token; removed providers are named as kubectl names them', async () => {
    const file = kubeconfig(
      config({
        clusters: [cluster('c', sim.url)],
        contexts: [context('c', 'c', 'u')],
        users: ['- name: u\n  user: {auth-provider: {name: oidc, config: {id-token: oidc-token, idp-issuer-url: "https://idp.example.org"}}}'],
        current: 'c',
      }),
    );
    expectReport(netcheck(['--kubeconfig', file]));
    expect((await sim.requests()).every((r) => r.user === 'from-oidc')).toBe(true);
    const gcp = kubeconfig(config({ clusters: [cluster('c', sim.url)], contexts: [context('c', 'c', 'u')], users: ['- name: u\n  user: {auth-provider: {name: gcp}}'], current: 'c' }));
    expectError(netcheck(['--kubeconfig', gcp]), /gke-gcloud-auth-plugin/);
  });

  describe('exec credential plugins', () => {
    const execUser = (exec: string) => config({ clusters: [cluster('c', sim.url)], contexts: [context('c', 'c', 'u')], users: [`- name: u\n  user:\n    exec: ${exec}`], current: 'c' });

    test('the token it prints is sent; KUBERNETES_EXEC_INFO says non-interactive and, when asked, describes the cluster', async () => {
      const log = path.join(tmpdir(), 'exec.log');
      const file = kubeconfig(
        execUser(
          `{apiVersion: ${V1}, command: ${CREDENTIAL}, args: [token, exec-token, ${V1}], env: [{name: EXEC_LOG, value: "${log}"}, {name: GREETING, value: hello}], interactiveMode: IfAvailable, provideClusterInfo: true}`,
        ),
      );
      expectReport(netcheck(['--kubeconfig', file]));
      const requests = await sim.requests();
      expect(requests.every((r) => r.user === 'from-exec')).toBe(true);
      const runs = fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(runs).toHaveLength(1); // once per run, not once per request
      expect(runs[0]).toEqual({
        execInfo: { apiVersion: V1, kind: 'ExecCredential', spec: { interactive: false, cluster: { server: sim.url, 'certificate-authority-data': b64('ca.crt'), config: null } } },
        stdinTerminal: false,
        greeting: 'hello',
      });
      // kubectl passes the same KUBERNETES_EXEC_INFO
      spawnSync('kubectl', ['get', 'nodes', '--kubeconfig', file], { encoding: 'utf8' });
      const theirs = JSON.parse(fs.readFileSync(log, 'utf8').trim().split('\n')[1]);
      expect(theirs.execInfo.spec).toEqual(runs[0].execInfo.spec);
    });

    test('a relative command is resolved against the kubeconfig; a certificate it prints is used', async () => {
      const secured = await startSim(['flannel-incidents.yaml'], ['--client-ca', path.join(TLS, 'ca.crt')]);
      try {
        const dir = tmpdir();
        fs.mkdirSync(path.join(dir, 'bin'));
        fs.copyFileSync(CREDENTIAL, path.join(dir, 'bin', 'credential.sh'));
        fs.chmodSync(path.join(dir, 'bin', 'credential.sh'), 0o755);
        const text = config({
          clusters: [cluster('c', secured.url)],
          contexts: [context('c', 'c', 'u')],
          users: [
            `- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./bin/credential.sh, args: [cert, ${path.join(TLS, 'client.crt')}, ${path.join(TLS, 'client.key')}, client.authentication.k8s.io/v1beta1]}`,
          ],
          current: 'c',
        });
        expectReport(netcheck([], { KUBECONFIG: kubeconfig(text, dir) }));
        expect((await secured.requests()).every((r) => r.user === 'netcheck-admin' && r.credential === 'certificate')).toBe(true);
      } finally {
        await secured.stop();
      }
    });

    test('a plugin that is not installed, fails, or must be interactive without a terminal: one line', () => {
      const missing = kubeconfig(
        execUser(`{apiVersion: ${V1}, command: netcheck-test-auth-plugin, interactiveMode: Never, installHint: "Install netcheck-test-auth-plugin:\\n  brew install netcheck-test-auth-plugin"}`),
      );
      expectError(netcheck(['--kubeconfig', missing]), /exec: executable netcheck-test-auth-plugin not found .*brew install netcheck-test-auth-plugin/);
      const failing = kubeconfig(execUser(`{apiVersion: ${V1}, command: ${CREDENTIAL}, args: [fail], interactiveMode: Never}`));
      const run = netcheck(['--kubeconfig', failing]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('credential.sh: the identity provider said no'); // the plugin's own words reach the user
      expect(run.stderr).toMatch(/error: exec: executable .*credential\.sh failed with exit code 3/);
      const always = kubeconfig(execUser(`{apiVersion: ${V1}, command: ${CREDENTIAL}, args: [token, exec-token, ${V1}], interactiveMode: Always}`));
      expectError(netcheck(['--kubeconfig', always]), /needs a terminal \(interactiveMode: Always\) but standard input is not one/);
      const noMode = kubeconfig(execUser(`{apiVersion: ${V1}, command: ${CREDENTIAL}}`));
      expectError(netcheck(['--kubeconfig', noMode]), /interactiveMode must be specified/);
    });
  });

  describe('plain http:// servers', () => {
    test('a kubeconfig pointing at http:// works, and no credential is sent in the clear', async () => {
      const plain = await startSim(['flannel-incidents.yaml'], ['--http']);
      try {
        const file = kubeconfig(
          config({ clusters: [cluster('c', plain.url, 'insecure-skip-tls-verify: false')], contexts: [context('c', 'c', 'u')], users: ['- name: u\n  user: {token: secret}'], current: 'c' }),
        );
        expectReport(netcheck(['--kubeconfig', file]));
        const requests = await plain.requests();
        expect(requests.length).toBeGreaterThan(0);
        expect(requests.every((r) => r.credential === 'none')).toBe(true);
      } finally {
        await plain.stop();
      }
    });

    test('through a real `kubectl proxy` on 127.0.0.1', async () => {
      const proxy = spawn('kubectl', ['proxy', '--port=0', '--kubeconfig', sim.kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proxy.stdout.on('data', (c) => (out += c));
      proxy.stderr.on('data', (c) => (out += c));
      try {
        const address = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`kubectl proxy did not start within 30s:\n${out}`)), 30_000);
          proxy.stdout.on('data', () => {
            const m = /Starting to serve on (\S+)/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(m[1]);
            }
          });
        });
        expectReport(netcheck(['-s', `http://${address}`], { KUBECONFIG: '/nonexistent' }));
        expect((await sim.requests()).some((r) => r.path.startsWith('/api/v1/nodes/n01'))).toBe(true);
      } finally {
        proxy.kill();
      }
    });
  });

  describe('proxies', () => {
    // Go (so kubectl, so we) never proxies localhost or 127.0.0.0/8: the tests name the server
    // kubernetes.test, which only the test proxy resolves, and verify the certificate as localhost.
    let named: string;
    beforeAll(() => {
      named = kubeconfig(
        config({
          clusters: [cluster('c', `https://kubernetes.test:${port}`, `certificate-authority-data: ${b64('ca.crt')}, tls-server-name: localhost`)],
          contexts: [context('c', 'c', 'u')],
          users: ['- name: u\n  user: {token: alice-token}'],
          current: 'c',
        }),
      );
    });

    test('HTTPS_PROXY tunnels with CONNECT, as kubectl does; NO_PROXY and loopback servers go direct', async () => {
      const proxy = await startProxy(['--map', 'kubernetes.test=127.0.0.1']);
      try {
        const env = { HTTPS_PROXY: proxy.url, KUBECONFIG: named };
        expectReport(netcheck([], env));
        expect(distinct(proxy.tunnels())).toEqual([{ connect: `kubernetes.test:${port}` }]);
        expect((await sim.requests()).every((r) => r.user === 'alice')).toBe(true);
        const ours = proxy.tunnels().length;
        const kubectl = spawnSync('kubectl', ['get', 'nodes'], { env: { ...process.env, ...env }, encoding: 'utf8' });
        expect(kubectl.status).toBe(0);
        expect(proxy.tunnels().length).toBeGreaterThan(ours); // kubectl went the same way
        const before = proxy.tunnels().length;
        expectError(netcheck([], { ...env, NO_PROXY: 'example.org,.test' }), /kubernetes\.test does not resolve/);
        expectReport(netcheck(['--kubeconfig', sim.kubeconfig], { HTTPS_PROXY: proxy.url }));
        expect(proxy.tunnels().length).toBe(before);
      } finally {
        proxy.stop();
      }
    });

    test("the cluster's proxy-url wins over the environment, with credentials in it; a refusal is one line", async () => {
      const proxy = await startProxy(['--map', 'kubernetes.test=127.0.0.1', '--auth', 'ops:s3cret']);
      try {
        const withProxy = (url: string) => kubeconfig(fs.readFileSync(named, 'utf8').replace('tls-server-name: localhost', `tls-server-name: localhost, proxy-url: "${url}"`));
        const authed = proxy.url.replace('http://', 'http://ops:s3cret@');
        expectReport(netcheck(['--kubeconfig', withProxy(authed)], { HTTPS_PROXY: 'http://127.0.0.1:1' }));
        expect(distinct(proxy.tunnels())).toEqual([{ connect: `kubernetes.test:${port}` }]);
        expectError(netcheck(['--kubeconfig', withProxy(proxy.url)]), /the proxy http:\/\/127\.0\.0\.1:\d+ \(proxy-url of cluster "c"\) refused CONNECT kubernetes\.test:\d+: HTTP\/1\.1 407/);
        expectError(netcheck(['--kubeconfig', withProxy('http://127.0.0.1:1')]), /the proxy http:\/\/127\.0\.0\.1:1 \(proxy-url of cluster "c"\) refused the connection/);
      } finally {
        proxy.stop();
      }
    });

    test('a socks5 proxy-url', async () => {
      const proxy = await startProxy(['--socks5', '--map', 'kubernetes.test=127.0.0.1']);
      try {
        const file = kubeconfig(fs.readFileSync(named, 'utf8').replace('tls-server-name: localhost', `tls-server-name: localhost, proxy-url: "${proxy.url.replace('http://', 'socks5://')}"`));
        expectReport(netcheck(['--kubeconfig', file]));
        expect(distinct(proxy.tunnels())).toEqual([{ socks5: `kubernetes.test:${port}` }]);
      } finally {
        proxy.stop();
      }
    });
  });
});
