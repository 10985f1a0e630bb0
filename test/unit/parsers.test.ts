import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseBirdProtocols } from '../../src/parsers/bird';
import { bgpPeersNotEstablished } from '../../src/parsers/calico-readiness';
import { parseCniConfig } from '../../src/parsers/cni-config';
import { parseCommandFlags } from '../../src/parsers/command-flags';
import { parseFlannelNetConf } from '../../src/parsers/flannel-net-conf';
import { parseFstabSwaps } from '../../src/parsers/fstab';
import { parseKubeadmClusterConfiguration } from '../../src/parsers/kubeadm-config';
import { parseKubeletConfig } from '../../src/parsers/kubelet-config';
import { isDefaultRoute, parseProcNetRoute } from '../../src/parsers/proc-net-route';
import { parseProcSwaps } from '../../src/parsers/proc-swaps';
import { formatSubnetEnv, parseSubnetEnv } from '../../src/parsers/subnet-env';
import { parseModulesLoad, parseSysctlConf } from '../../src/parsers/sysctl-conf';
import { parseCidr } from '../../src/util/cidr';
import { ParseError } from '../../src/util/parse-error';

const bird = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/bird', name), 'utf8');

/** Random text must either parse or raise ParseError: never a TypeError or RangeError. */
function onlyParseErrors(parse: (text: string) => unknown) {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (text) => {
      try {
        parse(text);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
      }
    }),
    { numRuns: 500 },
  );
}

describe('parsers of outside text', () => {
  test('subnet.env as flanneld writes it, and it round-trips', () => {
    const env = parseSubnetEnv('FLANNEL_NETWORK=172.18.0.0/16\nFLANNEL_SUBNET=172.18.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n');
    expect(env).toEqual({ network: '172.18.0.0/16', subnet: '172.18.1.1/24', mtu: 1450, ipMasq: true });
    expect(parseSubnetEnv(formatSubnetEnv(env))).toEqual(env);
    expect(() => parseSubnetEnv('FLANNEL_NETWORK=10.0.0.0/8\n')).toThrow(ParseError);
  });

  test('/proc/swaps lists active areas, with escaped blanks in paths', () => {
    const text = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/sda3                               partition\t27992060\t0\t-2\n/swap\\040file file 1048572 0 -3\n';
    expect(parseProcSwaps(text)).toEqual([
      { filename: '/dev/sda3', type: 'partition', sizeKiB: 27992060 },
      { filename: '/swap file', type: 'file', sizeKiB: 1048572 },
    ]);
    expect(parseProcSwaps('Filename\tType\tSize\tUsed\tPriority\n')).toEqual([]);
  });

  test('/proc/net/route decodes little-endian hex and finds the default route', () => {
    const text =
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
      'eth0\t00000000\t0121A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n' +
      'eth0\t0021A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n';
    const routes = parseProcNetRoute(text);
    expect(routes[0]).toMatchObject({ iface: 'eth0', destination: '0.0.0.0', gateway: '192.168.33.1', prefix: 0, up: true });
    expect(routes[1]).toMatchObject({ destination: '192.168.33.0', prefix: 24 });
    expect(routes.filter(isDefaultRoute)).toHaveLength(1);
  });

  test('fstab swap entries ignore comments and noauto', () => {
    expect(parseFstabSwaps('#/dev/sda3 none swap sw 0 0\n/dev/sdb2 none swap sw 0 0\n/swapfile none swap noauto 0 0\nUUID=x / ext4 defaults 0 1\n')).toEqual(['/dev/sdb2']);
  });

  test('kubelet config: failSwapOn defaults to true; swapBehavior is read', () => {
    expect(parseKubeletConfig('kind: KubeletConfiguration\n')).toEqual({ failSwapOn: true, swapBehavior: undefined });
    expect(parseKubeletConfig('failSwapOn: false\nmemorySwap:\n  swapBehavior: LimitedSwap\n')).toEqual({ failSwapOn: false, swapBehavior: 'LimitedSwap' });
    expect(() => parseKubeletConfig('failSwapOn: [')).toThrow(ParseError);
  });

  test('flannel net-conf.json, kubeadm ClusterConfiguration and controller-manager flags', () => {
    expect(parseFlannelNetConf('{"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}')).toEqual({ network: '10.244.0.0/16', ipv6Network: undefined, backend: 'vxlan' });
    expect(parseKubeadmClusterConfiguration('networking:\n  podSubnet: 10.244.0.0/16\n').podSubnet).toBe('10.244.0.0/16');
    expect(parseKubeadmClusterConfiguration('networking:\n  serviceSubnet: 10.96.0.0/12\n').podSubnet).toBeUndefined();
    const flags = parseCommandFlags(['kube-controller-manager', '--allocate-node-cidrs=true', '--cluster-cidr', '10.244.0.0/16', '--leader-elect']);
    expect(Object.fromEntries(flags)).toEqual({ 'allocate-node-cidrs': 'true', 'cluster-cidr': '10.244.0.0/16', 'leader-elect': 'true' });
  });

  test('BIRD 1.6 `show protocols all`: established, active and the peer that refused', () => {
    const sessions = parseBirdProtocols(bird('1.6-some-down.txt'));
    expect(sessions).toEqual([
      { name: 'Mesh_127_0_0_3', state: 'Established', neighbor: '127.0.0.3' },
      { name: 'Mesh_127_0_0_9', state: 'Active', neighbor: '127.0.0.9', lastError: 'Socket: Connection refused' },
    ]);
    expect(parseBirdProtocols(bird('1.6-all-down.txt')).map((s) => s.state)).toEqual(['Active', 'Active']);
    expect(() => parseBirdProtocols('0001 BIRD 1.6.8 ready.\n')).toThrow(ParseError);
    expect(() => parseBirdProtocols('9001 Parse error\n')).toThrow(ParseError);
  });

  test('random input never throws anything but ParseError', () => {
    for (const parse of [
      parseSubnetEnv,
      parseProcSwaps,
      parseProcNetRoute,
      parseKubeletConfig,
      parseFlannelNetConf,
      parseKubeadmClusterConfiguration,
      parseBirdProtocols,
      parseFstabSwaps,
      parseCidr,
    ]) {
      onlyParseErrors(parse);
    }
    fc.assert(fc.property(fc.array(fc.string()), (argv) => void parseCommandFlags(argv)));
  });

  test('subnet.env round-trips for any values flanneld could write', () => {
    const cidr = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, p]) => `${ip}/${p}`);
    fc.assert(
      fc.property(
        fc.record({
          network: fc.option(cidr, { nil: undefined }),
          subnet: cidr,
          mtu: fc.option(fc.integer({ min: 68, max: 9000 }), { nil: undefined }),
          ipMasq: fc.option(fc.boolean(), { nil: undefined }),
        }),
        (env) => {
          expect(parseSubnetEnv(formatSubnetEnv(env))).toEqual(env);
        },
      ),
    );
  });

  test('BIRD replies cut anywhere are a ParseError, never a wrong count', () => {
    const reply = bird('1.6-some-down.txt');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: reply.length - 8 }), (cut) => {
        expect(() => parseBirdProtocols(reply.slice(0, cut))).toThrow(ParseError);
      }),
    );
  });
});

