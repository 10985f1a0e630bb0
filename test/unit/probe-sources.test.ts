// Where the agent finds the API server when the Service fails (src/kubeapi/direct.ts), and the
// probes' wire formats (exporter/probe-net.ts) against real sockets on loopback.
import dgram from 'node:dgram';
import net from 'node:net';
import { classify, dnsQuery, startEchoResponder, tcpProbe, udpEcho } from '../../exporter/probe-net';
import { endpointSliceAddresses, kubeconfigServers } from '../../src/kubeapi/direct';

describe("the API server's own addresses", () => {
  test("the kubelet's kubeconfig: the server only, never anything else in the file", () => {
    // kubeadm's /etc/kubernetes/kubelet.conf (kubeadm docs, "kubeconfig files"), data shortened.
    const text = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTi...
    server: https://192.168.33.10:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: system:node:n1
  name: system:node:n1@kubernetes
current-context: system:node:n1@kubernetes
kind: Config
users:
- name: system:node:n1
  user:
    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
`;
    expect(kubeconfigServers(text)).toEqual(['192.168.33.10:6443']);
    // k3s's agent kubeconfig points at its local load balancer; a server that is no URL is dropped.
    expect(kubeconfigServers('    server: https://127.0.0.1:6444\n    server: "not a url"\n')).toEqual(['127.0.0.1:6444']);
  });

  test('the kubernetes EndpointSlice: ready addresses with the https port', () => {
    // Shape of `kubectl get endpointslice kubernetes -o yaml` on kubeadm 1.30 (three control-plane nodes, one not ready).
    const slices = [
      {
        addressType: 'IPv4',
        endpoints: [{ addresses: ['192.168.33.10'], conditions: { ready: true } }, { addresses: ['192.168.33.11'], conditions: { ready: false } }, { addresses: ['192.168.33.12'] }],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      },
    ];
    expect(endpointSliceAddresses(slices)).toEqual(['192.168.33.10:6443', '192.168.33.12:6443']);
    expect(endpointSliceAddresses([{ addressType: 'IPv6', endpoints: [{ addresses: ['fd00::10'] }], ports: [{ name: 'https', port: 6443 }] }])).toEqual(['[fd00::10]:6443']);
    expect(endpointSliceAddresses([{ endpoints: [{ addresses: ['10.0.0.1; rm -rf /'] }], ports: [{ port: 6443 }] }])).toEqual([]);
  });
});

describe('probes on the wire', () => {
  test('TCP: an answer is ok, a closed port is refused', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    expect((await tcpProbe('127.0.0.1', port, 2000)).ok).toBe(true);
    await new Promise((r) => server.close(r));
    expect(await tcpProbe('127.0.0.1', port, 2000)).toMatchObject({ ok: false, error: 'refused' });
    expect(classify(Object.assign(new Error('x'), { code: 'ENETUNREACH' }))).toBe('unreachable');
  });

  test('UDP echo: the responder answers probe datagrams only; no responder is refused', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const responder = startEchoResponder('127.0.0.1', port, () => {});
    // Anything that is not a probe datagram gets no answer.
    const stray = dgram.createSocket('udp4');
    const strayAnswered = new Promise<boolean>((resolve) => {
      stray.once('message', () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    stray.send(Buffer.from('GET / HTTP/1.0\r\n\r\n'), port, '127.0.0.1');
    expect(await strayAnswered).toBe(false);
    stray.close();
    expect(await udpEcho('127.0.0.1', port, 2000)).toEqual({ sent: 3, received: 3 });
    responder.close();
    expect(await udpEcho('127.0.0.1', port, 500)).toMatchObject({ received: 0, error: 'refused' });
  });

  test('DNS: a well-formed A query, and the address read from a compressed answer', async () => {
    const server = dgram.createSocket('udp4');
    const asked: string[] = [];
    server.on('message', (q, rinfo) => {
      asked.push(q.subarray(12).toString('latin1'));
      // Answer as CoreDNS does: the question echoed, one A record whose name is a pointer (0xc00c).
      const header = Buffer.from(q.subarray(0, 12));
      header.writeUInt16BE(0x8180, 2);
      header.writeUInt16BE(1, 6);
      const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 96, 0, 1]);
      server.send(Buffer.concat([header, q.subarray(12), answer]), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    const found = await dnsQuery('127.0.0.1', 'kubernetes.default.svc.cluster.local', 2000, server.address().port);
    server.close();
    expect(asked).toEqual(['\x0akubernetes\x07default\x03svc\x07cluster\x05local\x00\x00\x01\x00\x01']);
    expect(found).toMatchObject({ result: { ok: true }, rcode: 'NOERROR', answer: '10.96.0.1' });
  });

  test('DNS: nothing listening is a failure with its class, never ok', async () => {
    // Nothing on port 53 of loopback here: refused (ICMP port unreachable), or a timeout.
    const none = await dnsQuery('127.0.0.1', 'kubernetes.default.svc.cluster.local', 500);
    expect(none.result.ok).toBe(false);
    expect(['refused', 'timeout']).toContain(none.result.error);
  });
});
