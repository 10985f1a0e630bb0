import { cniReady } from '../../src/checks/cni-ready';
import { kubeletReady } from '../../src/checks/kubelet-ready';
import { evaluateCheck } from '../../src/engine';
import { cniPod, event, facts, healthyHost, node } from '../helpers/objects';

describe('kubelet-ready', () => {
  test('ok when Ready with a fresh heartbeat', () => {
    expect(evaluateCheck(kubeletReady, facts({ node: node() }))).toMatchObject({ status: 'ok', summary: 'kubelet is Ready and posting status' });
    expect(evaluateCheck(kubeletReady, facts({ node: node() })).evidence[0]).toMatch(/last heartbeat 10s ago/);
  });

  test('fails when the kubelet stopped posting status, and says a CNI condition may be stale', () => {
    const result = evaluateCheck(kubeletReady, facts({ node: node({ ready: 'Unknown', heartbeatAgo: 7 * 86400 }) }));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe('kubelet stopped posting node status (last heartbeat 2026-11-16T12:00:00Z)');
    expect(result.evidence[0]).toMatch(/last heartbeat 7d ago/);
    expect(result.evidence.join('\n')).toMatch(/NetworkUnavailable=False \(FlannelIsUp\).*may be stale/);
    expect(result.steps?.map((s) => s.run)).toContain("journalctl -u kubelet --no-pager | grep -m1 'swap on is not supported'");
  });

  test('names swap as the cause when the host shows it on and the kubelet refuses it', () => {
    const host = { ...healthyHost, swaps: [{ filename: '/dev/sda3', type: 'partition', sizeKiB: 27992060 }] };
    const result = evaluateCheck(kubeletReady, facts({ node: node({ ready: 'Unknown' }), host }));
    expect(result).toMatchObject({ status: 'fail', summary: 'kubelet stopped posting node status: it refuses to start with swap on' });
  });

  test('only warns when NotReady comes from the network plugin', () => {
    const result = evaluateCheck(kubeletReady, facts({ node: node({ ready: 'False', readyMessage: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady' }) }));
    expect(result.status).toBe('warn');
  });

  test('unknown when the node could not be read', () => {
    expect(evaluateCheck(kubeletReady, facts({ unavailable: { node: 'forbidden' } })).status).toBe('unknown');
  });
});

describe('cni-ready', () => {
  test('ok when the CNI pod is Ready and the config exists', () => {
    const result = evaluateCheck(cniReady, facts({ node: node(), pods: [cniPod('flannel')], host: healthyHost }));
    expect(result).toMatchObject({ status: 'ok', summary: 'flannel is ready' });
  });

  test('names an unreachable API service (seed 000) as the cause of a crash-looping flannel', () => {
    const log = 'E0118 03:32:44.521067       1 main.go:232] Failed to create SubnetManager: ... dial tcp 10.96.0.1:443: connect: network is unreachable';
    const result = evaluateCheck(
      cniReady,
      facts({ node: node(), pods: [cniPod('flannel', { ready: false, waiting: 'CrashLoopBackOff', restarts: 5 })], cniLogs: { 'kube-flannel/kube-flannel-ds-abcde': log } }),
    );
    expect(result.status).toBe('fail');
    expect(result.summary).toMatch(/cannot reach the API service 10\.96\.0\.1:443/);
    expect(result.steps).toContainEqual({ on: 'cluster', run: "kubectl -n 'kube-flannel' delete pod 'kube-flannel-ds-abcde'" });
  });

  test('a timeout to the API service points at kube-proxy or a firewall, not at routing', () => {
    const log = 'E0301 10:00:00.000000       1 main.go:232] Failed to create SubnetManager: error retrieving pod spec: dial tcp 10.96.0.1:443: i/o timeout';
    const result = evaluateCheck(cniReady, facts({ node: node(), pods: [cniPod('flannel', { ready: false, waiting: 'CrashLoopBackOff' })], cniLogs: { 'kube-flannel/kube-flannel-ds-abcde': log } }));
    expect(result.summary).toBe('flannel gets no answer from the API service 10.96.0.1:443: a route exists but packets are dropped (kube-proxy rules or a host firewall)');
  });

  test('flannel refusing a podCIDR outside its Network is named', () => {
    const log =
      'E0301 10:00:00.000000       1 main.go:330] Error registering network: failed to acquire lease: subnet "10.244.0.0/16" specified in the flannel net config doesn\'t contain "10.96.5.0/24" PodCIDR of the "w1" node';
    const result = evaluateCheck(cniReady, facts({ node: node(), pods: [cniPod('flannel', { ready: false, waiting: 'CrashLoopBackOff' })], cniLogs: { 'kube-flannel/kube-flannel-ds-abcde': log } }));
    expect(result.summary).toBe("flannel rejects the node's podCIDR: its Network does not contain it");
  });

  test('fails with no CNI pod and an empty /etc/cni/net.d', () => {
    const result = evaluateCheck(cniReady, facts({ node: node(), pods: [], host: { ...healthyHost, cniConfigFiles: [] } }));
    expect(result.status).toBe('fail');
    // No pod to judge, but an empty /etc/cni/net.d is a failure whatever the CNI.
    expect(result.summary).toBe('no CNI config in /etc/cni/net.d');
  });

  test('a not-Ready calico-node with BGP readiness failures points at BGP', () => {
    const pod = cniPod('calico', { ready: false });
    const events = [
      event({ namespace: 'kube-system', name: 'calico-node-abcde' }, 'Unhealthy', 'Readiness probe failed: calico/node is not ready: BIRD is not ready: BGP not established with 10.0.0.66', 40),
    ];
    const result = evaluateCheck(cniReady, facts({ node: node(), pods: [pod], events }));
    expect(result).toMatchObject({ status: 'fail', summary: 'calico is not ready: BGP not established with 10.0.0.66' });
  });
});
