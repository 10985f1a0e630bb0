// make image: the agent's container image for one platform, assembled here from parts this machine
// can fetch and verify, without a container runtime or daemon:
//
//   - a root filesystem of Debian packages (libc6, libgcc-s1, libstdc++6, ca-certificates), at
//     the versions apt's signed metadata names, each .deb checked against that metadata's SHA256
//     (a private apt state under .tmp/image/, so the machine's own apt setup is not touched and any
//     architecture works),
//   - Node.js from the npm registry (node-linux-<arch>), checked against the sha512 integrity
//     pinned in tools/image/image.json,
//   - the agent's bundles (dist/exporter.mjs and the chunks it loads), its notices and license.
//
// Distroless-style: no shell, no package manager, user 65532. Two layers (base, agent), written as
// tar streams with sorted names, fixed owners and the commit's time, gzip without names or times,
// so the same inputs give the same digest. The result is an OCI image layout in a tar archive
// (skopeo's and podman's "oci-archive:") with its SBOM beside it, in dist/image/.
//
//   node tools/image/build.mjs [--arch amd64|arm64]
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { revision as computeRevision } from '../revision.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
process.chdir(ROOT);
const spec = JSON.parse(fs.readFileSync('tools/image/image.json', 'utf8'));
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));

const argArch = process.argv.indexOf('--arch') > 0 ? process.argv[process.argv.indexOf('--arch') + 1] : undefined;
const ARCH = argArch ?? { x64: 'amd64', arm64: 'arm64' }[process.arch];
if (!spec.node.packages[ARCH]) fail(`no image for architecture ${ARCH ?? process.arch}: tools/image/image.json knows ${Object.keys(spec.node.packages).join(', ')}`);
const TRIPLET = { amd64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[ARCH];

const WORK = path.join(ROOT, '.tmp/image', ARCH);
const CACHE = path.join(ROOT, '.tmp/image/cache');
const OUT = path.join(ROOT, 'dist/image');
const NAME = `${spec.name}-${pkg.version}-linux-${ARCH}`;
// File times and the config's "created": the commit's time, so a rebuild of a commit is identical.
const EPOCH = Number(process.env.SOURCE_DATE_EPOCH ?? git('log', '-1', '--format=%ct') ?? 0);

function fail(message) {
  process.stderr.write(`error: make image: ${message}\n`);
  process.exit(1);
}
function git(...args) {
  const r = spawnSync('git', args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}`);
  return r.stdout;
}
const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const step = (what) => process.stdout.write(`image: ${what}\n`);

if (!fs.existsSync('dist/exporter.mjs')) fail('dist/exporter.mjs is missing: run make build first');
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(CACHE, { recursive: true });
fs.mkdirSync(OUT, { recursive: true });

// --- Debian packages, through apt with its own state (lists, cache) for the target architecture.
function aptOptions() {
  const dir = path.join(ROOT, '.tmp/image/apt', ARCH);
  for (const d of ['lists/partial', 'archives/partial', 'etc/preferences.d', 'etc/apt.conf.d']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const status = path.join(dir, 'status');
  if (!fs.existsSync(status)) fs.writeFileSync(status, '');
  fs.writeFileSync(path.join(dir, 'etc/sources.list'), spec.debian.sources.map((s) => `deb [arch=${ARCH} signed-by=${spec.debian.keyring}] ${s}\n`).join(''));
  return [
    `-oAPT::Architecture=${ARCH}`,
    `-oAPT::Architectures=${ARCH}`,
    `-oDir::State::Lists=${dir}/lists`,
    `-oDir::State::status=${status}`,
    `-oDir::Cache=${dir}`,
    `-oDir::Cache::archives=${dir}/archives`,
    `-oDir::Etc::SourceList=${dir}/etc/sources.list`,
    `-oDir::Etc::SourceParts=${dir}/etc/none`,
    `-oDir::Etc::Preferences=${dir}/etc/none`,
    `-oDir::Etc::PreferencesParts=${dir}/etc/preferences.d`,
    `-oDir::Etc::Parts=${dir}/etc/apt.conf.d`,
    // apt drops to _apt to download, which cannot write into this tree; it is a build directory.
    '-oAPT::Sandbox::User=root',
    '-oAcquire::Languages=none',
    '-qq',
  ];
}

function debianPackages() {
  for (const tool of ['apt-get', 'apt-cache', 'dpkg-deb']) if (spawnSync('which', [tool]).status !== 0) fail(`${tool} is missing: make image builds on Debian (or Ubuntu)`);
  if (!fs.existsSync(spec.debian.keyring)) fail(`${spec.debian.keyring} is missing: apt-get install debian-archive-keyring`);
  const opts = aptOptions();
  step(`apt-get update for ${ARCH} (${spec.debian.sources.length} sources, signed by ${spec.debian.keyring})`);
  run('apt-get', [...opts, 'update']);
  const debs = [];
  for (const name of spec.debian.packages) {
    // The candidate (the highest version across the suites, security updates included) and its
    // SHA256 from the Packages index, which apt verified through the signed InRelease.
    const fields = Object.fromEntries(
      run('apt-cache', [...opts, 'show', '--no-all-versions', `${name}:${ARCH}`])
        .split('\n')
        .map((l) => /^([A-Za-z0-9-]+): (.*)$/.exec(l))
        .filter(Boolean)
        .map((m) => [m[1], m[2]]),
    );
    if (!fields.Version || !fields.SHA256) fail(`apt knows no ${name} for ${ARCH}`);
    const file = path.join(CACHE, `${name}_${fields.Version.replace(/:/g, '%3a')}_${fields.Architecture}.deb`);
    if (!fs.existsSync(file) || sha256(file) !== fields.SHA256) {
      run('apt-get', [...opts, 'download', `${name}:${ARCH}=${fields.Version}`], { cwd: CACHE });
    }
    const got = sha256(file);
    if (got !== fields.SHA256) fail(`${path.basename(file)}: sha256 ${got}, but apt's signed metadata says ${fields.SHA256}`);
    debs.push({ name, version: fields.Version, arch: fields.Architecture, sha256: got, file, source: fields.Source?.split(' ')[0] ?? name });
  }
  step(`debian: ${debs.map((d) => `${d.name} ${d.version}`).join(', ')} (sha256 checked against apt's signed metadata)`);
  return debs;
}

