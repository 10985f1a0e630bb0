// One skeleton of the agent's serving path, for bench/footprint-floor.mjs: the parts named by
// FLOOR_PARTS (comma-separated) and nothing of netcheck's own code.
//   tls         node:https and a secure context (the API client has both)
//   fastify     Fastify serves /metrics; else node:http
//   prom        prom-client renders 135 check-status series every 5 s; else a hand-written text
//   defaults    prom-client's collectDefaultMetrics() too (with prom)
//   process     netcheck's own process_* collectors (exporter/process-metrics.ts, with prom)
// Prints "ready" once listening on PORT. As in the agent's bundle (build.mjs), Fastify's server.js
// gets a stand-in for node:http2 and prom-client's pushgateway.js one for zlib.
const parts = new Set((process.env.FLOOR_PARTS || '').split(',').filter(Boolean));
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, parent, ...rest) {
  const from = parent?.filename ?? '';
  if ((request === 'node:http2' && /[\\/]fastify[\\/]lib[\\/]server\.js$/.test(from)) || (request === 'zlib' && /[\\/]prom-client[\\/]lib[\\/]pushgateway\.js$/.test(from))) return {};
  return load.call(this, request, parent, ...rest);
};
if (parts.has('tls')) {
  require('node:https');
  require('node:tls').createSecureContext({});
}
let render;
if (parts.has('prom')) {
  const { Registry, Gauge, collectDefaultMetrics } = require('prom-client');
  const registry = new Registry();
  if (parts.has('defaults')) collectDefaultMetrics({ register: registry });
  if (parts.has('process')) require(process.env.FLOOR_PROCESS_METRICS).registerProcessMetrics(registry);
  const g = new Gauge({ name: 'netcheck_check_status', help: 'h', labelNames: ['node', 'check', 'status'], registers: [registry] });
  render = async () => {
    for (let i = 0; i < 27; i++) for (const s of ['ok', 'warn', 'fail', 'unknown', 'skip']) g.set({ node: 'n1', check: `c${i}`, status: s }, s === 'ok' ? 1 : 0);
    return registry.metrics();
  };
} else {
  render = async () => {
    const lines = [];
    for (let i = 0; i < 27; i++) for (const s of ['ok', 'warn', 'fail', 'unknown', 'skip']) lines.push(`netcheck_check_status{node="n1",check="c${i}",status="${s}"} ${s === 'ok' ? 1 : 0}`);
    lines.push(`process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    return `${lines.join('\n')}\n`;
  };
}
let body = Buffer.alloc(0);
const refresh = async () => {
  body = Buffer.from(await render());
};
const port = Number(process.env.PORT);
const listening = () => process.stdout.write('ready\n');
refresh().then(() => {
  setInterval(refresh, 5000);
  if (parts.has('fastify')) {
    const app = require('fastify')({ logger: false });
    app.get('/metrics', (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(body));
    app.listen({ port, host: '127.0.0.1' }).then(listening);
  } else {
    require('node:http')
      .createServer((_req, res) => {
        res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
        res.end(body);
      })
      .listen(port, '127.0.0.1', listening);
  }
});
