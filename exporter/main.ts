import { parseArgs } from 'node:util';
import { parseDuration } from '../src/sources/kube-client';
import { readHostFacts } from '../src/sources/host';
import type { FastifyInstance } from 'fastify';
import { Agent, type AgentOptions } from './agent';
import { buildApp } from './app';

const USAGE = `usage: netcheck-exporter [--node-name NAME] [--host-root DIR] [--bird-socket PATH] [--address A] [--port N] [--interval DURATION] [--kubeconfig PATH]`;

function fatal(message: string): never {
  process.stderr.write(`error: ${message}\n${USAGE}\n`);
  process.exit(1);
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'node-name': { type: 'string', default: process.env.NODE_NAME },
        'host-root': { type: 'string', default: '/host' },
        'bird-socket': { type: 'string' },
        address: { type: 'string', default: '0.0.0.0' },
        port: { type: 'string', default: '9742' },
        interval: { type: 'string', default: '30s' },
        kubeconfig: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    fatal((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const nodeName = values['node-name'] || fatal('--node-name (or $NODE_NAME) is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fatal(`invalid --port ${values.port}`);
  let intervalMs = 0;
  try {
    intervalMs = parseDuration(values.interval);
  } catch (e) {
    fatal((e as Error).message);
  }
  const hostRoot = values['host-root'];

  // Logs go through Fastify's JSON logger, which exists once the app is built below.
  let app: FastifyInstance | undefined;
  const log: AgentOptions['log'] = (level, message, fields = {}) => app?.log[level](fields, message);

  // The API view is optional: without it the host checks still run and API checks are unknown.
  let readApi: AgentOptions['readApi'];
  let stopWatch = () => {};
  try {
    const { KubeClient } = await import('../src/sources/kube-client');
    const { NodeWatcher } = await import('../src/sources/node-watch');
    const client = await KubeClient.load({ kubeconfig: values.kubeconfig, inCluster: true, requestTimeoutMs: 10_000 });
    const watcher = new NodeWatcher(client, nodeName, (level, message) => log(level, message));
    watcher.start();
    watcher.refreshCluster(10 * 60_000);
    // Give the first cycle the API view if it comes quickly; never block on it.
    await Promise.race([watcher.synced, new Promise((r) => setTimeout(r, 5000))]);
    readApi = () => watcher.facts();
    stopWatch = () => watcher.stop();
  } catch (e) {
    const reason = (e as Error).message;
    readApi = () => ({ unavailable: { node: reason, pods: reason } });
    process.stderr.write(`${JSON.stringify({ level: 40, msg: `running without the Kubernetes API: ${reason}` })}\n`);
  }

  const agent = new Agent({
    nodeName,
    readHost: () => readHostFacts({ root: hostRoot, birdSocket: values['bird-socket'], birdTimeoutMs: 2000 }),
    readApi,
    log,
  });
  app = buildApp(agent, { nodeName, logger: { level: 'info' } });
  agent.start(intervalMs);
  try {
    await app.listen({ host: values.address, port });
  } catch (e) {
    fatal(`cannot listen on ${values.address}:${port}: ${(e as Error).message}`);
  }
  app.log.info({ node: nodeName, hostRoot, intervalMs }, 'netcheck agent started');

  const shutdown = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    stopWatch();
    await agent.stop();
    await app!.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main();
