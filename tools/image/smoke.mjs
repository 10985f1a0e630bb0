// make image-smoke: the image as the kubelet would run it, without a container runtime. umoci (an
// OCI tool from Debian) checks every blob against its digest and unpacks the archive into a
// runtime bundle; the agent then runs from that root filesystem, read-only, in fresh mount, PID,
// IPC, UTS and network namespaces, as the image's user, with the image's entrypoint and the
// DaemonSet's own arguments, a fixture host mounted read-only at /host. It asserts what a node
// would see: --version, /metrics with the host checks answered, the user, SIGTERM as PID 1.
//
// An image for another architecture than this machine's (make image-smoke-arm64) runs the same
// way under Debian's qemu-user-static: the emulator, a static binary, is bound into the root
// filesystem and runs the image's entrypoint there (no binfmt_misc registration on the machine).
//
//   node tools/image/smoke.mjs [--arch amd64|arm64] [archive]     (root: namespaces, mounts and chroot need it)
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools/image/image.json'), 'utf8'));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const HOST_ARCH = { x64: 'amd64', arm64: 'arm64' }[process.arch];
const args = process.argv.slice(2);
const archAt = args.indexOf('--arch');
const ARCH = archAt >= 0 ? args.splice(archAt, 2)[1] : HOST_ARCH;
const ARCHIVE = args[0] ?? path.join(ROOT, 'dist/image', `${spec.name}-${pkg.version}-linux-${ARCH}.oci.tar`);
// The emulator for an image of another architecture, and where it sits inside the root filesystem.
const QEMU = { amd64: 'qemu-x86_64-static', arm64: 'qemu-aarch64-static' }[ARCH];
const EMULATED = ARCH !== HOST_ARCH;
const EMULATOR_IN_ROOT = '/.netcheck-smoke-qemu';
// An emulated Node starts and runs its checks several times slower.
const READY_MS = EMULATED ? 180_000 : 30_000;
const FIXTURE = path.join(ROOT, 'test/fixtures/hosts/healthy-flannel');
const NETNS = `nc25-smoke-${process.pid}`;
const started = Date.now();

const failures = [];
let log = '';
function fail(message) {
  process.stderr.write(`error: make image-smoke: ${message}\n`);
  if (log) process.stderr.write(`--- the agent printed:\n${log}\n---\n`);
  cleanup();
  process.exit(1);
}
function expect(what, ok, detail = '') {
  process.stdout.write(`smoke: ${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}\n`);
  if (!ok) failures.push(what);
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !opts.allowFail) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr || r.stdout).trim()}`);
  return r;
}

if (process.getuid() !== 0) fail('needs root (namespaces, mounts, chroot): sudo make image-smoke');
if (!fs.existsSync(ARCHIVE)) fail(`${path.relative(ROOT, ARCHIVE)} is missing: run make image first`);
if (!QEMU) fail(`--arch ${ARCH}: amd64 or arm64`);
if (EMULATED && spawnSync('which', [QEMU]).status !== 0) fail(`${QEMU} is missing: an ${ARCH} image runs here under emulation (apt-get install qemu-user-static)`);
for (const tool of ['umoci', 'unshare', 'ip']) if (spawnSync('which', [tool]).status !== 0) fail(`${tool} is missing (apt-get install umoci util-linux iproute2)`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-image-smoke-'));
let agent;
function cleanup() {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  spawnSync('ip', ['netns', 'delete', NETNS], { stdio: 'ignore' });
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => fail(`interrupted by ${sig}`));

// --- The archive: an OCI layout whose index names this version; umoci verifies and unpacks it.
const layout = path.join(tmp, 'layout');
fs.mkdirSync(layout);
run('tar', ['-xf', ARCHIVE, '-C', layout]);
const blob = (digest) => JSON.parse(fs.readFileSync(path.join(layout, 'blobs/sha256', digest.replace(/^sha256:/, '')), 'utf8'));
const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === pkg.version);
if (!desc) fail(`the archive's index names no image ${pkg.version}`);
const config = blob(blob(desc.digest).config.digest);
const bundle = path.join(tmp, 'bundle');
run('umoci', ['unpack', '--image', `${layout}:${pkg.version}`, bundle]);
const runtime = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
const rootfs = path.join(bundle, 'rootfs');

