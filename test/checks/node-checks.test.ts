// The node checks beyond the seeds (cni-plugins ... overlay-errors), on fixture hosts read as the
// agent reads them and on built facts: each broken host fails (or warns) with its exact fix, and
// every other check keeps the verdict it has on the healthy host the broken one was made from.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { CHECK_IDS, SYSCTLS } from '../../src/checks';
import { cidrOverlap } from '../../src/checks/cidr-overlap';
import { cniPlugins } from '../../src/checks/cni-plugins';
import { dnsResolv } from '../../src/checks/dns-resolv';
import { ipamLeases } from '../../src/checks/ipam-leases';
import { kernelModules } from '../../src/checks/kernel-modules';
import { kubeProxy } from '../../src/checks/kube-proxy';
import { networkManager } from '../../src/checks/network-manager';
import { overlayErrors } from '../../src/checks/overlay-errors';
import { rpFilter } from '../../src/checks/rp-filter';
import { vtepMac } from '../../src/checks/vtep-mac';
import { buildFacts, type HostFacts, type NodeFacts } from '../../src/core/facts';
import { evaluateCheck, evaluateNode } from '../../src/engine';
import { readHostFacts } from '../../src/host/readers';
import { HostRoot } from '../../src/host/root';
import { cniPod, facts, healthyHost, NOW, node } from '../helpers/objects';

const HOSTS = path.join(__dirname, '../fixtures/hosts');

/** A fixture host's facts with the API view of its node (a flannel, Calico or Cilium pod on it). */
async function hostNode(host: string, api: Partial<NodeFacts> = {}, root?: HostRoot): Promise<NodeFacts> {
  const read = await readHostFacts({ root: root ?? (await HostRoot.open(path.join(HOSTS, host))), factTimeoutMs: 2000, sysctls: SYSCTLS, kubeProxyLivez: 'http://127.0.0.1:9/livez' });
  const f = buildFacts({ nodeName: 'n1', now: NOW, host: read.host, unavailable: [read.unavailable] });
  return { ...f, ...api, unavailable: { ...f.unavailable, ...api.unavailable } };
}

const flannelApi = (): Partial<NodeFacts> => ({
  node: node({
    podCIDR: '10.244.3.0/24',
    ip: '192.168.33.20',
    annotations: { 'flannel.alpha.coreos.com/backend-type': 'vxlan', 'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"6e:1f:2c:8a:4b:d1"}' },
  }),
  pods: [cniPod('flannel')],
});
const calicoApi = (): Partial<NodeFacts> => ({ node: node({ ip: '172.17.73.65' }), pods: [cniPod('calico')] });
const ciliumApi = (): Partial<NodeFacts> => ({ node: node({ ip: '172.17.73.65' }), pods: [cniPod('cilium')] });

const statuses = (f: NodeFacts) => Object.fromEntries(evaluateNode(f).checks.map((c) => [c.id, c.status]));

// broken host, the healthy host it was made from, the API view, the check it breaks, and the other
// checks whose verdict the breakage changes by what it is (no flannel.1 without vxlan).
const BROKEN: [string, string, () => Partial<NodeFacts>, string, string, Record<string, string>][] = [
  ['cni-portmap-missing', 'healthy-flannel', flannelApi, 'cni-plugins', 'fail', {}],
  ['kernel-vxlan-missing', 'healthy-flannel', flannelApi, 'kernel-modules', 'warn', { mtu: 'skip', 'vtep-mac': 'skip', 'overlay-errors': 'skip' }],
  ['dns-resolved-stub', 'healthy-flannel', flannelApi, 'dns-resolv', 'warn', {}],
  ['ipam-leases-exhausted', 'healthy-flannel', flannelApi, 'ipam-leases', 'fail', {}],
  ['nm-cloud-setup', 'healthy-calico', calicoApi, 'network-manager', 'fail', {}],
  ['nm-no-unmanaged', 'healthy-calico', calicoApi, 'network-manager', 'warn', {}],
  [
    'cidr-overlap-nat',
    'healthy-flannel',
    () => ({ ...flannelApi(), node: node({ podCIDR: '10.0.3.0/24', ip: '192.168.33.20', annotations: flannelApi().node!.metadata!.annotations }) }),
    'cidr-overlap',
    'fail',
    {},
  ],
  ['hairpin-off', 'healthy-flannel', flannelApi, 'hairpin', 'fail', {}],
  ['rp-filter-strict-cilium', 'healthy-cilium', ciliumApi, 'rp-filter', 'fail', {}],
];

