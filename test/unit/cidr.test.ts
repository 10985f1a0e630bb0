import fc from 'fast-check';
import { contains, firstFreeSubnet, overlaps, parseCidr } from '../../src/util/cidr';
import { ParseError } from '../../src/util/parse-error';

describe('CIDR arithmetic', () => {
  test('containment and overlap', () => {
    expect(contains(parseCidr('10.244.0.0/16'), parseCidr('10.244.3.0/24'))).toBe(true);
    expect(contains(parseCidr('10.244.0.0/16'), parseCidr('10.245.0.0/24'))).toBe(false);
    expect(overlaps(parseCidr('10.244.0.0/23'), parseCidr('10.244.1.0/24'))).toBe(true);
    expect(overlaps(parseCidr('10.244.0.0/24'), parseCidr('fd00::/64'))).toBe(false);
    expect(() => parseCidr('10.244.0.0')).toThrow(ParseError);
  });

  test('first free subnet skips every taken block, in IPv4 and IPv6', () => {
    const taken = ['172.18.0.0/24', '172.18.1.0/24', '172.18.2.0/24'].map(parseCidr);
    expect(firstFreeSubnet(parseCidr('172.18.0.0/16'), 24, taken)).toBe('172.18.3.0/24');
    expect(firstFreeSubnet(parseCidr('10.0.0.0/23'), 24, [parseCidr('10.0.0.0/23')])).toBeUndefined();
    expect(firstFreeSubnet(parseCidr('fd00:10::/56'), 64, [parseCidr('fd00:10::/64')])).toBe('fd00:10:0:1::/64');
  });

  test('a found subnet is inside the pool and overlaps nothing taken', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 60 }), fc.integer({ min: 20, max: 26 }), (thirdOctets, mask) => {
        const pool = parseCidr('10.20.0.0/16');
        const taken = thirdOctets.map((o) => parseCidr(`10.20.${o}.0/24`));
        const free = firstFreeSubnet(pool, mask, taken);
        if (free === undefined) return;
        expect(contains(pool, parseCidr(free))).toBe(true);
        for (const t of taken) expect(overlaps(t, parseCidr(free))).toBe(false);
      }),
    );
  });
});
