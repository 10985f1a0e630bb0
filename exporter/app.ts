import Fastify, { type FastifyInstance } from 'fastify';
import type { Agent } from './agent';

const escapeHtml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const LANDING = (node: string) => `<!doctype html>
<html><head><title>netcheck agent</title></head>
<body><h1>netcheck agent on ${escapeHtml(node)}</h1>
<ul><li><a href="metrics">metrics</a> (Prometheus)</li>
<li><a href="healthz">healthz</a> (check cycles keep finishing)</li><li><a href="readyz">readyz</a> (the last report is fresh)</li>
<li>checks (this node's NodeReport as JSON) is served on loopback only; the report leaves the node as a NodeReport object in the API: <code>kubectl get nodereport ${escapeHtml(node)} -o yaml</code></li></ul>
</body></html>
`;

/** A connection from this host's loopback: with hostNetwork, only processes on the node itself. */
export function fromLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * The agent's HTTP face: read-only routes over what the last cycle found. /metrics and the health
 * routes are for Prometheus and the kubelet; /checks carries the full evidence (paths, addresses,
 * log lines), so it answers only on loopback.
 */
export function buildApp(agent: Agent, opts: { nodeName: string; logger?: boolean | object }): FastifyInstance {
  const app = Fastify({ logger: opts.logger ?? false, disableRequestLogging: true });
  app.get('/metrics', async (_req, reply) => reply.type(agent.metrics.contentType).send(agent.metrics.body));
  app.get('/checks', async (req, reply) => {
    if (!fromLoopback(req.socket.remoteAddress)) return reply.code(404).type('text/plain').send('not found: /checks is served on loopback only\n');
    if (!agent.report) return reply.code(503).send({ message: 'the first check cycle has not finished' });
    return agent.report;
  });
  app.get('/healthz', async (_req, reply) => {
    const { ok, reason } = agent.liveness();
    return reply
      .code(ok ? 200 : 503)
      .type('text/plain')
      .send(`${reason}\n`);
  });
  app.get('/readyz', async (_req, reply) => {
    const { ok, reason } = agent.readiness();
    return reply
      .code(ok ? 200 : 503)
      .type('text/plain')
      .send(`${reason}\n`);
  });
  app.get('/', async (_req, reply) => reply.type('text/html').send(LANDING(opts.nodeName)));
  return app;
}