expect('platform', config.os === 'linux' && config.architecture === ARCH, `${config.os}/${config.architecture}`);
expect('non-root user 65532 in the image config', config.config.User === '65532:65532', config.config.User);
expect('umoci runs it as uid 65532, gid 65532', runtime.process.user.uid === 65532 && runtime.process.user.gid === 65532, JSON.stringify(runtime.process.user));
expect('the entrypoint is the one tools/image/image.json declares', JSON.stringify(config.config.Entrypoint) === JSON.stringify(spec.config.Entrypoint), config.config.Entrypoint.join(' '));
const daemonset = yaml.load(fs.readFileSync(path.join(ROOT, 'deploy/base/daemonset.yaml'), 'utf8'));
const container = daemonset.spec.template.spec.containers[0];
// The DaemonSet sets args only: the kubelet runs the image's entrypoint with them.
expect('the DaemonSet keeps the image entrypoint (args, no command)', !container.command && Array.isArray(container.args), (container.args ?? []).join(' '));
const argv = [...config.config.Entrypoint, ...(container.args ?? [])];
expect(
  'umoci derives the same process (the entrypoint; the image has no Cmd)',
  !config.config.Cmd && JSON.stringify(runtime.process.args) === JSON.stringify(config.config.Entrypoint),
  runtime.process.args.join(' '),
);
const present = (p) => fs.existsSync(path.join(rootfs, p));
expect('distroless: no shell, no package manager', !['bin/sh', 'bin/bash', 'usr/bin/apt', 'usr/bin/dpkg'].some(present));
expect('the node binary, CA bundle and the exporter are there', ['usr/local/bin/node', 'etc/ssl/certs/ca-certificates.crt', 'app/dist/exporter.mjs'].every(present));

// --- Run it: the root filesystem read-only, /proc and a minimal /dev, the fixture host at /host.
for (const d of ['proc', 'dev']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
// The emulator is bound over an empty file of the unpacked copy, after the checks above.
if (EMULATED) fs.writeFileSync(path.join(rootfs, EMULATOR_IN_ROOT), '');
const SETUP = [
  'set -e',
  'R="$1"; H="$2"; Q="$3"; shift 3',
  'mount --bind "$R" "$R"',
  'mount -o remount,bind,ro "$R"',
  'mount -t proc proc "$R/proc"',
  'mount -t tmpfs -o nosuid,mode=0755,size=64k tmpfs "$R/dev"',
  'for d in null zero random urandom; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done',
  'mount -o remount,ro,nosuid,nodev,noexec "$R/dev"',
  '[ -z "$H" ] || { mount --bind "$H" "$R/host"; mount -o remount,bind,ro "$R/host"; }',
  '[ -z "$Q" ] || { mount --bind "$Q" "$R/.netcheck-smoke-qemu"; mount -o remount,bind,ro "$R/.netcheck-smoke-qemu"; }',
  'exec "$@"',
].join('\n');
const which = (tool) => spawnSync('which', [tool], { encoding: 'utf8' }).stdout.trim();
// `env -i` runs before the root changes: only the image's environment (and the DaemonSet's
// NODE_NAME) reaches the agent; then unshare enters the image's root, working directory and user.
const env = [...config.config.Env, 'NODE_NAME=smoke-node'];
const [uid, gid] = config.config.User.split(':');
const enter = [which('env'), '-i', ...env, which('unshare'), `--root=${rootfs}`, `--wd=${config.config.WorkingDir}`, `--setgid=${gid}`, `--setuid=${uid}`, '--'];
const emulator = EMULATED ? which(QEMU) : '';
const inImage = (args, host = '') => [
  '--mount',
  '--pid',
  '--fork',
  '--ipc',
  '--uts',
  '--',
  'sh',
  '-c',
  SETUP,
  'smoke',
  rootfs,
  host,
  emulator,
  ...enter,
  ...(EMULATED ? [EMULATOR_IN_ROOT] : []),
  ...args,
];
if (EMULATED) process.stdout.write(`smoke: ${ARCH} image on an ${HOST_ARCH} machine: run under ${QEMU}\n`);

const version = run('unshare', ['--net', ...inImage([...config.config.Entrypoint, '--version'])], { allowFail: true });
expect('--version', version.status === 0 && version.stdout.trim() === `netcheck-exporter ${pkg.version}`, (version.stdout + version.stderr).trim());

run('ip', ['netns', 'add', NETNS]);
run('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
// The namespace has loopback only: the data-plane probes would find the fixture's cluster DNS and
// Service unreachable, truly (test/netns/probes.test.ts runs them on real hosts), so they are off here.
agent = spawn('ip', ['netns', 'exec', NETNS, 'unshare', ...inImage([...argv, '--probe-interval=0'], FIXTURE)], { stdio: ['ignore', 'pipe', 'pipe'] });
agent.stdout.on('data', (c) => (log += c));
agent.stderr.on('data', (c) => (log += c));
const exited = new Promise((resolve) => agent.once('exit', (code, signal) => resolve({ code, signal })));

// Requests from inside the agent's network namespace, with this machine's Node (the image has no curl).
const FETCH = `const r = await fetch(process.argv[1]).catch((e) => ({ status: 0, text: async () => String(e.cause ?? e) })); process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() }));`;
function get(p) {
  return new Promise((resolve) =>
    execFile('ip', ['netns', 'exec', NETNS, process.execPath, '--input-type=module', '-e', FETCH, `http://127.0.0.1:9742${p}`], { encoding: 'utf8', timeout: 10_000 }, (_err, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout));
      } catch {
        resolve({ status: 0, body: stderr });
      }
    }),
  );
}
const deadline = Date.now() + READY_MS;
let ready;
while (Date.now() < deadline && agent.exitCode === null) {
  ready = await get('/readyz');
  if (ready.status === 200) break;
  await new Promise((r) => setTimeout(r, 200)); // polling readiness, not a fixed wait
}
if (ready?.status !== 200) fail(`the agent in the image did not become ready within ${READY_MS / 1000} s (last /readyz: ${ready?.status} ${ready?.body?.trim()})`);

