// An agent whose probes have nowhere to go: a namespace with loopback only, as a node whose NIC is
// gone. UDP connect() fails at once there (no route); the probes must say so — never crash the agent.
// (make image-smoke found it: the DNS probe sent on a socket whose connect had failed.)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Netns, removeNamespaces } from '../helpers/netns';

const ROOT = path.resolve(__dirname, '../..');
const PREFIX = `nci${process.pid % 100000}-`;
afterAll(() => removeNamespaces(PREFIX));

test('with no route anywhere, the DNS probe fails with its class and the agent keeps cycling', async () => {
  const ns = Netns.create(`${PREFIX}a`);
  const args = [path.join(ROOT, 'dist/exporter.mjs'), '--node-name', 'n1', '--host-root', path.join(ROOT, 'test/fixtures/hosts/healthy-flannel'), '--address', '127.0.0.1', '--port', '19742'];
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, ...args, '--interval', '300ms', '--probe-interval', '300ms'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBECONFIG: '/nonexistent' },
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  try {
    const check = async () => {
      const r = await new Promise<string>((resolve) => {
        const get = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', "fetch('http://127.0.0.1:19742/checks').then((r) => r.text()).then((t) => process.stdout.write(t), () => {})"]);
        let body = '';
        get.stdout.on('data', (c) => (body += c));
        get.on('exit', () => resolve(body));
      });
      try {
        return (JSON.parse(r) as { checks: { id: string; status: string; evidence: string[] }[] }).checks.find((c) => c.id === 'cluster-dns');
      } catch {
        return undefined;
      }
    };
    const deadline = Date.now() + 20_000;
    let dns: Awaited<ReturnType<typeof check>>;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the agent exited with ${child.exitCode}:\n${out}`);
      dns = await check();
      if (dns && dns.status !== 'unknown') break;
      if (Date.now() > deadline) throw new Error(`cluster-dns never judged; the agent printed:\n${out}`);
    }
    expect([dns.status, dns.evidence.join('\n')]).toEqual(['fail', expect.stringMatching(/unreachable|timeout/)]);
    expect(child.exitCode).toBeNull();
    expect(out).not.toMatch(/\n\s+at /);
  } finally {
    child.kill('SIGKILL');
    ns.delete();
  }
});
