import fc from 'fast-check';
import { sanitize } from '../../src/util/text';

// Everything a terminal could act on without showing it.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

describe('sanitize', () => {
  test('shows control, bidi and zero-width characters as escapes', () => {
    expect(sanitize('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd');
    expect(sanitize('evil\u001b[2J')).toBe('evil\\x1b[2J');
    expect(sanitize('\u202egnp.exe\u202c')).toBe('\\u202egnp.exe\\u202c');
    expect(sanitize('a\u200bb\u2066c\u2069\ufeff')).toBe('a\\u200bb\\u2066c\\u2069\\ufeff');
    expect(sanitize('\u0085next line')).toBe('\\x85next line');
  });

  test('leaves ordinary text, including non-Latin scripts, as it is', () => {
    expect(sanitize('flannel 网卡 eth0 — ok')).toBe('flannel 网卡 eth0 — ok');
  });

  test('never lets an invisible character through, for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => !INVISIBLE.test(sanitize(s))));
  });
});
