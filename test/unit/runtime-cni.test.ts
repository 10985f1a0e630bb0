// Where the container runtime reads CNI configs and plugins, as its own config names them. The
// shapes are the platforms' own: OpenShift's /etc/crio/crio.conf.d/00-default (machine-config-
// operator's template: network_dir = "/etc/kubernetes/cni/net.d/", plugin_dirs under /var/lib/cni/bin
// and /usr/libexec/cni), k3s's generated containerd config.toml (conf_dir in its data directory),
// GKE's containerd (bin_dir = "/home/kubernetes/bin", conf_dir = "/etc/cni/net.d").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cniReady } from '../../src/checks/cni-ready';
import { evaluateCheck } from '../../src/engine';
import { readHostFacts } from '../../src/host/readers';
import { HostRoot } from '../../src/host/root';
import { runtimeCni } from '../../src/host/runtime-cni';
import { parseRuntimeCniDirs } from '../../src/parsers/cni-plugins';
import { facts, node } from '../helpers/objects';

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-runtime-cni-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const OPENSHIFT_CRIO = '[crio.network]\n    cni_default_network = ""\n    network_dir = "/etc/kubernetes/cni/net.d/"\n    plugin_dirs = ["/var/lib/cni/bin", "/usr/libexec/cni"]\n';
const MULTUS = JSON.stringify({ cniVersion: '0.3.1', name: 'multus-cni-network', type: 'multus', kubeconfig: '/etc/kubernetes/cni/net.d/multus.d/multus.kubeconfig' });
const K3S_CONTAINERD = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/var/lib/rancher/k3s/data/cni"\n  conf_dir = "/var/lib/rancher/k3s/agent/etc/cni/net.d"\n';
const signal = () => new AbortController().signal;

describe("the runtime's CNI dirs", () => {
  test('conf_dir (containerd) and network_dir (CRI-O) are parsed apart from the bin dirs', () => {
    expect(parseRuntimeCniDirs(K3S_CONTAINERD, 'containerd', 'conf')).toEqual(['/var/lib/rancher/k3s/agent/etc/cni/net.d']);
    expect(parseRuntimeCniDirs(K3S_CONTAINERD, 'containerd')).toEqual(['/var/lib/rancher/k3s/data/cni']);
    expect(parseRuntimeCniDirs(OPENSHIFT_CRIO, 'crio', 'conf')).toEqual(['/etc/kubernetes/cni/net.d']);
    expect(parseRuntimeCniDirs(OPENSHIFT_CRIO, 'crio')).toEqual(['/var/lib/cni/bin', '/usr/libexec/cni']);
    // Another table's conf_dir is not the CNI's; "/" names nothing.
    expect(parseRuntimeCniDirs('[plugins."io.containerd.grpc.v1.cri".registry]\n  conf_dir = "/x"\n[plugins."io.containerd.grpc.v1.cri".cni]\n  conf_dir = "/"\n', 'containerd', 'conf')).toEqual([]);
  });

  test("OpenShift: CRI-O's drop-in (no .conf suffix) names /etc/kubernetes/cni/net.d; the checks read Multus's config there", async () => {
    const root = tree({ 'etc/crio/crio.conf.d/00-default': OPENSHIFT_CRIO, 'etc/kubernetes/cni/net.d/00-multus.conf': MULTUS });
    expect((await runtimeCni(await HostRoot.open(root), signal())).conf).toEqual({ dir: '/etc/kubernetes/cni/net.d', source: '/etc/crio/crio.conf.d/00-default' });
    const { host } = await readHostFacts({ root: await HostRoot.open(root), factTimeoutMs: 2000 });
    expect(host).toMatchObject({ cniConfigDir: '/etc/kubernetes/cni/net.d', cniConfigFiles: ['00-multus.conf'], cniConfig: { file: '/etc/kubernetes/cni/net.d/00-multus.conf' } });
    // No /etc/cni/net.d on this host: that is not "no CNI config".
    const r = evaluateCheck(cniReady, facts({ node: node(), pods: [], host }));
    expect(r.status).not.toBe('fail');
    expect(r.evidence).toContain('/etc/kubernetes/cni/net.d: 00-multus.conf');
  });

  test('k3s with its data directory mounted: its conf_dir is read, and an empty one is a failure there', async () => {
    const root = tree({ 'var/lib/rancher/k3s/agent/etc/containerd/config.toml': K3S_CONTAINERD, 'var/lib/rancher/k3s/agent/etc/cni/net.d/.keep': '' });
    const { host } = await readHostFacts({ root: await HostRoot.open(root), factTimeoutMs: 2000 });
    expect(host).toMatchObject({ cniConfigDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniConfigFiles: [] });
    expect(evaluateCheck(cniReady, facts({ node: node(), pods: [], host })).summary).toBe('no CNI config in /var/lib/rancher/k3s/agent/etc/cni/net.d');
  });

  test("k3s with deploy/components/k3s (its CNI dirs mounted, not its containerd config): k3s's dirs are read", async () => {
    const conflist = JSON.stringify({ name: 'cbr0', cniVersion: '1.0.0', plugins: [{ type: 'flannel', delegate: { hairpinMode: true } }, { type: 'portmap' }] });
    const root = tree({
      'etc/rancher/node/password': 'x\n',
      'var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist': conflist,
      'var/lib/rancher/k3s/data/current/bin/flannel': '',
      'var/lib/rancher/k3s/data/current/bin/portmap': '',
      'var/lib/rancher/k3s/data/current/bin/bridge': '',
      'var/lib/rancher/k3s/data/current/bin/host-local': '',
    });
    const { host } = await readHostFacts({ root: await HostRoot.open(root), factTimeoutMs: 2000 });
    expect(host).toMatchObject({ cniConfigDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniConfigFiles: ['10-flannel.conflist'] });
    expect(host.cniBin?.dirs).toEqual([{ dir: '/var/lib/rancher/k3s/data/current/bin', source: 'k3s', binaries: ['bridge', 'flannel', 'host-local', 'portmap'] }]);
  });

  test('a config dir a runtime config names outside /etc, not mounted: not visible, and no failure', async () => {
    const root = tree({ 'etc/containerd/config.toml': 'version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\n  conf_dir = "/var/lib/acme/cni/net.d"\n' });
    const { host, unavailable } = await readHostFacts({ root: await HostRoot.open(root), factTimeoutMs: 2000 });
    expect(host.cniConfigFiles).toBeUndefined();
    expect(unavailable.cniConfigFiles).toMatch(/\/var\/lib\/acme\/cni\/net\.d \(the CNI config dir \/etc\/containerd\/config\.toml names\) is not visible to the agent/);
    const r = evaluateCheck(cniReady, facts({ node: node(), pods: [], host, unavailable }));
    expect(r.status).not.toBe('fail');
    expect(r.evidence.join('\n')).toMatch(/is not visible to the agent/);
  });

  test('no runtime config visible: /etc/cni/net.d, the default', async () => {
    const root = tree({ 'etc/cni/net.d/10-flannel.conflist': JSON.stringify({ name: 'cbr0', cniVersion: '0.3.1', plugins: [{ type: 'flannel' }] }) });
    const { host } = await readHostFacts({ root: await HostRoot.open(root), factTimeoutMs: 2000 });
    expect(host).toMatchObject({ cniConfigDir: '/etc/cni/net.d', cniConfigFiles: ['10-flannel.conflist'] });
  });
});
