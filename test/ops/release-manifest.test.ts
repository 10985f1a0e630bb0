// tools/release-manifest.mjs: deploy/ rendered by kubectl's kustomize into one file, the agent
// pinned by digest (the index make image-index prints; tools/image/push-smoke.mjs pushes it to a
// real registry and checks the same pin in .ci/run).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';

const ROOT = path.resolve(__dirname, '../..');
const DIGEST = `sha256:${'ab12'.repeat(16)}`;
const render = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'tools/release-manifest.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, IMAGE: '', DIGEST: '' } });

test('every workload names the image by repository and digest, no tag; the file applies as one', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'netcheck-release-')), 'netcheck.yaml');
  const r = render(['--image', 'registry.example.com:5000/team/netcheck-agent', '--digest', DIGEST, '--out', out]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const docs = yaml.loadAll(fs.readFileSync(out, 'utf8')) as { kind: string; spec?: { template?: { spec: { containers: { image: string }[] } } } }[];
  const images = docs.flatMap((d) => d.spec?.template?.spec.containers.map((c) => c.image) ?? []);
  expect(images).toEqual([`registry.example.com:5000/team/netcheck-agent@${DIGEST}`]);
  // The same objects as deploy/ (kubectl apply -k deploy/): nothing added or lost.
  const base = spawnSync('kubectl', ['kustomize', path.join(ROOT, 'deploy')], { encoding: 'utf8' });
  const kinds = (text: string) => (yaml.loadAll(text) as { kind: string; metadata: { name: string } }[]).map((d) => `${d.kind}/${d.metadata.name}`).sort();
  expect(kinds(fs.readFileSync(out, 'utf8'))).toEqual(kinds(base.stdout));
});

test.each([
  [['--image', 'registry.example.com/netcheck-agent:0.1.0', '--digest', DIGEST], /is not an image repository \(host\/path, no tag\)/],
  [['--image', 'registry.example.com/x;reboot', '--digest', DIGEST], /is not an image repository/],
  [['--image', 'registry.example.com/netcheck-agent', '--digest', 'sha256:abc'], /is not a sha256 digest/],
  [['--digest', DIGEST], /--image REPOSITORY .* is required/],
])('%j: one line, exit 1', (args, message) => {
  const r = render(args);
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
});