describe('fixture hosts of the node checks', () => {
  test.each(['healthy-flannel', 'healthy-calico', 'healthy-cilium'])('%s: every node check is ok or skip', async (host) => {
    const api = host === 'healthy-flannel' ? flannelApi() : host === 'healthy-calico' ? calicoApi() : ciliumApi();
    const s = statuses(await hostNode(host, api));
    const mine = ['cni-plugins', 'kernel-modules', 'dns-resolv', 'ipam-leases', 'network-manager', 'kube-proxy', 'cidr-overlap', 'vtep-mac', 'hairpin', 'rp-filter', 'overlay-errors'];
    expect(mine.every((id) => CHECK_IDS.includes(id as never))).toBe(true);
    expect(Object.fromEntries(mine.filter((id) => s[id] !== 'ok' && s[id] !== 'skip').map((id) => [id, s[id]]))).toEqual(host === 'healthy-flannel' ? {} : { 'cidr-overlap': 'unknown' });
  });

  test.each(BROKEN)('%s (from %s): the one check breaks, the others keep their verdicts', async (broken, healthy, api, id, status, changed) => {
    // The healthy host keeps its own podCIDR where the broken one was renumbered.
    const before = statuses(await hostNode(healthy, broken === 'cidr-overlap-nat' ? flannelApi() : api()));
    const after = statuses(await hostNode(broken, api()));
    expect(after[id]).toBe(status);
    expect(before[id] === 'ok' || before[id] === 'skip').toBe(true);
    const others = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== id));
    expect(others(after)).toEqual({ ...others(before), ...changed });
  });
});

