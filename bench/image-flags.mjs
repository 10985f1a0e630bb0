// The Node.js flags the image runs the agent with, read from the Dockerfile's ENTRYPOINT, so the
// benchmarks measure the agent as it ships.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export function imageNodeFlags() {
  const line = fs
    .readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('ENTRYPOINT'));
  const argv = JSON.parse(line.slice('ENTRYPOINT'.length));
  return argv.slice(
    1,
    argv.findIndex((a) => a.endsWith('.mjs')),
  );
}
