// The simulated cluster as a process: see --help.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Fault, SimCluster } from './server';

const FIXTURES = path.join(path.dirname(process.argv[1]), '..', 'test', 'fixtures');
const FAULTS: Fault[] = ['blackhole', 'unauthorized', 'error500', 'error503', 'truncated', 'endless-body', 'endless-watch'];

const HELP = `Usage: node dist/sim.mjs [flags]

A simulated Kubernetes API server over fixture objects, for tests, benchmarks and the demo.

Flags:
  --fixtures FILE[,FILE]      objects to serve: kind: List YAML (with logs:) or plain manifests
  --port N                    port to listen on (default 0: any free port)
  --address A                 address to listen on (default 127.0.0.1)
  --http                      serve plain HTTP (as kubectl proxy does) instead of HTTPS
  --kubeconfig-out FILE       write a kubeconfig for this server (user "sim", token sim-token)
  --generate NxM              add a healthy flannel cluster of N nodes with M pods each
  --generate-reports          with --generate: the NodeReport CRD and a report for every node
  --user TOKEN=NAME[,node=N]  a bearer token and the user it authenticates (node: the bound
                              service-account token's node-name); repeatable
  --fault KIND                misbehave: ${FAULTS.join(', ')}
  --forbid "VERB RESOURCE"    answer 403 to that verb on that resource (e.g. "get pods/log"); repeatable
  --ca FILE                   the CA written into the kubeconfig (another CA's: a stale kubeconfig)
  --client-ca FILE            require client certificates signed by this CA
  --tls-cert FILE --tls-key FILE   the serving certificate (default: test/fixtures/tls)
  -h, --help                  this help
`;

function fail(message: string): never {
  process.stderr.write(`error: ${message} (see node dist/sim.mjs --help)\n`);
  process.exit(1);
}

const options = () =>
  parseArgs({
    options: {
      fixtures: { type: 'string', default: '' },
      port: { type: 'string', default: '0' },
      address: { type: 'string', default: '127.0.0.1' },
      http: { type: 'boolean', default: false },
      'kubeconfig-out': { type: 'string' },
      generate: { type: 'string' },
      'generate-reports': { type: 'boolean', default: false },
      user: { type: 'string', multiple: true, default: [] },
      fault: { type: 'string' },
      forbid: { type: 'string', multiple: true, default: [] },
      'tls-cert': { type: 'string', default: `${FIXTURES}/tls/server.crt` },
      'tls-key': { type: 'string', default: `${FIXTURES}/tls/server.key` },
      ca: { type: 'string', default: `${FIXTURES}/tls/ca.crt` },
      'client-ca': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
let values!: ReturnType<typeof options>;
try {
  values = options();
} catch (e) {
  fail((e as Error).message.split('\n')[0]);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const generate = values.generate ? /^(\d+)x(\d+)$/.exec(values.generate) : null;
if (values.generate && !generate) fail(`--generate ${values.generate}: use NODESxPODS, e.g. 5000x30`);
if (values.fault && !FAULTS.includes(values.fault as Fault)) fail(`unknown --fault ${values.fault}: use ${FAULTS.join(', ')}`);
for (const u of values.user) if (!/^[^=]+=[^,]+(,node=[^,]+)?$/.test(u)) fail(`--user ${u}: use TOKEN=NAME or TOKEN=NAME,node=NODE`);

let sim: SimCluster;
try {
  sim = new SimCluster({
    fixtures: values.fixtures.split(',').filter(Boolean),
    port: Number(values.port),
    address: values.address,
    generate: generate ? { nodes: Number(generate[1]), podsPerNode: Number(generate[2]), reports: values['generate-reports'] } : undefined,
    fault: values.fault as Fault | undefined,
    forbid: values.forbid,
    tls: values.http ? undefined : { cert: values['tls-cert'], key: values['tls-key'] },
    ca: values.ca,
    clientCa: values['client-ca'],
    kubeconfigOut: values['kubeconfig-out'],
    users: values.user,
  });
} catch (e) {
  fail((e as Error).message.split('\n')[0]);
}
sim.start().then(
  (url) => process.stdout.write(`simulated cluster listening on ${url}\n`),
  (e: Error) => fail(`cannot listen: ${e.message}`),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => sim.close().then(() => process.exit(0)));
