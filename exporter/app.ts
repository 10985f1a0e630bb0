import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
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

/**
 * The agent listens on the host's own addresses (hostNetwork, 0.0.0.0), so anything that reaches
 * the node can open connections to it: each costs memory (a socket, a parser, buffers) until it
 * is closed. 4,000 connections that send nothing raised RSS from 60 to 79 MiB, 8,000 to 97 of the
 * pod's 128 MiB. So the count is capped, and every way a connection can sit idle has a deadline
 * (test/e2e/connection-flood.test.ts).
 * Its clients are few: Prometheus (an HA pair), the kubelet's probes, kubectl on loopback.
 */
export const SERVER_LIMITS = {
  /** Beyond this many open connections, new ones are closed as soon as they are accepted. */
  maxConnections: 256,
  /**
   * A new connection must send a whole request within this. Node's own deadlines below start at
   * a request's first byte, and its socket timeout did not close a connection that never sent
   * one (Node 22): without this, idle connections would hold every slot of maxConnections.
   */
  firstRequestMs: 10_000,
  /** Once a request has begun, its line and headers must arrive within this... */
  headersTimeoutMs: 10_000,
  /** ...and the whole request (GETs: no body) within this. */
  requestTimeoutMs: 15_000,
  /** How often Node sweeps connections for those two deadlines (Node's default is every 30 s). */
  checkIntervalMs: 2_000,
  /** An idle keep-alive connection stays open this long: longer than a 60 s scrape interval. */
  keepAliveTimeoutMs: 65_000,
  /** Any socket with no traffic either way (a client that stopped reading its answer) goes. */
  connectionTimeoutMs: 70_000,
  /** The largest request head accepted (Node's default is 16 KiB; scrapes send a few hundred bytes). */
  maxHeaderBytes: 8192,
} as const;

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
  const L = SERVER_LIMITS;
  const app = Fastify({
    logger: opts.logger ?? false,
    disableRequestLogging: true,
    connectionTimeout: L.connectionTimeoutMs,
    keepAliveTimeout: L.keepAliveTimeoutMs,
    requestTimeout: L.requestTimeoutMs,
    bodyLimit: 1024,
    http: { headersTimeout: L.headersTimeoutMs, requestTimeout: L.requestTimeoutMs, connectionsCheckingInterval: L.checkIntervalMs, maxHeaderSize: L.maxHeaderBytes },
  });
  app.server.maxConnections = L.maxConnections;
  const served = new WeakSet<Socket>();
  app.server.on('request', (req: IncomingMessage) => served.add(req.socket));
  app.server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => served.has(socket) || socket.destroy(), L.firstRequestMs).unref();
    socket.once('close', () => clearTimeout(timer));
  });
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