describe('the exact fixes', () => {
  const one = async (host: string, api: Partial<NodeFacts>, id: string) => evaluateNode(await hostNode(host, api)).checks.find((c) => c.id === id)!;

  test('cni-plugins: names the missing chained plugin and installs the reference release into the bin dir', async () => {
    const r = await one('cni-portmap-missing', flannelApi(), 'cni-plugins');
    expect(r.summary).toBe('/etc/cni/net.d/10-flannel.conflist runs portmap, which is not in /opt/cni/bin: every pod sandbox on this node fails');
    expect(r.steps).toEqual([
      {
        on: 'n1',
        run: 'case $(uname -m) in aarch64) a=arm64;; armv7l) a=arm;; *) a=amd64;; esac; curl -fsSL "https://github.com/containernetworking/plugins/releases/download/v1.6.2/cni-plugins-linux-$a-v1.6.2.tgz" | tar -xz -C \'/opt/cni/bin\'',
      },
    ]);
  });

  test('kernel-modules: a raspi kernel without vxlan gets linux-modules-extra-raspi; with the vxlan backend known it fails', async () => {
    const f = await hostNode('kernel-vxlan-missing', flannelApi());
    expect(evaluateCheck(kernelModules, f).steps).toEqual([
      { on: 'n1', run: "apt-get install -y 'linux-modules-extra-raspi'" },
      { on: 'n1', run: "modprobe -a 'vxlan'" },
    ]);
    const known = evaluateCheck(kernelModules, { ...f, cluster: { flannel: { network: '10.244.0.0/16', backend: 'vxlan', source: 'kube-flannel-cfg' } } });
    expect(known).toMatchObject({ status: 'fail', summary: 'vxlan is not in this kernel (5.15.0-1034-raspi): neither loaded, built in, nor installed', measures: { missing: 1 } });
  });

  test('kernel-modules: built in counts as present (kubernetes#63801)', () => {
    const host: HostFacts = { ...healthyHost, kernelModules: { release: '6.1.0-13-amd64', present: { vxlan: 'builtin' }, available: [], builtinKnown: true } };
    expect(evaluateCheck(kernelModules, facts({ node: node(), pods: [cniPod('flannel')], host })).summary).toBe('vxlan: present');
  });

  test('dns-resolv: the stub resolver fails when CoreDNS runs on the node, with the resolvConf fix', async () => {
    const coredns = {
      metadata: { name: 'coredns-5d78c9869d-x2k4j', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
      spec: { nodeName: 'n1', containers: [] },
      status: { phase: 'Running' },
    } as V1Pod;
    const api = flannelApi();
    const r = evaluateCheck(dnsResolv, await hostNode('dns-resolved-stub', { ...api, pods: [...api.pods!, coredns] }));
    expect(r.status).toBe('fail');
    expect(r.evidence).toContain('/run/systemd/resolve/resolv.conf: nameserver 10.0.2.3');
    expect(r.steps).toEqual([
      { on: 'n1', run: "echo 'resolvConf: /run/systemd/resolve/resolv.conf' >> '/var/lib/kubelet/config.yaml' && systemctl restart kubelet" },
      { on: 'cluster', run: 'kubectl -n kube-system rollout restart deployment coredns' },
    ]);
  });

  test('dns-resolv: a resolvConf line already there is replaced, not duplicated', () => {
    const host: HostFacts = {
      ...healthyHost,
      kubeletConfig: { failSwapOn: true, resolvConf: '/etc/resolv.conf', path: '/var/lib/kubelet/config.yaml' },
      resolvConfs: { '/etc/resolv.conf': ['127.0.0.53'], '/run/systemd/resolve/resolv.conf': ['10.0.2.3'] },
    };
    expect(evaluateCheck(dnsResolv, facts({ node: node(), host })).steps?.[0].run).toBe(
      "sed -i 's|^resolvConf:.*|resolvConf: /run/systemd/resolve/resolv.conf|' '/var/lib/kubelet/config.yaml' && systemctl restart kubelet",
    );
  });

  test('ipam-leases: counts the reservations no pod holds, and sweeps only leases whose sandbox is gone', async () => {
    const api = flannelApi();
    const web = {
      metadata: { name: 'web-1', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [] },
      status: { phase: 'Running', podIP: '10.244.3.2', podIPs: [{ ip: '10.244.3.2' }] },
    } as V1Pod;
    const r = evaluateCheck(ipamLeases, await hostNode('ipam-leases-exhausted', { ...api, pods: [...api.pods!, web] }));
    expect(r.summary).toBe('host-local has 253 of 253 addresses of 10.244.3.0/24 reserved (100%), 252 by no pod: new pods get "no IP addresses available in range set"');
    expect(r.measures).toEqual({ leases: 253, capacity: 253, leaked: 252 });
    expect(r.steps?.[0].run).toBe(
      `cd '/var/lib/cni/networks/cbr0' && for f in *; do case "$f" in lock|last_reserved_ip*) continue;; esac; id=$(head -n1 "$f" | tr -d '\\r'); crictl pods -q --no-trunc | grep -qx "$id" || rm -v -- "$f"; done`,
    );
  });

  test('network-manager: nm-cloud-setup is disabled (rke2#786); a missing rule gets calico.conf', async () => {
    expect((await one('nm-cloud-setup', calicoApi(), 'network-manager')).steps).toEqual([{ on: 'n1', run: 'systemctl disable --now nm-cloud-setup.service nm-cloud-setup.timer' }]);
    expect((await one('nm-no-unmanaged', calicoApi(), 'network-manager')).steps).toEqual([
      {
        on: 'n1',
        run: "printf '[keyfile]\\nunmanaged-devices=%s\\n' 'interface-name:cali*;interface-name:tunl*;interface-name:vxlan.calico;interface-name:wireguard.cali' > '/etc/NetworkManager/conf.d/calico.conf' && systemctl reload NetworkManager",
      },
    ]);
  });

  test('cidr-overlap: flannel Network 10.0.0.0/16 over VirtualBox NAT 10.0.2.0/24', async () => {
    const r = await one('cidr-overlap-nat', flannelApi(), 'cidr-overlap');
    expect(r.summary).toBe(
      "the pod CIDR (FLANNEL_NETWORK, /run/flannel/subnet.env) 10.0.0.0/16 overlaps the node's own network 10.0.2.0/24 (route on eth0, /proc/net/route): traffic to those addresses goes to the wrong place",
    );
  });

  test('network-manager: a systemd-networkd catch-all .network takes the CNI bridge unless an earlier file marks it unmanaged', () => {
    const nm = (networkd: { file: string; names: string[]; unmanaged: boolean }[]) => ({ running: false, unmanaged: [], networkdRunning: true, networkd });
    const catchAll = { file: '/etc/systemd/network/99-default.network', names: ['*'], unmanaged: false };
    const r = evaluateCheck(networkManager, facts({ node: node(), pods: [cniPod('flannel')], host: { ...healthyHost, networkManager: nm([catchAll]) } }));
    expect(r).toMatchObject({ status: 'warn', summary: "systemd-networkd runs and /etc/systemd/network/99-default.network matches flannel's interfaces: it may reconfigure them" });
    expect(r.steps).toEqual([
      { on: 'n1', run: "printf '[Match]\\nName=%s\\n\\n[Link]\\nUnmanaged=yes\\n' 'flannel* cni0 veth*' > '/etc/systemd/network/00-cni-unmanaged.network' && networkctl reload" },
    ]);
    const guarded = nm([{ file: '/etc/systemd/network/00-cni.network', names: ['flannel*', 'cni0', 'veth*'], unmanaged: true }, catchAll]);
    expect(evaluateCheck(networkManager, facts({ node: node(), pods: [cniPod('flannel')], host: { ...healthyHost, networkManager: guarded } })).status).toBe('ok');
  });

  test('cidr-overlap: IPv6 too — a host /64 on eth0 inside the pod range; a nameserver inside the Service range', () => {
    const n = node({ podCIDR: '10.244.1.0/24' });
    n.spec!.podCIDRs = ['10.244.1.0/24', 'fd00:10:244:1::/64'];
    const v6 = evaluateCheck(
      cidrOverlap,
      facts({
        node: n,
        host: {
          ...healthyHost,
          ipv6Addresses: [
            { iface: 'eth0', cidr: 'fd00:10:244:1:0:0:0:5/64' },
            { iface: 'eth0', cidr: 'fe80:0:0:0:0:0:0:1/64' },
          ],
        },
      }),
    );
    expect(v6.summary).toBe(
      "the podCIDR (node spec) fd00:10:244:1::/64 overlaps the node's own network fd00:10:244:1:0:0:0:5/64 (address on eth0, /proc/net/if_inet6): traffic to those addresses goes to the wrong place",
    );
    const cluster = { controllerManager: { flags: { 'service-cluster-ip-range': '10.96.0.0/12' }, source: 'kube-controller-manager-m01' } };
    const dns = evaluateCheck(cidrOverlap, facts({ node: node({ podCIDR: '10.244.1.0/24' }), cluster, host: { ...healthyHost, resolvConfs: { '/etc/resolv.conf': ['10.96.0.10'] } } }));
    expect(dns).toMatchObject({ status: 'fail', code: 'dns' });
    expect(evaluateCheck(cidrOverlap, facts({ node: node({ podCIDR: '10.244.1.0/24' }), host: healthyHost })).status).toBe('ok');
  });

  test('hairpin: turns hairpin on for the one port that has it off', async () => {
    expect((await one('hairpin-off', flannelApi(), 'hairpin')).steps).toEqual([{ on: 'n1', run: "bridge link set dev 'veth8d02e6c1' hairpin on" }]);
  });

  test('rp-filter: strict all under Cilium is set to 0 in the file that sets it', async () => {
    const r = await one('rp-filter-strict-cilium', ciliumApi(), 'rp-filter');
    expect(r.steps).toEqual([
      { on: 'n1', run: "sysctl -w 'net.ipv4.conf.all.rp_filter=0'" },
      { on: 'n1', run: "sed -i -E 's/^\\s*-?net\\.ipv4\\.conf\\.all\\.rp_filter\\s*=.*/net.ipv4.conf.all.rp_filter = 0/' '/etc/sysctl.d/50-hardening.conf'" },
    ]);
  });

  test('vtep-mac: a MAC that drifted from the annotation fails, with the .link file and a flannel restart', async () => {
    const api = flannelApi();
    api.node!.metadata!.annotations!['flannel.alpha.coreos.com/backend-data'] = '{"VNI":1,"VtepMAC":"3a:7c:95:0e:12:f4"}';
    const r = evaluateCheck(vtepMac, await hostNode('healthy-flannel', api));
    expect(r.summary).toBe("flannel.1's MAC is 6e:1f:2c:8a:4b:d1 but the node publishes VtepMAC 3a:7c:95:0e:12:f4: peers send this node's pod traffic to a MAC it no longer has");
    expect(r.steps).toEqual([
      { on: 'n1', run: "printf '[Match]\\nOriginalName=flannel*\\n\\n[Link]\\nMACAddressPolicy=none\\n' > /etc/systemd/network/50-flannel.link" },
      { on: 'cluster', run: "kubectl -n 'kube-flannel' delete pod 'kube-flannel-ds-abcde'" },
    ]);
    expect(evaluateCheck(vtepMac, facts({ node: node(), pods: [cniPod('calico')], host: healthyHost })).status).toBe('skip');
  });
});

describe('kube-proxy', () => {
  const proxyPod = (ready: boolean) =>
    ({
      metadata: { name: 'kube-proxy-7xq2m', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
      spec: { nodeName: 'n1', containers: [{ name: 'kube-proxy' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        containerStatuses: [{ name: 'kube-proxy', ready, restartCount: ready ? 0 : 7, image: '', imageID: '', state: ready ? { running: {} } : { waiting: { reason: 'CrashLoopBackOff' } } }],
      },
    }) as V1Pod;
  const livez = (status: number) => ({ url: 'http://127.0.0.1:10256/livez', status, lastUpdated: '2026-11-23T11:58:00Z', currentTime: '2026-11-23T12:00:00Z' });

  test('Ready and livez ok: ok, with the sync age', () => {
    const r = evaluateCheck(kubeProxy, facts({ node: node(), pods: [proxyPod(true)], host: { ...healthyHost, kubeProxyLivez: livez(200) } }));
    expect(r).toMatchObject({ status: 'ok', summary: 'kube-proxy kube-system/kube-proxy-7xq2m is Ready, livez ok', measures: { healthy: 1 } });
  });
  test('not Ready: fail, with its log and a restart', () => {
    const r = evaluateCheck(kubeProxy, facts({ node: node(), pods: [proxyPod(false)] }));
    expect(r.status).toBe('fail');
    expect(r.steps).toEqual([
      { on: 'cluster', run: "kubectl -n 'kube-system' logs 'kube-proxy-7xq2m' --tail 50" },
      { on: 'cluster', run: "kubectl -n 'kube-system' delete pod 'kube-proxy-7xq2m'" },
    ]);
  });
  test('Ready but livez 503: not syncing', () => {
    expect(evaluateCheck(kubeProxy, facts({ node: node(), pods: [proxyPod(true)], host: { ...healthyHost, kubeProxyLivez: livez(503) } })).summary).toBe(
      'kube-proxy on this node is not syncing its rules (livez HTTP 503): Service changes do not reach this node',
    );
  });
  test("skip under Cilium's replacement and with no kube-proxy at all; unknown without pods or livez", () => {
    expect(evaluateCheck(kubeProxy, facts({ node: node(), pods: [cniPod('cilium')], host: healthyHost })).code).toBe('replaced');
    expect(evaluateCheck(kubeProxy, facts({ node: node(), pods: [cniPod('flannel')], host: healthyHost })).code).toBe('absent');
    expect(evaluateCheck(kubeProxy, facts({ node: node(), host: healthyHost, unavailable: { pods: 'forbidden' } })).status).toBe('unknown');
  });
  test("livez's Go time format gives the sync age", () => {
    const l = { url: 'http://127.0.0.1:10256/livez', status: 200, lastUpdated: '2026-11-23 11:59:30.123456789 +0000 UTC m=+12.3', currentTime: '2026-11-23 12:00:00.123456789 +0000 UTC m=+42.3' };
    expect(evaluateCheck(kubeProxy, facts({ node: node(), pods: [proxyPod(true)], host: { ...healthyHost, kubeProxyLivez: l } })).evidence).toContain(
      'http://127.0.0.1:10256/livez: HTTP 200, last sync 30s ago',
    );
  });
  test('k3s: no pod, but its embedded kube-proxy answers livez', () => {
    expect(evaluateCheck(kubeProxy, facts({ node: node(), pods: [], host: { ...healthyHost, kubeProxyLivez: livez(200) } })).status).toBe('ok');
  });
});

describe("rates over the agent's own history", () => {
  test('overlay-errors and rp-filter: counters at zero are clean; counters that rose since the previous reading warn', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nc27-history-'));
    try {
      fs.cpSync(path.join(HOSTS, 'healthy-flannel'), dir, { recursive: true });
      const root = await HostRoot.open(dir);
      const first = await hostNode('', flannelApi(), root);
      expect(evaluateCheck(overlayErrors, first).code).toBe('clean'); // counters at zero: nothing ever dropped
      const snmp = path.join(dir, 'proc/net/snmp');
      // 60 more checksum errors (the Udp row's InErrors and InCsumErrors columns), as the offload bug counts them.
      fs.writeFileSync(snmp, fs.readFileSync(snmp, 'utf8').replace(/^(Udp: \d+ \d+) 0 (\d+ 0 0) 0 /m, '$1 60 $2 60 '));
      const netstat = path.join(dir, 'proc/net/netstat');
      const lines = fs.readFileSync(netstat, 'utf8').split('\n');
      const names = lines[0].split(' ');
      const values = lines[1].split(' ');
      values[names.indexOf('IPReversePathFilter')] = '30';
      lines[1] = values.join(' ');
      fs.writeFileSync(netstat, lines.join('\n'));
      const second = await hostNode('', flannelApi(), root);
      const h = second.host!.netCounters!;
      expect(h.previous?.udpInCsumErrors).toBe(0);
      expect(h.now.udpInCsumErrors).toBe(60);
      // Pin the interval: the facts carry both readings' times, the checks divide by them.
      const pinned = { ...second, host: { ...second.host!, netCounters: { ...h, previous: { ...h.previous!, at: h.now.at - 30_000 } } } };
      // Nonzero counters with no history yet: judged from the next reading, not from one.
      expect(evaluateCheck(overlayErrors, { ...second, host: { ...second.host!, netCounters: { now: h.now } } }).code).toBe('firstReading');
      const r = evaluateCheck(overlayErrors, pinned);
      expect(r).toMatchObject({ status: 'warn', measures: { csum: 2, rx: 0 } });
      expect(r.steps).toEqual([
        { on: 'n1', run: "ethtool -K 'flannel.1' tx-checksum-ip-generic off" },
        {
          on: 'n1',
          run: `echo 'SUBSYSTEM=="net", ACTION=="add|change|move", ENV{INTERFACE}=="flannel.1", RUN+="/usr/sbin/ethtool -K %k tx-checksum-ip-generic off"' > '/etc/udev/rules.d/90-flannel.1-checksum.rules'`,
        },
      ]);
      // rp-filter: loose (Ubuntu's 2) is not strict, so drops alone do not warn; strict and dropping does.
      expect(evaluateCheck(rpFilter, pinned).status).toBe('ok');
      const strict = { ...pinned, host: { ...pinned.host, rpFilter: Object.fromEntries(Object.keys(pinned.host.rpFilter!).map((k) => [k, '1'])) } };
      expect(evaluateCheck(rpFilter, strict)).toMatchObject({ status: 'warn', measures: { drops: 1, ok: 0 } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('without the agent', () => {
  test('every node check is unknown (or judged from the API), never fail', () => {
    const r = evaluateNode(facts({ node: node({ podCIDR: '10.244.1.0/24' }), pods: [cniPod('flannel')] }));
    const mine = r.checks.filter((c) =>
      ['cni-plugins', 'kernel-modules', 'dns-resolv', 'ipam-leases', 'network-manager', 'cidr-overlap', 'vtep-mac', 'hairpin', 'rp-filter', 'overlay-errors'].includes(c.id),
    );
    expect(mine.map((c) => c.status)).toEqual(Array(10).fill('unknown'));
    expect(evaluateCheck(cniPlugins, facts({ node: node() })).remedy).toMatch(/install the netcheck agent/);
  });
});
