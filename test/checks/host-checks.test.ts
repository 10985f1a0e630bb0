import fc from 'fast-check';
import { bgpEstablished } from '../../src/checks/bgp-established';
import { defaultRoute } from '../../src/checks/default-route';
import { flannelSubnetEnv } from '../../src/checks/flannel-subnet-env';
import { swap } from '../../src/checks/swap';
import { evaluateCheck } from '../../src/engine';
import { cniPod, event, facts, healthyHost, node } from '../helpers/objects';

const flannelNode = () => ({ node: node({ podCIDR: '10.244.1.0/24' }), pods: [cniPod('flannel')] });

describe('flannel-subnet-env', () => {
  test('ok when present and inside the podCIDR', () => {
    expect(evaluateCheck(flannelSubnetEnv, facts({ ...flannelNode(), host: healthyHost })).status).toBe('ok');
  });
  test('fails when the host has no file', () => {
    const result = evaluateCheck(flannelSubnetEnv, facts({ ...flannelNode(), host: { ...healthyHost, subnetEnv: null } }));
    expect(result).toMatchObject({ status: 'fail', summary: '/run/flannel/subnet.env is missing' });
  });
  test('fails when stale: FLANNEL_SUBNET outside the podCIDR', () => {
    const host = { ...healthyHost, subnetEnv: { network: '10.244.0.0/16', subnet: '10.244.9.1/24' } };
    expect(evaluateCheck(flannelSubnetEnv, facts({ ...flannelNode(), host })).summary).toMatch(/stale: FLANNEL_SUBNET 10\.244\.9\.1\/24 is not inside the node's podCIDR 10\.244\.1\.0\/24/);
  });
  test('without an agent, infers missing from sandbox failures', () => {
    const events = [event({ namespace: 'default', name: 'web-1' }, 'FailedCreatePodSandBox', 'network: open /run/flannel/subnet.env: no such file or directory', 12)];
    expect(evaluateCheck(flannelSubnetEnv, facts({ ...flannelNode(), events })).status).toBe('fail');
  });
  test('skip on a Calico node', () => {
    expect(evaluateCheck(flannelSubnetEnv, facts({ node: node(), pods: [cniPod('calico')] })).status).toBe('skip');
  });
});

describe('bgp-established', () => {
  const calico = () => ({ node: node({ ip: '172.17.73.65' }), pods: [cniPod('calico')] });
  test('counts sessions from BIRD and names the peer that is down, with its node', () => {
    const host = {
      ...healthyHost,
      bgpSessions: [
        { name: 'Mesh_172_17_73_60', state: 'Established', neighbor: '172.17.73.60' },
        { name: 'Mesh_10_0_0_66', state: 'Active', neighbor: '10.0.0.66', lastError: 'Socket: Connection refused' },
      ],
    };
    const cluster = { peers: [{ name: 'k8smater1', internalIP: '172.17.73.66', podCIDRs: [], cniAddress: '10.0.0.66' }] };
    const result = evaluateCheck(bgpEstablished, facts({ ...calico(), host, cluster }));
    // Calico's readiness fails when any peer is down; so does the check (the API view says the same).
    expect(result.status).toBe('fail');
    expect(result.summary).toBe("BGP not established with 10.0.0.66 (node k8smater1's Calico address; its InternalIP is 172.17.73.66)");
    expect(result.evidence[0]).toBe('BIRD (host): 1 of 2 BGP sessions Established');
    expect(result.evidence.join('\n')).toMatch(/node k8smater1's Calico address; its InternalIP is 172\.17\.73\.66/);
  });
  test('fails when no session is Established', () => {
    const host = { ...healthyHost, bgpSessions: [{ name: 'Mesh_a', state: 'Connect', neighbor: '172.17.73.66' }] };
    expect(evaluateCheck(bgpEstablished, facts({ ...calico(), host })).status).toBe('fail');
  });
  test('skip on flannel, and on Calico without BGP', () => {
    expect(evaluateCheck(bgpEstablished, facts({ node: node(), pods: [cniPod('flannel')] })).status).toBe('skip');
    expect(evaluateCheck(bgpEstablished, facts({ node: node(), pods: [cniPod('calico', { env: { CALICO_NETWORKING_BACKEND: 'vxlan' } })] })).status).toBe('skip');
  });
});

describe('swap', () => {
  const on = [{ filename: '/dev/sda3', type: 'partition', sizeKiB: 2 * 1024 * 1024 }];
  test('fails when on and the kubelet refuses it', () => {
    const result = evaluateCheck(swap, facts({ node: node(), host: { ...healthyHost, swaps: on } }));
    expect(result.status).toBe('fail');
    // The kubelet is Ready (it checks swap only when it starts): a latent failure, no restart.
    expect(result.code).toBe('refusedAtRestart');
    expect(result.steps?.map((s) => s.run)).toEqual(['swapoff -a', "systemctl mask 'dev-sda3.swap'"]);
    const down = evaluateCheck(swap, facts({ node: node({ ready: 'Unknown', heartbeatAgo: 600 }), host: { ...healthyHost, swaps: on } }));
    expect(down.code).toBe('refused');
    expect(down.steps?.map((s) => s.run)).toEqual(['swapoff -a', 'systemctl is-active --quiet kubelet || systemctl restart kubelet', "systemctl mask 'dev-sda3.swap'"]);
  });
  test('warns when tolerated by failSwapOn: false', () => {
    expect(evaluateCheck(swap, facts({ host: { ...healthyHost, swaps: on, kubeletConfig: { failSwapOn: false } } })).status).toBe('warn');
  });
  test('warns when off but fstab brings it back at reboot', () => {
    expect(evaluateCheck(swap, facts({ host: { ...healthyHost, fstabSwaps: ['/dev/sda3'] } })).summary).toMatch(/next reboot/);
  });
  test('unknown without the agent', () => {
    expect(evaluateCheck(swap, facts({ node: node() })).status).toBe('unknown');
  });
});

describe('default-route', () => {
  test('ok with a default route on an up interface', () => {
    expect(evaluateCheck(defaultRoute, facts({ node: node(), host: healthyHost }))).toMatchObject({ status: 'ok', summary: 'default via 192.168.1.1 dev eth0' });
  });
  test('fails and names the down NIC when the default route is gone (seed 001)', () => {
    const host = { ...healthyHost, routes: healthyHost.routes!.filter((r) => r.prefix !== 0), interfaces: { lo: 'unknown', eth0: 'up', wlan0: 'down', docker0: 'down' } };
    expect(evaluateCheck(defaultRoute, facts({ node: node(), host }))).toMatchObject({ status: 'fail', summary: 'no default route; wlan0 is down' });
  });
  test('fails when the InternalIP interface is down', () => {
    const host = { ...healthyHost, interfaces: { eth0: 'down' } };
    expect(evaluateCheck(defaultRoute, facts({ node: node(), host })).summary).toMatch(/eth0, the interface of the node's InternalIP, is down/);
  });
  test('without an agent, reads "Unable to find default route" from the flannel log', () => {
    const cniLogs = { 'kube-flannel/x': 'E0827 09:48:41.912029 1 main.go:205] Failed to find any valid interface to use: failed to get default interface: Unable to find default route' };
    expect(evaluateCheck(defaultRoute, facts({ node: node(), cniLogs })).status).toBe('fail');
  });
});

describe('bgp-established: the API and the agent tell the same story', () => {
  const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map((o) => o.join('.'));
  const timestamp = fc
    .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
    .map((d) => `${d.toISOString().replace('T', ' ').slice(0, 23)} [INFO][17547] health.go 156: Overall health status changed`);

  test('any peers, any of them down, with or without a log line run into the list: same status and summary', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(ipv4, { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        fc.array(fc.constantFrom('internal', 'calico', 'stranger'), { minLength: 6, maxLength: 6 }),
        fc.option(timestamp, { nil: undefined }),
        (addresses, upFlags, owners, gluedLog) => {
          const down = addresses.filter((_, i) => !upFlags[i]);
          fc.pre(down.length > 0);
          const peers = addresses.flatMap((a, i) =>
            owners[i] === 'stranger' ? [] : [{ name: `peer${i}`, internalIP: owners[i] === 'internal' ? a : `192.0.2.${i + 1}`, podCIDRs: [], cniAddress: owners[i] === 'calico' ? a : undefined }],
          );
          const cluster = { peers };
          const base = { node: node({ ip: '172.31.255.1' }), pods: [cniPod('calico', { ready: false })], cluster };
          const message = `Readiness probe failed: calico/node is not ready: BIRD is not ready: BGP not established with ${down.join(',')}${gluedLog ?? ''}`;
          const fromApi = evaluateCheck(bgpEstablished, facts({ ...base, events: [event({ namespace: 'kube-system', name: 'calico-node-abcde' }, 'Unhealthy', message, 3)] }));
          const sessions = addresses.map((a, i) => ({ name: `Mesh_${a.replace(/\./g, '_')}`, state: upFlags[i] ? 'Established' : 'Active', neighbor: a }));
          const fromHost = evaluateCheck(bgpEstablished, facts({ ...base, host: { ...healthyHost, bgpSessions: sessions } }));
          expect([fromApi.status, fromApi.summary]).toEqual([fromHost.status, fromHost.summary]);
          expect(fromHost.status).toBe('fail');
        },
      ),
    );
  });
});
