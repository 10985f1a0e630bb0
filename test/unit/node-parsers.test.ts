import fc from 'fast-check';
import { parseCniPlugins, parseRuntimeCniDirs } from '../../src/parsers/cni-plugins';
import { parseModulesBuiltin, parseProcModules } from '../../src/parsers/kernel-modules';
import { globMatch, nmSpecCovers, parseNetworkdMatch, parseNmUnmanaged } from '../../src/parsers/network-manager';
import { parseIfInet6, parseProcNetSnmp } from '../../src/parsers/proc-net-snmp';
import { isLoopbackAddress, parseResolvNameservers } from '../../src/parsers/resolv-conf';
import { ParseError } from '../../src/util/parse-error';

function onlyParseErrors(parse: (text: string) => unknown) {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (text) => {
      try {
        parse(text);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 300 },
  );
}

describe('parsers of the node checks', () => {
  test('random text parses or raises ParseError', () => {
    for (const p of [
      (t: string) => parseCniPlugins(t, '/x'),
      (t: string) => parseRuntimeCniDirs(t, 'containerd'),
      (t: string) => parseRuntimeCniDirs(t, 'crio'),
      parseProcModules,
      parseModulesBuiltin,
      parseNmUnmanaged,
      parseNetworkdMatch,
      parseProcNetSnmp,
      parseIfInet6,
      parseResolvNameservers,
    ])
      onlyParseErrors(p);
  });

  test('a conflist: chained plugins, IPAM and what flannel delegates to', () => {
    const conf = parseCniPlugins(
      '{"name":"mynet","plugins":[{"type":"bridge","bridge":"br0","ipam":{"type":"host-local"}},{"type":"portmap"},{"type":"../../bin/sh"}]}',
      '/etc/cni/net.d/10-mynet.conflist',
    );
    expect(conf).toEqual({
      file: '/etc/cni/net.d/10-mynet.conflist',
      network: 'mynet',
      plugins: [
        { type: 'bridge', role: 'plugin' },
        { type: 'host-local', role: 'ipam' },
        { type: 'portmap', role: 'plugin' },
      ],
      bridge: { name: 'br0', hairpinMode: false },
    });
    expect(parseCniPlugins('{"name":"cbr0","plugins":[{"type":"flannel","delegate":{"hairpinMode":true}}]}', 'f').plugins.map((p) => p.type)).toEqual(['flannel', 'bridge', 'host-local']);
  });

  test("containerd's bin_dir (v2) and bin_dirs (v3), CRI-O's plugin_dirs over lines", () => {
    expect(parseRuntimeCniDirs('version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/usr/libexec/cni"\n  conf_dir = "/etc/cni/net.d"\n', 'containerd')).toEqual(['/usr/libexec/cni']);
    expect(parseRuntimeCniDirs('version = 3\n[plugins."io.containerd.cri.v1.runtime".cni]\n  bin_dirs = ["/opt/cni/bin", "/usr/lib/cni"]\n', 'containerd')).toEqual(['/opt/cni/bin', '/usr/lib/cni']);
    expect(parseRuntimeCniDirs('[plugins."io.containerd.grpc.v1.cri".containerd]\n  bin_dir = "/nope"\n', 'containerd')).toEqual([]);
    expect(parseRuntimeCniDirs('[crio.network]\nplugin_dirs = [\n\t"/opt/cni/bin/",\n\t"/usr/libexec/cni/",\n]\n', 'crio')).toEqual(['/opt/cni/bin', '/usr/libexec/cni']);
  });

  test('modules: /proc/modules names, modules.builtin paths with - read as _', () => {
    expect(parseProcModules('vxlan 77824 0 - Live 0x0\nip6_udp_tunnel 16384 1 vxlan, Live 0x0\n')).toEqual(['vxlan', 'ip6_udp_tunnel']);
    expect(parseModulesBuiltin('kernel/net/bridge/br_netfilter.ko\nkernel/drivers/net/wireguard/wireguard.ko.zst\nkernel/net/ipv4/ip-tunnel.ko\n')).toEqual(['br_netfilter', 'wireguard', 'ip_tunnel']);
  });

  test('NetworkManager specs and systemd-networkd matches', () => {
    expect(parseNmUnmanaged('[keyfile]\nunmanaged-devices=interface-name:cali*;interface-name:tunl*\n')).toEqual(['interface-name:cali*', 'interface-name:tunl*']);
    expect(nmSpecCovers('interface-name:cali*', 'cali12ab')).toBe(true);
    expect(nmSpecCovers('interface-name:=cni0', 'cni0')).toBe(true);
    expect(nmSpecCovers('mac:00:11:22:33:44:55', 'cni0')).toBe(false);
    expect(parseNetworkdMatch('[Match]\nName=en* eth*\n\n[Link]\nUnmanaged=yes\n')).toEqual({ names: ['en*', 'eth*'], unmanaged: true });
    expect(globMatch('vxlan.calico', 'vxlanXcalico')).toBe(false);
  });

  test('snmp/netstat tables, if_inet6 and resolv.conf', () => {
    expect(parseProcNetSnmp('Udp: InDatagrams NoPorts InErrors InCsumErrors\nUdp: 10 2 3 3\n').Udp).toEqual({ InDatagrams: 10, NoPorts: 2, InErrors: 3, InCsumErrors: 3 });
    expect(parseIfInet6('20010db8000000000000000000000001 02 40 00 80     eth0\nfe800000000000000000000000000001 02 40 20 80 eth0\n')).toEqual([
      { iface: 'eth0', cidr: '2001:db8:0:0:0:0:0:1/64' },
      { iface: 'eth0', cidr: 'fe80:0:0:0:0:0:0:1/64' },
    ]);
    expect(parseResolvNameservers('nameserver 127.0.0.53\noptions edns0 trust-ad\nnameserver fe80::1%eth0\n')).toEqual(['127.0.0.53', 'fe80::1']);
    expect(['127.0.0.53', '127.0.1.1', '::1', '10.96.0.10'].map(isLoopbackAddress)).toEqual([true, true, true, false]);
  });
});
