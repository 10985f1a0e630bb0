// The harness itself on a real kernel: two namespaces joined by a veth answer each other, and the
// machine's own namespace is left as it was.
import { execFileSync } from 'node:child_process';
import { Netns, removeNamespaces, run, veth } from '../helpers/netns';

const PREFIX = `nch${process.pid % 100000}-`;
afterAll(() => removeNamespaces(PREFIX));

test('two namespaces over a veth reach each other; the machine namespace is untouched', () => {
  const before = run('ip', ['-o', 'addr']) + run('ip', ['route']);
  const a = Netns.create(`${PREFIX}a`);
  const b = Netns.create(`${PREFIX}b`);
  veth(a, 'eth0', ['192.0.2.1/24', 'fd00:2::1/64'], b, 'eth0', ['192.0.2.2/24', 'fd00:2::2/64']);
  a.exec('ping', ['-c', '1', '-W', '2', '192.0.2.2']);
  expect(a.exec('cat', ['/proc/net/route'])).toContain('eth0');
  expect(execFileSync('ip', ['netns', 'exec', a.name, 'cat', '/sys/class/net/eth0/operstate'], { encoding: 'utf8' }).trim()).toMatch(/up|unknown/);
  a.delete();
  b.delete();
  expect(run('ip', ['-o', 'addr']) + run('ip', ['route'])).toBe(before);
});