const metrics = await get('/metrics');
expect('/metrics answers', metrics.status === 200, `${metrics.body.length} bytes`);
const sample = (re) => re.test(metrics.body);
expect(`it runs on the image's node ${spec.node.version}`, sample(new RegExp(`^netcheck_build_info\\{[^}]*runtime="node v${spec.node.version.replace(/\./g, '\\.')}"[^}]*\\} 1$`, 'm')));
// Check ids come from the registry (src/checks/), never written here: count what the report says.
const okSeries = metrics.body.split('\n').filter((l) => /^netcheck_check_status\{[^}]*status="ok"[^}]*\} 1$/.test(l)).length;
expect('the fixture host is read through /host: its host checks are ok in /metrics', okSeries >= 5, `${okSeries} checks ok`);
const checks = await get('/checks');
const report = checks.status === 200 ? JSON.parse(checks.body) : { checks: [] };
expect('/checks answers on loopback with the NodeReport', report.node === 'smoke-node');
// A healthy host without a cluster: what the API would tell is unknown, never a failure.
const statuses = {};
for (const c of report.checks) (statuses[c.status] ??= []).push(c);
expect(
  'no check fails on a healthy host without the API; the API checks are unknown',
  !statuses.fail && (statuses.unknown?.length ?? 0) > 0 && (statuses.ok?.length ?? 0) >= 5,
  Object.entries(statuses)
    .map(([k, v]) => `${k} ${v.length}`)
    .join(', '),
);
expect('/healthz', (await get('/healthz')).status === 200);
expect('it logs that it runs without the API, and where the host is', /running without the Kubernetes API/.test(log) && /"hostRoot":"\/host"/.test(log));

// The agent's own process: find it by its network namespace, read its credentials from /proc.
const nsInode = fs.statSync(`/run/netns/${NETNS}`).ino;
const pid = fs
  .readdirSync('/proc')
  .filter((p) => /^\d+$/.test(p))
  .find((p) => {
    try {
      return (
        fs.statSync(`/proc/${p}/ns/net`).ino === nsInode &&
        fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('/app/dist/exporter.mjs') &&
        fs.readlinkSync(`/proc/${p}/exe`).endsWith(EMULATED ? EMULATOR_IN_ROOT : '/usr/local/bin/node')
      );
    } catch {
      return false;
    }
  });
if (!pid) fail('the agent process was not found in its namespace');
const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
const field = (name) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1].trim();
expect(
  'the process runs as uid 65532 and gid 65532, no other groups',
  /^65532\s+65532\s+65532\s+65532$/.test(field('Uid')) && /^65532\s+65532\s+65532\s+65532$/.test(field('Gid')) && field('Groups') === '',
  `Uid ${field('Uid')}, Groups "${field('Groups')}"`,
);
expect('PID 1 in its namespace, as in a pod', field('NSpid')?.split(/\s+/).pop() === '1', `NSpid ${field('NSpid')}`);
const rss = Number(field('VmRSS')?.split(/\s+/)[0]) / 1024;
// Under emulation the process is the emulator, its translated code included: not the agent's footprint.
if (EMULATED) process.stdout.write(`smoke: info the emulator's resident memory once ready: ${rss.toFixed(0)} MiB (not the agent's footprint)\n`);
else expect('its resident memory once ready', rss > 0 && rss < 128, `${rss.toFixed(0)} MiB`);

// SIGTERM, as the kubelet sends it: PID 1 gets no default handler, so the agent's own must end it.
const stopAt = Date.now();
process.kill(Number(pid), 'SIGTERM');
const STOP_MS = EMULATED ? 15_000 : 5000;
const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 2 * STOP_MS))]);
expect(
  `SIGTERM ends it (exit 0) within ${STOP_MS / 1000} s`,
  end?.code === 0 && Date.now() - stopAt < STOP_MS,
  end ? `exit ${end.code} after ${Date.now() - stopAt} ms` : `still running after ${(2 * STOP_MS) / 1000} s`,
);

if (failures.length) fail(`${failures.length} smoke check(s) failed: ${failures.join('; ')}`);
process.stdout.write(`smoke: ${path.relative(ROOT, ARCHIVE)} passed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
process.exit(0);
