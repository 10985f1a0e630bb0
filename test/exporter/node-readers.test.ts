// The agent's node-check facts that are not plain files: kube-proxy's livez over real loopback
// HTTP (bounded in time and size), and vtep-mac through a whole agent cycle with the API's view.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { NodeReport } from '../../src/core/model';
import { LIVEZ_TIMEOUT_MS, livez } from '../../src/host/node-readers';
import { testAgent } from '../helpers/agent';
import { cniPod, node } from '../helpers/objects';

const HOSTS = path.join(__dirname, '../fixtures/hosts');

async function server(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/livez`,
    close: () =>
      new Promise((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

describe("kube-proxy's livez", () => {
  test('reads the status and the sync times kube-proxy answers with', async () => {
    const s = await server((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"lastUpdated": "2026-11-23 11:58:00.1 +0000 UTC m=+12.3","currentTime": "2026-11-23 12:00:00.2 +0000 UTC m=+132.4","nodeEligible": true}');
    });
    try {
      expect(await livez(s.url, new AbortController().signal)).toMatchObject({ url: s.url, status: 503, lastUpdated: '2026-11-23 11:58:00.1 +0000 UTC m=+12.3' });
    } finally {
      await s.close();
    }
  });

  test('a server that never answers is given up on within the deadline; a refused port says so', async () => {
    const s = await server(() => {}); // accepts, never replies
    try {
      const started = Date.now();
      const r = await livez(s.url, new AbortController().signal);
      expect(r).toMatchObject({ error: `no answer within ${LIVEZ_TIMEOUT_MS} ms`, refused: false });
      expect(Date.now() - started).toBeLessThan(LIVEZ_TIMEOUT_MS + 1500);
    } finally {
      await s.close();
    }
    expect(await livez('http://127.0.0.1:9/livez', new AbortController().signal)).toMatchObject({ refused: true, error: 'connection refused' });
  });

  test('an endless reply is cut at the cap', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200);
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (res.write(chunk)) {}
        res.once('drain', pump);
      };
      pump();
    });
    try {
      expect(await livez(s.url, new AbortController().signal)).toMatchObject({ status: 200 });
    } finally {
      await s.close();
    }
  });
});

test('vtep-mac through an agent cycle: the annotation from the API against flannel.1 on the host; the gauge says 0', async () => {
  const api = {
    node: node({
      podCIDR: '10.244.3.0/24',
      ip: '192.168.33.20',
      annotations: { 'flannel.alpha.coreos.com/backend-type': 'vxlan', 'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"3a:7c:95:0e:12:f4"}' },
    }),
    pods: [cniPod('flannel')],
    unavailable: {},
  };
  const { agent, app } = await testAgent(path.join(HOSTS, 'healthy-flannel'), api);
  await agent.runCycle();
  const report = (await app.inject('/checks')).json() as NodeReport;
  expect(report.checks.find((c) => c.id === 'vtep-mac')).toMatchObject({ status: 'fail', code: 'drift' });
  expect((await app.inject('/metrics')).body).toMatch(/^netcheck_vtep_mac_match\{node="n1"\} 0$/m);
});
