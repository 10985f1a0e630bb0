// The Node.js binary inside the agent image (dist/image, make image), taken out of the archive's
// base layer, so benchmarks run the agent on exactly the Node it ships with.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export function imageNode() {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools/image/image.json'), 'utf8'));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  const archive = path.join(ROOT, 'dist/image', `${spec.name}-${pkg.version}-linux-${arch}.oci.tar`);
  if (!fs.existsSync(archive)) throw new Error(`${path.relative(ROOT, archive)} is missing: run make image first`);
  const dir = path.join(ROOT, '.tmp/image-node');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xf', archive, '-C', dir, 'index.json', 'blobs']);
  const blob = (digest) => path.join(dir, 'blobs/sha256', digest.slice('sha256:'.length));
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const entry = spec.config.Entrypoint[0].replace(/^\//, './');
  execFileSync('tar', ['-xzf', blob(manifest.layers[0].digest), '-C', dir, entry]);
  fs.rmSync(path.join(dir, 'blobs'), { recursive: true });
  return path.join(dir, entry);
}