// --- Node.js from the npm registry, through npm, checked against the pinned integrity.
function nodePackage() {
  const { name, integrity } = spec.node.packages[ARCH];
  const file = path.join(CACHE, `${name}-${spec.node.version}.tgz`);
  const check = () => `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
  if (!fs.existsSync(file) || check() !== integrity) {
    step(`npm pack ${name}@${spec.node.version}`);
    run('npm', ['pack', `${name}@${spec.node.version}`, '--pack-destination', CACHE, '--silent', '--no-audit', '--no-fund']);
  }
  const got = check();
  if (got !== integrity) fail(`${path.basename(file)}: integrity ${got}, but tools/image/image.json pins ${integrity}`);
  step(`node: ${name}@${spec.node.version} (${integrity.slice(0, 20)}… checked)`);
  return { name, version: spec.node.version, integrity, file };
}

// --- The base layer: the packages' files, what their maintainer scripts would have made, Node.
function baseRoot(debs, node) {
  const dir = path.join(WORK, 'base');
  fs.mkdirSync(dir, { recursive: true });
  for (const deb of debs) {
    const partial = spec.debian.partial[deb.name];
    if (partial) {
      const tmp = path.join(WORK, `deb-${deb.name}`);
      run('dpkg-deb', ['-x', deb.file, tmp]);
      for (const f of partial) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.copyFileSync(path.join(tmp, f), path.join(dir, f));
      }
      fs.mkdirSync(path.join(dir, 'usr/share/doc', deb.name), { recursive: true });
      fs.copyFileSync(path.join(tmp, 'usr/share/doc', deb.name, 'copyright'), path.join(dir, 'usr/share/doc', deb.name, 'copyright'));
    } else {
      run('dpkg-deb', ['-x', deb.file, dir]);
    }
    // What scanners read to know which packages an image has (as distroless images do).
    const control = run('dpkg-deb', ['-f', deb.file]);
    fs.mkdirSync(path.join(dir, 'var/lib/dpkg/status.d'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'var/lib/dpkg/status.d', deb.name), `${control.trimEnd()}\nStatus: install ok installed\n`);
  }
  if (fs.existsSync(path.join(dir, 'usr/lib/os-release'))) fs.symlinkSync('../usr/lib/os-release', path.join(dir, 'etc/os-release'));
  // Only the copyright files of the documentation: changelogs, manuals and lintian data go.
  for (const d of fs.readdirSync(path.join(dir, 'usr/share/doc'))) {
    if (!fs.lstatSync(path.join(dir, 'usr/share/doc', d)).isDirectory()) continue; // libgcc-s1 → gcc-12-base
    for (const f of fs.readdirSync(path.join(dir, 'usr/share/doc', d))) if (f !== 'copyright') fs.rmSync(path.join(dir, 'usr/share/doc', d, f), { recursive: true });
  }
  for (const d of ['usr/share/man', 'usr/share/info', 'usr/share/lintian']) fs.rmSync(path.join(dir, d), { recursive: true, force: true });

  // ca-certificates' postinst (update-ca-certificates) builds the bundle from every certificate it
  // ships, in name order; dpkg-deb -x runs no scripts, so do that here.
  const mozilla = path.join(dir, 'usr/share/ca-certificates/mozilla');
  const certs = fs
    .readdirSync(mozilla)
    .filter((f) => f.endsWith('.crt'))
    .sort();
  fs.mkdirSync(path.join(dir, 'etc/ssl/certs'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc/ssl/certs/ca-certificates.crt'), certs.map((f) => `${fs.readFileSync(path.join(mozilla, f), 'utf8').trimEnd()}\n`).join(''));

  // Users: root, nobody, and nonroot (65532), as distroless names them; no login shells.
  fs.writeFileSync(
    path.join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n',
  );
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n');
  fs.writeFileSync(path.join(dir, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  for (const d of ['home/nonroot', 'root', 'host']) fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.chmodSync(path.join(dir, 'root'), 0o700);

  const tmp = path.join(WORK, 'node');
  fs.mkdirSync(tmp, { recursive: true });
  run('tar', ['-xzf', node.file, '-C', tmp, 'package/bin/node', 'package/LICENSE']);
  fs.mkdirSync(path.join(dir, 'usr/local/bin'), { recursive: true });
  fs.copyFileSync(path.join(tmp, 'package/bin/node'), path.join(dir, 'usr/local/bin/node'));
  fs.chmodSync(path.join(dir, 'usr/local/bin/node'), 0o755);
  fs.mkdirSync(path.join(dir, 'usr/share/doc/nodejs'), { recursive: true });
  fs.copyFileSync(path.join(tmp, 'package/LICENSE'), path.join(dir, 'usr/share/doc/nodejs/LICENSE'));

  // The binary must find its libraries in this tree: what a mismatch of libc or libstdc++ would
  // be is cheaper to learn here than in a CrashLoopBackOff.
  if (spawnSync('which', ['readelf']).status !== 0) return dir; // binutils absent: make image-smoke runs it anyway
  const needed = [...run('readelf', ['-d', path.join(dir, 'usr/local/bin/node')]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const libdirs = [`lib/${TRIPLET}`, `usr/lib/${TRIPLET}`];
  const missing = needed.filter((lib) => !libdirs.some((d) => fs.existsSync(path.join(dir, d, lib))));
  if (missing.length) fail(`node needs ${missing.join(', ')}, which the base packages do not provide`);
  return dir;
}

// --- The agent layer: the exporter's bundle and the chunks it loads, nothing of the plugin's.
function appRoot() {
  const dir = path.join(WORK, 'app');
  const dist = path.join(dir, 'app/dist');
  fs.mkdirSync(dist, { recursive: true });
  const files = new Set();
  const visit = (file) => {
    if (files.has(file)) return;
    files.add(file);
    const code = fs.readFileSync(path.join('dist', file), 'utf8');
    for (const m of code.matchAll(/["']\.\/([\w.-]+\.mjs)["']/g)) visit(m[1]);
  };
  visit('exporter.mjs');
  for (const f of files) fs.copyFileSync(path.join('dist', f), path.join(dist, f));
  fs.copyFileSync('dist/THIRD_PARTY_NOTICES.txt', path.join(dist, 'THIRD_PARTY_NOTICES.txt'));
  fs.copyFileSync('LICENSE', path.join(dir, 'app/LICENSE'));
  return { dir, files: [...files].sort() };
}

// --- Layers and the OCI layout.
const blobs = path.join(WORK, 'layout/blobs/sha256');
function blob(buffer) {
  const digest = crypto.createHash('sha256').update(buffer).digest('hex');
  fs.writeFileSync(path.join(blobs, digest), buffer);
  return { digest: `sha256:${digest}`, size: buffer.length };
}
const TAR = ['--sort=name', '--format=posix', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', `--mtime=@${EPOCH}`, '--owner=0', '--group=0', '--numeric-owner'];
function layer(dir, name) {
  const tar = path.join(WORK, `${name}.tar`);
  run('tar', [...TAR, '-C', dir, '-cf', tar, '.']);
  const diffId = `sha256:${sha256(tar)}`;
  const gz = execFileSync('gzip', ['-n', '-6', '-c', tar], { maxBuffer: 1 << 30 });
  fs.rmSync(tar);
  return { ...blob(gz), diffId, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
}

const debs = debianPackages();
const node = nodePackage();
fs.mkdirSync(blobs, { recursive: true });
step('assembling the root filesystem');
const base = layer(baseRoot(debs, node), 'base');
const app = appRoot();
const agent = layer(app.dir, 'app');
const revision = computeRevision();
const created = new Date(EPOCH * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const labels = {
  'org.opencontainers.image.title': spec.name,
  'org.opencontainers.image.description': 'netcheck agent: pod-network checks of its node, as Prometheus metrics and a NodeReport',
  'org.opencontainers.image.version': pkg.version,
  'org.opencontainers.image.revision': revision,
  'org.opencontainers.image.licenses': pkg.license,
  'org.opencontainers.image.source': 'https://github.com/netcheck/netcheck',
  'org.opencontainers.image.base.name': `debian:${spec.debian.release} packages (${debs.map((d) => d.name).join(', ')}) + node ${node.version}`,
};
const config = {
  created,
  architecture: ARCH,
  os: 'linux',
  config: { ...spec.config, Labels: labels },
  rootfs: { type: 'layers', diff_ids: [base.diffId, agent.diffId] },
  history: [
    { created, created_by: `tools/image/build.mjs: ${debs.map((d) => `${d.name}=${d.version}`).join(' ')} ${node.name}@${node.version}`, comment: 'base' },
    { created, created_by: `tools/image/build.mjs: dist/ ${app.files.join(' ')} (${revision})`, comment: 'agent' },
  ],
};
const configBlob = { ...blob(Buffer.from(JSON.stringify(config))), mediaType: 'application/vnd.oci.image.config.v1+json' };
const strip = ({ mediaType, digest, size }) => ({ mediaType, digest, size });
const manifest = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: strip(configBlob),
  layers: [strip(base), strip(agent)],
  annotations: { 'org.opencontainers.image.created': created, 'org.opencontainers.image.version': pkg.version, 'org.opencontainers.image.revision': revision },
};
const manifestBlob = blob(Buffer.from(JSON.stringify(manifest)));
const index = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    {
      mediaType: manifest.mediaType,
      ...manifestBlob,
      platform: { architecture: ARCH, os: 'linux' },
      annotations: { 'org.opencontainers.image.ref.name': pkg.version },
    },
  ],
};
fs.writeFileSync(path.join(WORK, 'layout/index.json'), JSON.stringify(index));
fs.writeFileSync(path.join(WORK, 'layout/oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
const archive = path.join(OUT, `${NAME}.oci.tar`);
run('tar', [...TAR, '-C', path.join(WORK, 'layout'), '-cf', archive, 'oci-layout', 'index.json', 'blobs']);
fs.rmSync(path.join(WORK, 'layout'), { recursive: true });

// --- The SBOM: the bundle's npm packages (dist/exporter.sbom.cdx.json), Debian's packages, Node.
const bundle = JSON.parse(fs.readFileSync('dist/exporter.sbom.cdx.json', 'utf8'));
const distro = `debian-${spec.debian.release}`;
const debPurl = (d) => `pkg:deb/debian/${encodeURIComponent(d.name)}@${encodeURIComponent(d.version)}?arch=${d.arch}&distro=${distro}`;
const nodePurl = `pkg:generic/node@${node.version}?download_url=${encodeURIComponent(`https://registry.npmjs.org/${node.name}/-/${node.name}-${node.version}.tgz`)}`;
const imageRef = `pkg:oci/${spec.name}@${encodeURIComponent(manifestBlob.digest)}?arch=${ARCH}`;
const sbom = {
  ...bundle,
  metadata: {
    tools: { components: [{ type: 'application', name: 'tools/image/build.mjs' }] },
    component: { type: 'container', 'bom-ref': imageRef, name: spec.name, version: pkg.version, purl: imageRef, hashes: [{ alg: 'SHA-256', content: manifestBlob.digest.slice(7) }] },
  },
  components: [
    { ...bundle.metadata.component, type: 'application' },
    ...bundle.components,
    ...debs.map((d) => ({ type: 'library', 'bom-ref': debPurl(d), name: d.name, version: d.version, purl: debPurl(d), hashes: [{ alg: 'SHA-256', content: d.sha256 }] })),
    {
      type: 'application',
      'bom-ref': nodePurl,
      name: 'node',
      version: node.version,
      licenses: [{ license: { id: 'MIT' } }],
      purl: nodePurl,
      hashes: [{ alg: 'SHA-512', content: Buffer.from(node.integrity.slice(7), 'base64').toString('hex') }],
    },
  ],
  dependencies: [{ ref: imageRef, dependsOn: [bundle.metadata.component['bom-ref'], ...debs.map(debPurl), nodePurl] }, ...bundle.dependencies],
};
fs.writeFileSync(path.join(OUT, `${NAME}.cdx.json`), `${JSON.stringify(sbom, null, 2)}\n`);
fs.writeFileSync(path.join(OUT, `${NAME}.digest`), `${manifestBlob.digest}\n`);
fs.rmSync(WORK, { recursive: true });

const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
process.stdout.write(
  [
    `image: ${path.relative(ROOT, archive)} (${mib(fs.statSync(archive).size)}; layers ${mib(base.size)} + ${mib(agent.size)} compressed)`,
    `image: sbom ${path.relative(ROOT, path.join(OUT, `${NAME}.cdx.json`))}`,
    `image: digest ${manifestBlob.digest}`,
    `image: push it and pin it: skopeo copy --preserve-digests oci-archive:${path.relative(ROOT, archive)} docker://REGISTRY/${spec.name}:${pkg.version}`,
    `       then in your kustomization: images: [{name: ${spec.name}, newName: REGISTRY/${spec.name}, digest: ${manifestBlob.digest}}]`,
    '',
  ].join('\n'),
);
