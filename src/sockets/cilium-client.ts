import http from 'node:http';
import type { CiliumHealth } from '../parsers/cilium-health';

export type { CiliumHealth };

export const MAX_CILIUM_REPLY_BYTES = 1024 * 1024;

/**
 * Asks cilium-agent for its health over its API socket (GET /v1/healthz, as `cilium-dbg status
 * --brief` does). The caller's signal is the deadline; the reply is capped.
 */
export function ciliumHealthz(socketPath: string, signal: AbortSignal): Promise<CiliumHealth> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const req = http.request({ socketPath, path: '/v1/healthz', method: 'GET', headers: { Accept: 'application/json', Host: 'localhost' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_CILIUM_REPLY_BYTES) return req.destroy(new Error(`cilium-agent at ${socketPath} sent more than ${MAX_CILIUM_REPLY_BYTES} bytes`));
        chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`cilium-agent at ${socketPath} answered ${res.statusCode} to GET /v1/healthz`));
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { cilium?: { state?: unknown; msg?: unknown }; kubernetes?: { state?: unknown; msg?: unknown } };
          const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 300) : undefined);
          const state = str(body.cilium?.state);
          if (!state) return reject(new Error(`cilium-agent at ${socketPath} sent a health reply without cilium.state`));
          const k8s = str(body.kubernetes?.state);
          resolve({
            state,
            ...(str(body.cilium?.msg) ? { message: str(body.cilium?.msg) } : {}),
            ...(k8s ? { kubernetes: { state: k8s, ...(str(body.kubernetes?.msg) ? { message: str(body.kubernetes?.msg) } : {}) } } : {}),
          });
        } catch {
          reject(new Error(`cilium-agent at ${socketPath} sent a health reply that is not JSON`));
        }
      });
      res.on('error', (e) => reject(e));
    });
    const onAbort = () => req.destroy(new Error(`cilium-agent at ${socketPath} did not answer: ${signal.reason instanceof Error ? signal.reason.message : 'stopped'}`));
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => signal.removeEventListener('abort', onAbort));
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EACCES'
          ? new Error(`permission denied connecting to cilium-agent at ${socketPath}: the socket is 0660 root:root (or group cilium), so the agent needs group 0 (deploy/components/cni-sockets)`)
          : e.code === 'ECONNREFUSED'
            ? new Error(`cilium-agent is not listening on ${socketPath} (connection refused)`)
            : e,
      ),
    );
    req.end();
  });
}
