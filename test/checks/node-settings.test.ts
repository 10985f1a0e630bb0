// The host checks beyond the seeds: forwarding, bridge netfilter, conntrack, MTU.
import { bridgeNetfilter } from '../../src/checks/bridge-netfilter';
import { conntrack } from '../../src/checks/conntrack';
import { ipForward } from '../../src/checks/ip-forward';
import { mtu } from '../../src/checks/mtu';
import type { HostFacts } from '../../src/core/facts';
import { evaluateCheck } from '../../src/engine';
import { cniPod, facts, healthyHost, node } from '../helpers/objects';

const flannel = (host: HostFacts, podCIDR = '10.244.1.0/24') => facts({ node: node({ podCIDR }), pods: [cniPod('flannel')], host });
const sysctls = (set: Record<string, string | null>) => ({ ...healthyHost.sysctls, ...set });

describe('ip-forward', () => {
  test('ok when on', () => {
    expect(evaluateCheck(ipForward, flannel(healthyHost))).toMatchObject({ status: 'ok', summary: 'net.ipv4.ip_forward on' });
  });
  test('off and set to 0 by a sysctl.d file: the fix edits that file, so it stays on after a reboot', () => {
    const host = { ...healthyHost, sysctls: sysctls({ 'net.ipv4.ip_forward': '0' }), sysctlFiles: { 'net.ipv4.ip_forward': [{ file: '/etc/sysctl.d/99-hardening.conf', value: '0' }] } };
    const result = evaluateCheck(ipForward, flannel(host));
    expect(result.status).toBe('fail');
    expect(result.evidence).toContain('net.ipv4.ip_forward = 0 (/etc/sysctl.d/99-hardening.conf sets it to 0 at boot)');
    expect(result.remedy).toBe("On n1: sysctl -w net.ipv4.ip_forward=1 && sed -i -E 's/^\\s*-?net\\.ipv4\\.ip_forward\\s*=.*/net.ipv4.ip_forward = 1/' /etc/sysctl.d/99-hardening.conf");
  });
  test('off and set by no file: the fix writes a file of its own', () => {
    const result = evaluateCheck(ipForward, flannel({ ...healthyHost, sysctls: sysctls({ 'net.ipv4.ip_forward': '0' }) }));
    expect(result.remedy).toBe("On n1: sysctl -w net.ipv4.ip_forward=1 && echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-kubernetes-ip-forward.conf");
  });
  test('off although the files turn it on: the fix says something turns it off after boot', () => {
    const host = { ...healthyHost, sysctls: sysctls({ 'net.ipv4.ip_forward': '0' }), sysctlFiles: { 'net.ipv4.ip_forward': [{ file: '/etc/sysctl.d/k8s.conf', value: '1' }] } };
    expect(evaluateCheck(ipForward, flannel(host)).remedy).toMatch(
      /^On n1: sysctl -w net\.ipv4\.ip_forward=1; \/etc\/sysctl\.d\/k8s\.conf already sets it at boot, so something turns it off later: grep -rn/,
    );
  });
  test('IPv6 forwarding counts only on a dual-stack node', () => {
    const host = { ...healthyHost, sysctls: sysctls({ 'net.ipv6.conf.all.forwarding': '0' }) };
    expect(evaluateCheck(ipForward, flannel(host)).status).toBe('ok');
    const dual = facts({ node: { ...node(), spec: { podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] } }, pods: [cniPod('flannel')], host });
    expect(evaluateCheck(ipForward, dual)).toMatchObject({ status: 'fail', summary: 'net.ipv6.conf.all.forwarding off: this node does not forward pod traffic' });
  });
  test('unknown when the host cannot be read, or is not seen at all', () => {
    expect(evaluateCheck(ipForward, flannel({ ...healthyHost, sysctls: sysctls({ 'net.ipv4.ip_forward': null }) })).status).toBe('unknown');
    const noAgent = evaluateCheck(ipForward, facts({ node: node(), pods: [cniPod('flannel')] }));
    expect(noAgent).toMatchObject({ status: 'unknown', summary: 'ip_forward is not visible through the API' });
  });
});

