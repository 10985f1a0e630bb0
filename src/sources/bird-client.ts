import net from 'node:net';

const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/**
 * Sends one command to BIRD's control socket (Calico's bird.ctl) and returns the raw reply, from
 * after the greeting to the terminating `0000` line or the first error code. BIRD answers in
 * reply-coded lines: "NNNN-" continues, "NNNN " ends; 8xxx/9xxx are errors.
 */
export function birdCommand(socketPath: string, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buffer = '';
    let greeted = false;
    const fail = (message: string) => {
      socket.destroy();
      reject(new Error(message));
    };
    socket.setTimeout(timeoutMs, () => fail(`BIRD at ${socketPath} did not answer within ${timeoutMs} ms`));
    socket.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ENOENT' ? `no BIRD socket at ${socketPath}` : `BIRD socket ${socketPath}: ${e.message}`));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      if (buffer.length > MAX_REPLY_BYTES) return fail(`BIRD reply larger than ${MAX_REPLY_BYTES} bytes`);
      if (!greeted) {
        const eol = buffer.indexOf('\n');
        if (eol < 0) return;
        if (!/^0001 /.test(buffer)) return fail(`BIRD socket ${socketPath} sent no greeting: ${JSON.stringify(buffer.slice(0, 60))}`);
        greeted = true;
        buffer = buffer.slice(eol + 1);
        socket.write(`${command}\n`);
      }
      // The reply ends at a line whose code is followed by a space: 0000, or an error.
      if (/(^|\n)(0000|[89]\d{3}) [^\n]*\n$/.test(buffer)) {
        socket.end();
        resolve(buffer);
      }
    });
    socket.on('end', () => {
      if (greeted) resolve(buffer);
      else fail(`BIRD socket ${socketPath} closed without a greeting`);
    });
  });
}
