// make image-push-smoke: the README's release path against a real registry, here. Debian's
// docker-registry (the CNCF distribution registry) serves on loopback inside a network namespace
// made for this run; skopeo pushes the two-platform archive (make image-index) with --all
// --preserve-digests, as the README says; then the registry must answer the index's digest with the
// same bytes, resolve the tag to it, hand out each platform's manifest under the digest its own
// archive printed, and tools/release-manifest.mjs must pin the DaemonSet to that digest.
//
//   node tools/image/push-smoke.mjs     (root: the network namespace)
import { execFile, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools/image/image.json'), 'utf8'));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const ARCHIVE = path.join(ROOT, 'dist/image', `${spec.name}-${pkg.version}.oci.tar`);
const digestOf = (name) => fs.readFileSync(path.join(ROOT, 'dist/image', `${name}.digest`), 'utf8').trim();
const NETNS = `nc25-registry-${process.pid}`;
const REGISTRY = '127.0.0.1:5000';
const REPO = `${REGISTRY}/netcheck/${spec.name}`;
const started = Date.now();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-push-smoke-'));
let registry;
let log = '';
const failures = [];
function cleanup() {
  if (registry && registry.exitCode === null) registry.kill('SIGKILL');
  spawnSync('ip', ['netns', 'delete', NETNS], { stdio: 'ignore' });
  fs.rmSync(tmp, { recursive: true, force: true });
}
function fail(message) {
  process.stderr.write(`error: make image-push-smoke: ${message}\n`);
  if (log) process.stderr.write(`--- the registry printed:\n${log.slice(-4000)}\n---\n`);
  cleanup();
  process.exit(1);
}
function expect(what, ok, detail = '') {
  process.stdout.write(`push-smoke: ${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}\n`);
  if (!ok) failures.push(what);
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => fail(`interrupted by ${sig}`));

if (process.getuid() !== 0) fail('needs root (a network namespace): sudo make image-push-smoke');
for (const tool of ['docker-registry', 'skopeo', 'ip', 'kubectl'])
  if (spawnSync('which', [tool]).status !== 0) fail(`${tool} is missing (apt-get install docker-registry skopeo iproute2 kubernetes-client)`);
if (!fs.existsSync(ARCHIVE)) fail(`${path.relative(ROOT, ARCHIVE)} is missing: run make image-index first`);
const indexDigest = digestOf(`${spec.name}-${pkg.version}`);

/** A command inside the namespace; its output, or a failure with what it printed. */
function inNs(cmd, args, { allowFail = false } = {}) {
  const r = spawnSync('ip', ['netns', 'exec', NETNS, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 120_000 });
  if (!allowFail && (r.error || r.status !== 0)) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.error?.message ?? r.stderr ?? '').trim()}`);
  return r;
}

// The registry: filesystem storage in this run's directory, plain HTTP on the namespace's loopback.
fs.writeFileSync(
  path.join(tmp, 'config.yml'),
  `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(tmp, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${REGISTRY}\n`,
);
// skopeo's trust policy for this run alone: accept what it copies (the digests are checked below).
const policy = path.join(tmp, 'policy.json');
fs.writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
const sk = ['--policy', policy];
spawnSync('ip', ['netns', 'add', NETNS]);
spawnSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
registry = spawn('ip', ['netns', 'exec', NETNS, 'docker-registry', 'serve', path.join(tmp, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
registry.stdout.on('data', (c) => (log += c));
registry.stderr.on('data', (c) => (log += c));

// Ready when /v2/ answers 200 from inside the namespace (polling readiness, not a fixed wait).
const FETCH = `const r = await fetch(process.argv[1]).catch(() => ({ status: 0 })); process.stdout.write(String(r.status));`;
const status = (url) =>
  new Promise((resolve) =>
    execFile('ip', ['netns', 'exec', NETNS, process.execPath, '--input-type=module', '-e', FETCH, url], { encoding: 'utf8', timeout: 10_000 }, (_e, out) => resolve(Number(out))),
  );
const deadline = Date.now() + 30_000;
while ((await status(`http://${REGISTRY}/v2/`)) !== 200) {
  if (Date.now() > deadline || registry.exitCode !== null) fail('the registry did not answer /v2/ within 30 s');
  await new Promise((r) => setTimeout(r, 100));
}

