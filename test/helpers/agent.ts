// An agent over a fixture host tree, as exporter/main.ts assembles one, for in-process tests.
import { Agent } from '../../exporter/agent';
import { buildApp } from '../../exporter/app';
import { SYSCTLS } from '../../src/checks';
import type { NodeFacts } from '../../src/core/facts';
import { type HostRead, readHostFacts } from '../../src/host/readers';
import { HostRoot } from '../../src/host/root';

export interface TestHostOptions {
  birdSocket?: string;
  factTimeoutMs?: number;
}

/** Host facts from a fixture tree, read as the agent reads them. */
export async function hostFacts(root: string, opts: TestHostOptions = {}): Promise<HostRead> {
  return readHostFacts({ root: await HostRoot.open(root), birdSocket: opts.birdSocket, factTimeoutMs: opts.factTimeoutMs ?? 2000, sysctls: SYSCTLS });
}

export async function testAgent(root: string, api: Pick<NodeFacts, 'node' | 'pods' | 'unavailable'>, opts: TestHostOptions & { intervalMs?: number } = {}) {
  const hostRoot = await HostRoot.open(root);
  const logs: string[] = [];
  const agent = new Agent({
    nodeName: api.node?.metadata?.name ?? 'n1',
    intervalMs: opts.intervalMs ?? 1000,
    cycleTimeoutMs: (opts.factTimeoutMs ?? 2000) * 2 + 1000,
    readHost: (signal) => readHostFacts({ root: hostRoot, birdSocket: opts.birdSocket, factTimeoutMs: opts.factTimeoutMs ?? 2000, sysctls: SYSCTLS, signal }),
    readApi: () => api,
    log: (_level, message) => logs.push(message),
  });
  return { agent, app: buildApp(agent, { nodeName: 'n1' }), logs };
}
