// make image-index: the two platform archives (make image, make image-arm64) joined into one OCI
// archive whose image index names both, so one digest pins the image on amd64 and arm64 nodes
// alike. The blobs are the platform archives' own, untouched: each platform's manifest keeps the
// digest its own archive printed, and the index's digest follows from them (same inputs, same
// digest). Writes dist/image/netcheck-agent-<version>.oci.tar and its .digest.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools/image/image.json'), 'utf8'));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const OUT = path.join(ROOT, 'dist/image');
const ARCHES = ['amd64', 'arm64'];
const TAR = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--format=posix', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime'];

function fail(message) {
  process.stderr.write(`error: make image-index: ${message}\n`);
  process.exit(1);
}
function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) fail(`${cmd} ${args.join(' ')}: ${(r.error?.message ?? r.stderr).trim()}`);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-image-index-'));
try {
  const layout = path.join(work, 'layout');
  fs.mkdirSync(path.join(layout, 'blobs/sha256'), { recursive: true });
  const manifests = [];
  for (const arch of ARCHES) {
    const name = `${spec.name}-${pkg.version}-linux-${arch}`;
    const archive = path.join(OUT, `${name}.oci.tar`);
    if (!fs.existsSync(archive)) fail(`${path.relative(ROOT, archive)} is missing: run make image${arch === 'arm64' ? '-arm64' : ''} first`);
    const dir = path.join(work, arch);
    fs.mkdirSync(dir);
    run('tar', ['-xf', archive, '-C', dir]);
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
    const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === pkg.version);
    if (!entry || entry.platform?.architecture !== arch) fail(`${path.relative(ROOT, archive)} has no ${arch} image ${pkg.version}`);
    const printed = fs.readFileSync(path.join(OUT, `${name}.digest`), 'utf8').trim();
    if (entry.digest !== printed) fail(`${path.relative(ROOT, archive)}: its index names ${entry.digest}, its .digest file ${printed}`);
    // Every blob, checked against its name, into the joined layout (the base layers differ per platform).
    for (const file of fs.readdirSync(path.join(dir, 'blobs/sha256'))) {
      const from = path.join(dir, 'blobs/sha256', file);
      if (crypto.createHash('sha256').update(fs.readFileSync(from)).digest('hex') !== file) fail(`${path.relative(ROOT, archive)}: blob ${file} does not match its digest`);
      const to = path.join(layout, 'blobs/sha256', file);
      if (!fs.existsSync(to)) fs.renameSync(from, to);
    }
    manifests.push({ mediaType: entry.mediaType, digest: entry.digest, size: entry.size, platform: { architecture: arch, os: 'linux' } });
  }
  const indexBlob = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests, annotations: { 'org.opencontainers.image.version': pkg.version } }),
  );
  const digest = `sha256:${crypto.createHash('sha256').update(indexBlob).digest('hex')}`;
  fs.writeFileSync(path.join(layout, 'blobs/sha256', digest.slice(7)), indexBlob);
  const top = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: indexBlob.length, annotations: { 'org.opencontainers.image.ref.name': pkg.version } }],
  };
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(top));
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const archive = path.join(OUT, `${spec.name}-${pkg.version}.oci.tar`);
  run('tar', [...TAR, '-C', layout, '-cf', archive, 'oci-layout', 'index.json', 'blobs']);
  fs.writeFileSync(path.join(OUT, `${spec.name}-${pkg.version}.digest`), `${digest}\n`);
  const mib = (fs.statSync(archive).size / 1048576).toFixed(1);
  process.stdout.write(
    [
      `image-index: ${path.relative(ROOT, archive)} (${mib} MiB): linux/amd64 ${manifests[0].digest}, linux/arm64 ${manifests[1].digest}`,
      `image-index: digest ${digest}`,
      `image-index: push both platforms and pin them: skopeo copy --all --preserve-digests oci-archive:${path.relative(ROOT, archive)}:${pkg.version} docker://REGISTRY/${spec.name}:${pkg.version}`,
      '',
    ].join('\n'),
  );
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
