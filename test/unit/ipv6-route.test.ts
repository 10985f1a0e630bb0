import fs from 'node:fs';
import path from 'node:path';
import { isDefaultRoute, parseProcNetIpv6Route } from '../../src/parsers/proc-net-route';
import { ParseError } from '../../src/util/parse-error';

const capture = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/proc', name), 'utf8');

describe('/proc/net/ipv6_route', () => {
  test('a real IPv6-only host: the default route via fd00::1 dev eth0, with its on-link prefix', () => {
    const routes = parseProcNetIpv6Route(capture('ipv6_route-v6-only.txt'));
    expect(routes).toHaveLength(7);
    const defaults = routes.filter(isDefaultRoute);
    expect(defaults).toEqual([{ iface: 'eth0', destination: '::', gateway: 'fd00::1', mask: '/0', prefix: 0, up: true, family: 6 }]);
    expect(routes[0]).toMatchObject({ destination: 'fd00::', prefix: 64, gateway: '::', iface: 'eth0' });
    expect(routes[4]).toMatchObject({ destination: 'fd00::10', prefix: 128 });
  });

  test("the kernel's unreachable ::/0 on lo is not a default route", () => {
    const routes = parseProcNetIpv6Route(capture('ipv6_route-no-default.txt'));
    expect(routes.map((r) => ({ d: r.destination, p: r.prefix, reject: !!r.reject }))).toEqual([
      { d: '::1', p: 128, reject: false },
      { d: '::', p: 0, reject: true },
    ]);
    expect(routes.filter(isDefaultRoute)).toEqual([]);
  });

  test('compresses addresses the usual way', () => {
    const line = (dest: string) => `${dest} 40 00000000000000000000000000000000 00 20010db8000000010000000000000001 00000100 00000001 00000000 00000003 eth1`;
    expect(parseProcNetIpv6Route(line('20010db8000000000001000000000000'))[0]).toMatchObject({ destination: '2001:db8:0:0:1::', gateway: '2001:db8:0:1::1' });
  });

  test('malformed input is one ParseError naming the line, never its text', () => {
    expect(() => parseProcNetIpv6Route('zz 40 x')).toThrow(ParseError);
    expect(() => parseProcNetIpv6Route(`${'0'.repeat(32)} 99 ${'0'.repeat(32)} 00 ${'0'.repeat(32)} 0 0 0 1 eth0`)).toThrow(/line 1: a prefix length over 128/);
    expect(() => parseProcNetIpv6Route(`${'g'.repeat(32)} 40 ${'0'.repeat(32)} 00 ${'0'.repeat(32)} 0 0 0 1 eth0`)).toThrow(/line 1: an address is not 32 hex digits/);
  });
});