describe('calico readiness: the peers Calico names', () => {
  test('any IPv4 list, with or without a log line run straight into the last address', () => {
    const logLine = fc
      .date({ min: new Date('1970-01-01'), max: new Date('2999-12-31'), noInvalidDate: true })
      .map((d) => `${d.toISOString().replace('T', ' ').slice(0, 23)} [INFO][1] health.go 156: Overall health status changed`);
    fc.assert(
      fc.property(fc.uniqueArray(fc.ipV4(), { minLength: 1, maxLength: 8 }), fc.constantFrom(',', ', ', ' '), fc.option(logLine, { nil: undefined }), (peers, sep, glued) => {
        const message = `calico/node is not ready: BIRD is not ready: BGP not established with ${peers.join(sep)}${glued ?? ''}`;
        expect(bgpPeersNotEstablished(message)).toEqual(peers);
      }),
    );
  });
});

describe('sysctl.d, modules-load.d and CNI config files', () => {
  test('sysctl.d: comments, the "-" prefix, slash-separated keys (dots and slashes swap), file order kept', () => {
    const text = [
      '# hardening',
      '; old style',
      'net.ipv4.ip_forward = 0',
      '-net.bridge.bridge-nf-call-iptables=1',
      'net/ipv4/conf/eth0.100/forwarding = 1',
      'not a setting',
      'net.ipv4.ip_forward=1',
    ].join('\n');
    expect(parseSysctlConf(text)).toEqual([
      { key: 'net.ipv4.ip_forward', value: '0' },
      { key: 'net.bridge.bridge-nf-call-iptables', value: '1' },
      { key: 'net.ipv4.conf.eth0/100.forwarding', value: '1' },
      { key: 'net.ipv4.ip_forward', value: '1' },
    ]);
  });
  test('modules-load.d: one module a line, comments and junk dropped', () => {
    expect(parseModulesLoad('# k8s\noverlay\nbr_netfilter # for bridges\n; x\n../../etc/passwd\n')).toEqual(['overlay', 'br_netfilter']);
  });
  test('CNI config: a conflist or a single conf; its MTU; whether pods sit on a bridge', () => {
    expect(parseCniConfig(JSON.stringify({ cniVersion: '0.3.1', plugins: [{ type: 'flannel', delegate: { hairpinMode: true } }, { type: 'portmap' }] }))).toEqual({
      types: ['flannel', 'portmap'],
      bridge: true,
    });
    expect(parseCniConfig(JSON.stringify({ plugins: [{ type: 'calico', mtu: 1440 }, { type: 'bandwidth' }] }))).toEqual({ types: ['calico', 'bandwidth'], mtu: 1440, bridge: false });
    expect(parseCniConfig(JSON.stringify({ type: 'bridge', bridge: 'cni0', mtu: 1500 }))).toEqual({ types: ['bridge'], mtu: 1500, bridge: true });
    expect(() => parseCniConfig('{"plugins": [')).toThrow('not JSON');
    expect(() => parseCniConfig('[]')).toThrow('not a JSON object');
  });
  test('never throw anything but a ParseError, whatever the file holds', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        parseSysctlConf(text);
        parseModulesLoad(text);
        try {
          parseCniConfig(text);
        } catch (e) {
          expect((e as Error).name).toBe('ParseError');
        }
      }),
    );
  });
});
