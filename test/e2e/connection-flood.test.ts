// The agent listens on the node's own addresses, so anything that reaches the node can open
// connections to it. A flood of connections that send nothing (half-open, from the server's view:
// accepted, never a request) must stay bounded in sockets and memory, be closed by the server
// within its header deadline, and leave /metrics answering afterwards.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SERVER_LIMITS } from '../../exporter/app';
import { type AgentProcess, HOSTS, IMAGE_NODE_FLAGS, startAgent } from './harness';

const FLOOD = 8000;

/** The agent's open TCP sockets (its fds that are sockets), read from /proc. */
function socketsOf(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

describe('a flood of connections that never send a request', () => {
  let agent: AgentProcess;
  const clients: net.Socket[] = [];

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await agent?.stop('SIGKILL');
  });

  test(`${FLOOD} idle connections: at most ${SERVER_LIMITS.maxConnections} held, RSS bounded, all closed when their first request is overdue, /metrics answers after`, async () => {
    // No kubeconfig to find: the agent runs without the API.
    agent = await startAgent(['--node-name', 'n1', '--host-root', path.join(HOSTS, 'healthy-flannel'), '--interval', '1s'], { env: { KUBECONFIG: '/nonexistent' }, nodeFlags: IMAGE_NODE_FLAGS });
    await agent.waitFor('the first cycle', async () => (await agent.get('/readyz')).ok);
    const pid = agent.child.pid!;
    for (let i = 0; i < 20; i++) expect((await agent.get('/metrics')).status).toBe(200);
    const before = agent.rssMiB();
    const baseSockets = socketsOf(pid);
    const port = Number(new URL(agent.url).port);

    // Connect in batches (the listen backlog is 511), and hold every socket the server keeps.
    let closedByServer = 0;
    const startedAt = Date.now();
    for (let i = 0; i < FLOOD; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, FLOOD - i) }, () => {
          return new Promise<void>((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port });
            s.on('connect', () => resolve());
            s.on('error', () => resolve());
            s.on('close', () => {
              closedByServer++;
              resolve();
            });
            clients.push(s);
          });
        }),
      );
    }
    const held = () => clients.length - closedByServer;
    // Every connection beyond the cap is closed at once; the rest are held until the deadline.
    await agent.waitFor('the server to drop the connections beyond its cap', () => held() <= SERVER_LIMITS.maxConnections, 20_000);
    const peakSockets = socketsOf(pid);
    const during = agent.rssMiB();
    expect(peakSockets - baseSockets).toBeLessThanOrEqual(SERVER_LIMITS.maxConnections);
    // Measured: 4,000 such connections raised the uncapped agent's RSS by ~19 MiB, 8,000 by ~37.
    expect(during - before).toBeLessThan(12);

    // The held ones send nothing: the server closes them once their first request is overdue,
    // without the clients doing anything.
    await agent.waitFor('the server to close every idle connection', () => held() === 0, SERVER_LIMITS.firstRequestMs + 10_000);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(SERVER_LIMITS.firstRequestMs - 1000);
    expect(socketsOf(pid)).toBeLessThanOrEqual(baseSockets + 2);
    expect((await agent.get('/metrics')).status).toBe(200);
    expect(agent.peakRssMiB()).toBeLessThan(before + 15);
    if (process.env.FLOOD_REPORT) process.stdout.write(`flood: RSS ${before.toFixed(1)} → ${during.toFixed(1)} MiB, peak ${agent.peakRssMiB().toFixed(1)}; sockets ${baseSockets} → ${peakSockets}\n`);
  }, 90_000);
});
