// make release-manifest IMAGE=registry.example.com/netcheck/netcheck-agent: deploy/ rendered by
// kubectl's kustomize into one file to apply, the agent's image pinned by digest, never by tag:
// the digest of the two-platform index (make image-index), or --digest sha256:... when the image
// was pushed from elsewhere. Writes dist/release/netcheck-<version>.yaml (or --out FILE), and
// prints the image line it pinned.
//
//   node tools/release-manifest.mjs --image REPOSITORY [--digest sha256:HEX] [--out FILE]
//   (or IMAGE=... DIGEST=... in the environment, as make release-manifest passes them)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools/image/image.json'), 'utf8'));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function fail(message) {
  process.stderr.write(`error: release-manifest: ${message}\n`);
  process.exit(1);
}
const args = process.argv.slice(2);
const flag = (name) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const image = flag('image') ?? process.env.IMAGE;
if (!image) fail('--image REPOSITORY (or IMAGE=...) is required: where the image was pushed, without a tag');
// A repository reference: host[:port]/path, lower case, no tag or digest of its own.
if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/.test(image)) fail(`${JSON.stringify(image)} is not an image repository (host/path, no tag)`);
const indexDigest = path.join(ROOT, 'dist/image', `${spec.name}-${pkg.version}.digest`);
let digest = flag('digest') ?? process.env.DIGEST;
if (!digest) {
  if (!fs.existsSync(indexDigest)) fail(`${path.relative(ROOT, indexDigest)} is missing: run make image-index (or pass --digest sha256:...)`);
  digest = fs.readFileSync(indexDigest, 'utf8').trim();
}
if (!/^sha256:[0-9a-f]{64}$/.test(digest)) fail(`${JSON.stringify(digest)} is not a sha256 digest`);
const out = path.resolve(flag('out') ?? path.join(ROOT, 'dist/release', `netcheck-${pkg.version}.yaml`));

// A kustomization of our own over deploy/, as the README tells users to write one.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-release-'));
try {
  fs.symlinkSync(path.join(ROOT, 'deploy'), path.join(work, 'deploy'));
  fs.writeFileSync(
    path.join(work, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deploy]\nimages:\n  - name: ${spec.name}\n    newName: ${image}\n    digest: ${digest}\n`,
  );
  const r = spawnSync('kubectl', ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', work], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) fail(`kubectl kustomize: ${(r.error?.message ?? r.stderr).trim()}`);
  const pinned = `${image}@${digest}`;
  const images = [...r.stdout.matchAll(/^\s+image: (\S+)$/gm)].map((m) => m[1]);
  if (!images.length || images.some((i) => i !== pinned)) fail(`the rendered manifests name ${images.join(', ') || 'no image'}, not ${pinned}`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `# netcheck ${pkg.version}: kubectl apply -f ${path.basename(out)} (rendered from deploy/ by tools/release-manifest.mjs)\n${r.stdout}`);
  process.stdout.write(`release-manifest: ${path.relative(process.cwd(), out)}: image ${pinned}\n`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
