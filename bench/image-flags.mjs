// The Node.js flags the image runs the agent with, read from its entrypoint (tools/image/image.json),
// so the benchmarks measure the agent as it ships.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export const IMAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools/image/image.json'), 'utf8'));

export function imageNodeFlags() {
  const argv = IMAGE.config.Entrypoint;
  return argv.slice(
    1,
    argv.findIndex((a) => a.endsWith('.mjs')),
  );
}
