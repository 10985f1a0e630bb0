// The kubelet's config as the kubelet applies it: --config, then --config-dir's *.conf drop-ins in
// lexical order (Kubernetes docs, "Set Kubelet Parameters Via A Configuration File": drop-in
// directory), each overriding the fields it sets.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CoreV1Event } from '@kubernetes/client-node';
import { eventsAbout } from '../../src/gather/shared';
import { KubeletConfigLocator } from '../../src/host/kubelet-config-path';
import { readHostFacts } from '../../src/host/readers';
import { HostRoot } from '../../src/host/root';
import { mergeKubeletConfig } from '../../src/parsers/kubelet-config';

const KC = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-kubelet-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describe('kubelet drop-ins', () => {
  test('a later drop-in wins; fields a drop-in does not set stay as the files before it set them', () => {
    const merged = mergeKubeletConfig(`${KC}failSwapOn: true\nmemorySwap: {swapBehavior: LimitedSwap}\n`, [
      { file: '/etc/kubernetes/kubelet.conf.d/90-late.conf', text: `${KC}failSwapOn: true\n` },
      { file: '/etc/kubernetes/kubelet.conf.d/20-swap.conf', text: `${KC}failSwapOn: false\n` },
    ]);
    expect(merged).toEqual({ failSwapOn: true, swapBehavior: 'LimitedSwap', setBy: { failSwapOn: '/etc/kubernetes/kubelet.conf.d/90-late.conf' } });
  });

  test("read from the host: the drop-in's failSwapOn: false is the kubelet's, and the evidence names it", async () => {
    const root = tree({
      'var/lib/kubelet/config.yaml': `${KC}failSwapOn: true\n`,
      'etc/kubernetes/kubelet.conf.d/20-swap.conf': `${KC}failSwapOn: false\n`,
      'etc/kubernetes/kubelet.conf.d/README': 'not a .conf: ignored, as the kubelet ignores it\nfailSwapOn: true\n',
    });
    const { host } = await readHostFacts({ root: await HostRoot.open(root), factTimeoutMs: 2000 });
    expect(host.kubeletConfig).toEqual({ failSwapOn: false, path: '/var/lib/kubelet/config.yaml with drop-in /etc/kubernetes/kubelet.conf.d/20-swap.conf' });
  });

  test("the kubelet's --config-dir from its command line; without the flag there, no drop-ins", async () => {
    const root = tree({
      'proc/4242/comm': 'kubelet\n',
      'proc/4242/cmdline': ['/usr/bin/kubelet', '--config=/etc/k0s/kubelet.yaml', '--config-dir', '/etc/k0s/kubelet.d'].join('\0'),
      'proc/77/comm': 'sshd\n',
    });
    const locator = new KubeletConfigLocator(await HostRoot.open(root));
    expect(await locator.path()).toBe('etc/k0s/kubelet.yaml');
    expect(await locator.configDir()).toBe('etc/k0s/kubelet.d');
    const plain = tree({ 'proc/4242/comm': 'kubelet\n', 'proc/4242/cmdline': ['/usr/bin/kubelet', '--config=/var/lib/kubelet/config.yaml'].join('\0') });
    expect(await new KubeletConfigLocator(await HostRoot.open(plain)).configDir()).toBeUndefined();
    // No kubelet process visible (no hostPID): kubeadm's directory.
    expect(await new KubeletConfigLocator(await HostRoot.open(tree({ 'proc/1/comm': 'init\n' }))).configDir()).toBe('etc/kubernetes/kubelet.conf.d');
  });
});

test("the node's events newest first, whatever order the API listed them in", () => {
  const ev = (name: string, t: string): CoreV1Event => ({ metadata: { name }, involvedObject: { kind: 'Node', name: 'n1' }, lastTimestamp: new Date(t), type: 'Warning' }) as CoreV1Event;
  const events = [
    ev('a', '2026-11-23T10:00:00Z'),
    ev('b', '2026-11-23T12:00:00Z'),
    ev('c', '2026-11-23T11:00:00Z'),
    { ...ev('other', '2026-11-23T13:00:00Z'), involvedObject: { kind: 'Node', name: 'n2' } },
  ];
  expect(eventsAbout(events, 'n1', []).map((e) => e.metadata.name)).toEqual(['b', 'c', 'a']);
});
