import Fastify, { type FastifyInstance } from 'fastify';
import type { Agent } from './agent';

const LANDING = (node: string) => `<!doctype html>
<html><head><title>netcheck agent</title></head>
<body><h1>netcheck agent on ${node.replace(/[<>&"]/g, '')}</h1>
<ul><li><a href="metrics">metrics</a> (Prometheus)</li><li><a href="checks">checks</a> (NodeReport JSON)</li>
<li><a href="healthz">healthz</a></li><li><a href="readyz">readyz</a></li></ul></body></html>
`;

/** The agent's HTTP face: read-only routes over what the last cycle found. */
export function buildApp(agent: Agent, opts: { nodeName: string; logger?: boolean | object }): FastifyInstance {
  const app = Fastify({ logger: opts.logger ?? false, disableRequestLogging: true });
  app.get('/metrics', async (_req, reply) => reply.type(agent.metrics.contentType).send(agent.metrics.text));
  app.get('/checks', async (_req, reply) => {
    if (!agent.report) return reply.code(503).send({ message: 'the first check cycle has not finished' });
    return agent.report;
  });
  app.get('/healthz', async () => 'ok\n');
  app.get('/readyz', async (_req, reply) => (agent.ready ? 'ok\n' : reply.code(503).send('the first check cycle has not finished\n')));
  app.get('/', async (_req, reply) => reply.type('text/html').send(LANDING(opts.nodeName)));
  return app;
}
