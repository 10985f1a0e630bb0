import net from 'node:net';

/** `show protocols all` for a few hundred peers is well under this; more is not BIRD talking. */
export const MAX_BIRD_REPLY_BYTES = 4 * 1024 * 1024;

/**
 * Sends one command to BIRD's control socket (Calico's bird.ctl) and returns the raw reply, from
 * after the greeting to the terminating `0000` line or the first error code. BIRD answers in
 * reply-coded lines: "NNNN-" continues, "NNNN " ends; 8xxx/9xxx are errors.
 *
 * The caller's signal is the deadline: a socket that accepts and never answers, or drips a byte at
 * a time, is closed when it aborts (an idle timeout would never fire on the drip).
 */
export function birdCommand(socketPath: string, command: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const socket = net.connect(socketPath);
    let buffer = '';
    let received = 0;
    let greeted = false;
    let settled = false;
    const finish = (error?: Error, reply?: string) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    const onAbort = () => {
      const reason = signal.reason instanceof Error ? signal.reason.message : 'stopped';
      finish(new Error(`BIRD at ${socketPath} did not finish its reply: ${reason} (${received} bytes received)`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish(
        new Error(
          e.code === 'ENOENT'
            ? `no BIRD socket at ${socketPath}`
            : e.code === 'EACCES'
              ? `permission denied connecting to BIRD at ${socketPath}: BIRD makes its socket 0660 root:root, so the agent needs group 0 (deploy/components/cni-sockets)`
              : e.code === 'ECONNREFUSED'
                ? `BIRD is not listening on ${socketPath} (connection refused)`
                : `BIRD socket ${socketPath}: ${e.message}`,
        ),
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_BIRD_REPLY_BYTES) return finish(new Error(`BIRD at ${socketPath} sent more than ${MAX_BIRD_REPLY_BYTES} bytes; reply dropped`));
      buffer += chunk.toString('utf8');
      if (!greeted) {
        const eol = buffer.indexOf('\n');
        if (eol < 0) return;
        if (!/^0001 /.test(buffer)) return finish(new Error(`BIRD socket ${socketPath} sent no greeting`));
        greeted = true;
        buffer = buffer.slice(eol + 1);
        socket.write(`${command}\n`);
      }
      // The reply ends at a line whose code is followed by a space: 0000, or an error.
      if (/(^|\n)(0000|[89]\d{3}) [^\n]*\n$/.test(buffer)) finish(undefined, buffer);
    });
    socket.on('end', () => (greeted ? finish(undefined, buffer) : finish(new Error(`BIRD socket ${socketPath} closed without a greeting`))));
  });
}