// Push, as the README says.
const pushAt = Date.now();
inNs('skopeo', [...sk, 'copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci-archive:${ARCHIVE}:${pkg.version}`, `docker://${REPO}:${pkg.version}`]);
expect('skopeo copy --all --preserve-digests pushes both platforms', true, `${((Date.now() - pushAt) / 1000).toFixed(1)} s`);

const raw = inNs('skopeo', [...sk, 'inspect', '--raw', '--tls-verify=false', `docker://${REPO}@${indexDigest}`]).stdout;
const served = `sha256:${crypto.createHash('sha256').update(raw).digest('hex')}`;
expect('the registry serves the index under its digest, the same bytes', served === indexDigest, served);
const index = JSON.parse(raw);
for (const arch of ['amd64', 'arm64']) {
  const want = digestOf(`${spec.name}-${pkg.version}-linux-${arch}`);
  const listed = index.manifests.find((m) => m.platform?.architecture === arch)?.digest;
  const resolved = JSON.parse(inNs('skopeo', [...sk, 'inspect', '--tls-verify=false', '--override-os', 'linux', '--override-arch', arch, `docker://${REPO}@${indexDigest}`]).stdout);
  expect(`linux/${arch} resolves to the manifest its own archive printed`, listed === want && resolved.Architecture === arch && resolved.Os === 'linux', `${listed}`);
  const manifest = inNs('skopeo', [...sk, 'inspect', '--raw', '--tls-verify=false', `docker://${REPO}@${want}`]).stdout;
  expect(`linux/${arch}: its manifest's bytes match its digest`, `sha256:${crypto.createHash('sha256').update(manifest).digest('hex')}` === want);
}
const tagged = JSON.parse(inNs('skopeo', [...sk, 'inspect', '--raw', '--tls-verify=false', `docker://${REPO}:${pkg.version}`]).stdout);
expect(`the tag ${pkg.version} names the same index`, JSON.stringify(tagged) === JSON.stringify(index));

// Pull one platform back by digest, as a node's runtime would, and check its config.
const pulled = path.join(tmp, 'pulled');
inNs('skopeo', [...sk, 'copy', '--src-tls-verify=false', '--override-os', 'linux', '--override-arch', 'arm64', `docker://${REPO}@${indexDigest}`, `oci:${pulled}:x`]);
const pulledIndex = JSON.parse(fs.readFileSync(path.join(pulled, 'index.json'), 'utf8'));
const pulledManifest = JSON.parse(fs.readFileSync(path.join(pulled, 'blobs/sha256', pulledIndex.manifests[0].digest.slice(7)), 'utf8'));
const pulledConfig = JSON.parse(fs.readFileSync(path.join(pulled, 'blobs/sha256', pulledManifest.config.digest.slice(7)), 'utf8'));
expect(
  'pulled back by the index digest (arm64): the manifest and config as built, user 65532',
  pulledIndex.manifests[0].digest === digestOf(`${spec.name}-${pkg.version}-linux-arm64`) && pulledConfig.architecture === 'arm64' && pulledConfig.config.User === '65532:65532',
);

// The release manifest pins that digest.
const manifestFile = path.join(tmp, 'netcheck.yaml');
const rendered = spawnSync(process.execPath, [path.join(ROOT, 'tools/release-manifest.mjs'), '--image', REPO, '--out', manifestFile], { encoding: 'utf8' });
if (rendered.status !== 0) fail(`tools/release-manifest.mjs: ${rendered.stderr.trim()}`);
const images = [...fs.readFileSync(manifestFile, 'utf8').matchAll(/^\s+image: (\S+)$/gm)].map((m) => m[1]);
expect('the release manifest pins the DaemonSet to the pushed index by digest', images.length === 1 && images[0] === `${REPO}@${indexDigest}`, images.join(', '));

if (failures.length) fail(`${failures.length} check(s) failed: ${failures.join('; ')}`);
process.stdout.write(`push-smoke: ${path.relative(ROOT, ARCHIVE)} pushed and checked in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
process.exit(0);
