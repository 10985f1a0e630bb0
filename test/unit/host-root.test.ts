import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { HostRoot } from '../../src/host/root';
import { tmpdir } from '../e2e/harness';

/** A host tree in a temp dir, with an "outside" sibling holding what must never be read. */
function tree() {
  const base = tmpdir();
  const root = path.join(base, 'host');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'proc/1234/net'), { recursive: true });
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret'), 'outside\n');
  fs.writeFileSync(path.join(root, 'etc/secret'), 'inside\n');
  fs.writeFileSync(path.join(root, 'proc/1234/net/route'), 'Iface\tDestination\n');
  // As on a real host: /proc/net → self/net, /proc/self → the reader's pid.
  fs.symlinkSync('self/net', path.join(root, 'proc/net'));
  fs.symlinkSync('1234', path.join(root, 'proc/self'));
  return { root, outside };
}

describe('HostRoot resolves paths the way a chroot would', () => {
  test('relative symlinks inside the root are followed, through directories too', async () => {
    const { root } = tree();
    const host = await HostRoot.open(root);
    expect(await host.readText('proc/net/route', 1024)).toBe('Iface\tDestination\n');
  });

  test('an absolute symlink is relative to the root, not to the agent', async () => {
    const { root, outside } = tree();
    fs.symlinkSync(path.join(outside, 'secret'), path.join(root, 'etc/abs'));
    fs.symlinkSync('/etc/secret', path.join(root, 'etc/abs-inside'));
    const host = await HostRoot.open(root);
    expect(await host.readText('etc/abs', 1024)).toBeNull(); // <root>/<outside>/secret does not exist
    expect(await host.readText('etc/abs-inside', 1024)).toBe('inside\n');
  });

  test('.. stops at the root, in a path and in a symlink', async () => {
    const { root } = tree();
    fs.symlinkSync('../../../../../../../../etc/secret', path.join(root, 'proc/climb'));
    const host = await HostRoot.open(root);
    expect(await host.readText('../../../etc/secret', 1024)).toBe('inside\n');
    expect(await host.readText('proc/climb', 1024)).toBe('inside\n');
  });

  test('loops, FIFOs, directories and oversize files are refused with the host path named', async () => {
    const { root } = tree();
    fs.symlinkSync('b', path.join(root, 'etc/a'));
    fs.symlinkSync('a', path.join(root, 'etc/b'));
    require('node:child_process').execFileSync('mkfifo', [path.join(root, 'etc/fifo')]);
    fs.writeFileSync(path.join(root, 'etc/big'), 'x'.repeat(5000));
    const host = await HostRoot.open(root);
    await expect(host.readText('etc/a', 1024)).rejects.toThrow('/etc/a: too many levels of symbolic links');
    await expect(host.readText('etc/fifo', 1024)).rejects.toThrow('/etc/fifo is a FIFO, not a regular file; not read');
    await expect(host.readText('etc', 1024)).rejects.toThrow('/etc is a directory, not a regular file; not read');
    await expect(host.readText('etc/big', 4096)).rejects.toThrow('/etc/big is larger than 4096 bytes; not read');
    await expect(host.readText('etc/secret/x', 1024)).rejects.toThrow('/etc/secret/x: /etc/secret is not a directory');
  });

  test('listing a directory is capped', async () => {
    const { root } = tree();
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(root, `etc/f${i}`), '');
    const host = await HostRoot.open(root);
    await expect(host.list('etc', 5)).rejects.toThrow('/etc has more than 5 entries; not listed');
    expect(await host.list('nope', 5)).toBeNull();
  });

  test('whatever the symlinks, nothing outside the root is ever read', async () => {
    // Judged by what is read, not by the path the resolver reports: a resolver that let the OS
    // follow symlinks would report an inside path and still open the outside file through it.
    const { root, outside } = tree();
    const host = await HostRoot.open(root);
    const part = fc.constantFrom('etc', 'proc', 'self', 'net', '..', '.', 'l1', 'l2', 'secret', outside.slice(1));
    const target = fc.oneof(
      fc.array(part, { minLength: 1, maxLength: 6 }).map((p) => p.join('/')),
      fc.array(part, { minLength: 1, maxLength: 6 }).map((p) => `/${p.join('/')}`),
      fc.constant(path.join(outside, 'secret')),
      fc.constant(outside),
    );
    let n = 0;
    let readOutside = 0;
    await fc.assert(
      fc.asyncProperty(target, target, fc.array(part, { minLength: 1, maxLength: 8 }), async (t1, t2, query) => {
        const dir = path.join(root, 'etc', `case${n++}`);
        fs.mkdirSync(dir);
        fs.symlinkSync(t1, path.join(dir, 'l1'));
        fs.symlinkSync(t2, path.join(dir, 'l2'));
        for (const rel of [['etc', path.basename(dir), ...query].join('/'), `etc/${path.basename(dir)}/l1`, `etc/${path.basename(dir)}/l2/secret`]) {
          const text = await host.readText(rel, 1024).catch(() => null);
          if (text === 'outside\n') readOutside++;
          if (text !== null && text !== 'inside\n' && !text.startsWith('Iface')) return false;
        }
        return readOutside === 0;
      }),
      { numRuns: 300 },
    );
  });
});