describe('bridge-netfilter', () => {
  test('ok on a bridge CNI with bridge-nf-call-iptables on', () => {
    expect(evaluateCheck(bridgeNetfilter, flannel(healthyHost)).status).toBe('ok');
  });
  test('br_netfilter not loaded and not loaded at boot: load it now and at boot, then set the sysctl', () => {
    const host = { ...healthyHost, sysctls: sysctls({ 'net.bridge.bridge-nf-call-iptables': null }), modulesLoad: [] };
    const result = evaluateCheck(bridgeNetfilter, flannel(host));
    expect(result.status).toBe('fail');
    expect(result.summary).toMatch(/^br_netfilter is not loaded/);
    expect(result.remedy).toBe(
      "On n1: modprobe br_netfilter && echo br_netfilter > /etc/modules-load.d/br_netfilter.conf; then sysctl -w net.bridge.bridge-nf-call-iptables=1 && echo 'net.bridge.bridge-nf-call-iptables = 1' > /etc/sysctl.d/90-kubernetes-bridge-netfilter.conf",
    );
  });
  test('a module already listed for boot is not written again', () => {
    const host = { ...healthyHost, sysctls: sysctls({ 'net.bridge.bridge-nf-call-iptables': null }) };
    const result = evaluateCheck(bridgeNetfilter, flannel(host));
    expect(result.remedy).toMatch(/^On n1: modprobe br_netfilter; then sysctl -w/);
    expect(result.evidence).toContain('br_netfilter is loaded at boot by /etc/modules-load.d/k8s.conf');
  });
  test('loaded but the sysctl is 0', () => {
    const result = evaluateCheck(bridgeNetfilter, flannel({ ...healthyHost, sysctls: sysctls({ 'net.bridge.bridge-nf-call-iptables': '0' }) }));
    expect(result).toMatchObject({
      status: 'fail',
      remedy: "On n1: sysctl -w net.bridge.bridge-nf-call-iptables=1 && echo 'net.bridge.bridge-nf-call-iptables = 1' > /etc/sysctl.d/90-kubernetes-bridge-netfilter.conf",
    });
  });
  test('skip where pods attach without a bridge (Calico, Cilium)', () => {
    const host = {
      ...healthyHost,
      cniConfig: { file: '/etc/cni/net.d/10-calico.conflist', types: ['calico', 'bandwidth', 'portmap'], bridge: false },
      sysctls: sysctls({ 'net.bridge.bridge-nf-call-iptables': null }),
    };
    const result = evaluateCheck(bridgeNetfilter, facts({ node: node(), pods: [cniPod('calico')], host }));
    expect(result).toMatchObject({ status: 'skip', summary: 'calico attaches pods without a Linux bridge' });
    expect(evaluateCheck(bridgeNetfilter, facts({ node: node(), pods: [cniPod('cilium')] })).status).toBe('skip');
  });
});

describe('conntrack', () => {
  const table = (count: number, max: number) => flannel({ ...healthyHost, sysctls: sysctls({ 'net.netfilter.nf_conntrack_count': String(count), 'net.netfilter.nf_conntrack_max': String(max) }) });
  test.each([
    [1000, 10000, 'ok'],
    [7499, 10000, 'ok'],
    [7500, 10000, 'warn'],
    [8999, 10000, 'warn'],
    [9000, 10000, 'fail'],
    [10000, 10000, 'fail'],
  ])('%i of %i entries: %s', (count, max, status) => {
    expect(evaluateCheck(conntrack, table(count, max)).status).toBe(status);
  });
  test('a full table: the fix doubles the limit now and at boot, says kube-proxy resets it, and finds the top talkers', () => {
    const result = evaluateCheck(conntrack, table(249037, 262144));
    expect(result.summary).toBe('the conntrack table is 95% full (249037 of 262144): new connections are being dropped or soon will be');
    expect(result.remedy).toMatch(
      /^On n1: sysctl -w net\.netfilter\.nf_conntrack_max=524288 && echo 'net\.netfilter\.nf_conntrack_max = 524288' > \/etc\/sysctl\.d\/90-kubernetes-conntrack\.conf\. kube-proxy sets the limit again/,
    );
    expect(result.remedy).toMatch(/conntrack -L/);
  });
  test('skip where nf_conntrack is not loaded; unknown on nonsense', () => {
    expect(evaluateCheck(conntrack, flannel({ ...healthyHost, sysctls: sysctls({ 'net.netfilter.nf_conntrack_count': null, 'net.netfilter.nf_conntrack_max': null }) })).status).toBe('skip');
    expect(evaluateCheck(conntrack, flannel({ ...healthyHost, sysctls: sysctls({ 'net.netfilter.nf_conntrack_max': 'lots' }) })).status).toBe('unknown');
    expect(evaluateCheck(conntrack, flannel({ ...healthyHost, sysctls: sysctls({ 'net.netfilter.nf_conntrack_max': '0' }) })).status).toBe('unknown');
  });
});

