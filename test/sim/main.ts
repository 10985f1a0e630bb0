// `node dist/sim.mjs --fixtures a.yaml[,b.yaml] [--port N] [--kubeconfig-out FILE] [--generate 5000x30]
//  [--fault blackhole|unauthorized|error500|error503|truncated] [--forbid "get pods/log"]... [--ca F] [--client-ca F]`
// Serves HTTPS with the test CA in test/fixtures/tls, as a kube-apiserver does.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { SimCluster, type SimOptions } from './server';

const FIXTURES = path.join(path.dirname(process.argv[1]), '..', 'test', 'fixtures');

const { values } = parseArgs({
  options: {
    fixtures: { type: 'string', default: '' },
    port: { type: 'string', default: '0' },
    'kubeconfig-out': { type: 'string' },
    generate: { type: 'string' },
    fault: { type: 'string' },
    forbid: { type: 'string', multiple: true, default: [] },
    'tls-cert': { type: 'string', default: `${FIXTURES}/tls/server.crt` },
    'tls-key': { type: 'string', default: `${FIXTURES}/tls/server.key` },
    // The CA written into the kubeconfig; another CA's certificate makes a stale kubeconfig.
    ca: { type: 'string', default: `${FIXTURES}/tls/ca.crt` },
    'client-ca': { type: 'string' },
  },
});

const generate = values.generate ? /^(\d+)x(\d+)$/.exec(values.generate) : null;
const sim = new SimCluster({
  fixtures: values.fixtures.split(',').filter(Boolean),
  port: Number(values.port),
  generate: generate ? { nodes: Number(generate[1]), podsPerNode: Number(generate[2]) } : undefined,
  fault: values.fault as SimOptions['fault'],
  forbid: values.forbid,
  tls: { cert: values['tls-cert'], key: values['tls-key'] },
  ca: values.ca,
  clientCa: values['client-ca'],
  kubeconfigOut: values['kubeconfig-out'],
});
sim.start().then((url) => process.stdout.write(`simulated cluster listening on ${url}\n`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => sim.close().then(() => process.exit(0)));
