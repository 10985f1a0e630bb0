import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { plausibleIfName, shq } from '../../src/remedy/shell';

describe('shq', () => {
  it('quotes plain names too', () => {
    expect(shq('eth0')).toBe("'eth0'");
  });

  it('keeps hostile names one inert word, as bash reads them', () => {
    for (const name of ['e$(reboot)', "eth0'; curl x|sh; '", '99-k8s;reboot;.conf', '`id`', 'a\nb', "''", '$HOME', '!!']) {
      const out = execFileSync('bash', ['-c', `printf '%s' ${shq(name)}`], { encoding: 'utf8' });
      expect(out).toBe(name);
    }
  });

  it('round-trips any string through bash', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
        (s) => {
          expect(execFileSync('bash', ['-c', `printf '%s' ${shq(s)}`], { encoding: 'utf8' })).toBe(s);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('plausibleIfName', () => {
  it('accepts what the kernel accepts and refuses the rest', () => {
    expect(['eth0', 'enp0s3', 'e$(reboot)', 'flannel.1', 'cali1234567890a'].map(plausibleIfName)).toEqual([true, true, true, true, true]);
    expect(['', 'a/b', 'a b', 'x'.repeat(16), '..', 'eth0:1'].map(plausibleIfName)).toEqual([false, false, false, false, false, false]);
  });
});