describe('mtu', () => {
  test('flannel VXLAN: FLANNEL_MTU + 50 fits the default route NIC', () => {
    const result = evaluateCheck(mtu, flannel(healthyHost));
    expect(result).toMatchObject({ status: 'ok', summary: 'pod MTU 1450 + VXLAN 50 fits eth0 (MTU 1500)' });
  });
  test('flannel VXLAN over a smaller NIC: fails, and the fix names the MTU that fits', () => {
    const host = { ...healthyHost, mtus: { ...healthyHost.mtus, eth0: 1400 } };
    const result = evaluateCheck(mtu, flannel(host));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe("pod MTU 1450 + VXLAN 50 = 1500 exceeds eth0's MTU 1400: pod packets between nodes over 1350 bytes are dropped");
    expect(result.remedy).toMatch(
      /^flanneld derives FLANNEL_MTU from eth0's MTU when it starts: restart it on n1 \(kubectl -n kube-flannel delete pod kube-flannel-ds-abcde\) and it writes FLANNEL_MTU=1350\./,
    );
    expect(result.remedy).toMatch(/kubectl drain n1 --ignore-daemonsets --delete-emptydir-data && kubectl uncordon n1/);
  });
  const calicoHost = (mtuSet: number, nic: number): HostFacts => ({
    ...healthyHost,
    subnetEnv: null,
    cniConfig: { file: '/etc/cni/net.d/10-calico.conflist', types: ['calico', 'portmap'], bridge: false, mtu: mtuSet },
    mtus: { lo: 65536, eth0: nic, tunl0: 1480 },
  });
  test('Calico IPIP (manifest install): FelixConfiguration ipipMTU and the calico-config veth_mtu', () => {
    const result = evaluateCheck(mtu, facts({ node: node(), pods: [cniPod('calico')], host: calicoHost(1480, 1450) }));
    expect(result.status).toBe('fail');
    expect(result.remedy).toMatch(
      /^kubectl patch felixconfiguration default --type merge -p '\{"spec":\{"ipipMTU":1430\}\}' && kubectl -n kube-system patch configmap calico-config -p '\{"data":\{"veth_mtu":"1430"\}\}'/,
    );
  });
  test('Calico installed by the operator: patch the Installation', () => {
    const result = evaluateCheck(mtu, facts({ node: node(), pods: [cniPod('calico', { namespace: 'calico-system' })], host: calicoHost(1480, 1450) }));
    expect(result.remedy).toMatch(/^kubectl patch installation default --type merge -p '\{"spec":\{"calicoNetwork":\{"mtu":1430\}\}\}'/);
  });
  test('Calico with IPIP off: no encapsulation, nothing to fit', () => {
    const result = evaluateCheck(mtu, facts({ node: node(), pods: [cniPod('calico', { env: { CALICO_IPV4POOL_IPIP: 'Never' } })], host: calicoHost(1500, 1500) }));
    expect(result).toMatchObject({ status: 'skip', summary: 'no encapsulation: calico routes pod traffic as it is' });
  });
  test('Cilium VXLAN: the fix patches cilium-config', () => {
    const host = {
      ...healthyHost,
      subnetEnv: null,
      cniConfig: { file: '/etc/cni/net.d/05-cilium.conflist', types: ['cilium-cni'], bridge: false },
      mtus: { lo: 65536, eth0: 1450, cilium_host: 1500, cilium_vxlan: 1500 },
    };
    const result = evaluateCheck(mtu, facts({ node: node(), pods: [cniPod('cilium')], host }));
    expect(result.summary).toBe("pod MTU 1500 + VXLAN 50 = 1550 exceeds eth0's MTU 1450: pod packets between nodes over 1400 bytes are dropped");
    expect(result.remedy).toMatch(/^kubectl -n kube-system patch configmap cilium-config -p '\{"data":\{"mtu":"1400"\}\}' && kubectl -n kube-system rollout restart daemonset\/cilium\./);
  });
  test('flannel whose overlay is not up yet: nothing to measure (cni-ready says why)', () => {
    const host = { ...healthyHost, subnetEnv: null, mtus: { lo: 65536, eth0: 1500 } };
    const result = evaluateCheck(mtu, facts({ node: node(), pods: [cniPod('flannel')], host, cluster: { flannel: { backend: 'vxlan', source: 'kube-flannel/kube-flannel-cfg' } } }));
    expect(result).toMatchObject({ status: 'skip', summary: 'no flannel.1 yet: nothing to measure until flannel is up (see cni-ready)' });
  });
  test('unknown when the MTUs were not read', () => {
    expect(evaluateCheck(mtu, flannel({ ...healthyHost, mtus: undefined })).status).toBe('unknown');
  });
});
