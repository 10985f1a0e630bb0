// The kubeconfig as kubectl reads it: YAML 1.1 booleans, and every field type-checked with
// kubectl's words. Each row is run through the real kubectl and through the plugin, against the
// simulated cluster (its certificate is signed by a CA the kubeconfig does not name): where
// kubectl verifies TLS, so does the plugin, and where kubectl refuses the file, the plugin refuses
// it with the same message.
import fs from 'node:fs';
import path from 'node:path';
import { kubectl, kubectlNetcheck, type Sim, startSim, tmpdir } from './harness';

let sim: Sim;
beforeAll(async () => {
  sim = await startSim(['flannel-incidents.yaml']);
});
afterAll(() => sim?.stop());

/** The sim's server and token, with `line` as the cluster's last field and no CA. */
function kubeconfig(line: string): string {
  const token = 'sim-token';
  const file = path.join(tmpdir(), 'config');
  fs.writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${sim.url}\n    ${line}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {token: ${token}}\n`,
  );
  return file;
}

/** What a client did with the file: refused it (the message), failed TLS, or connected. */
function outcome(stderr: string, code: number): string {
  const refused = /error loading config file "[^"]+": (.*)/.exec(stderr);
  if (refused) return `refused: ${refused[1].trim()}`;
  if (/x509|certificate|unknown authority/i.test(stderr)) return 'verified TLS (and refused the server)';
  if (code === 0 || code === 2) return 'connected without verifying';
  return `other: ${stderr.trim()}`;
}

const VERIFIES = 'verified TLS (and refused the server)';
const SKIPS = 'connected without verifying';
const REFUSES = (kind: string) => `refused: json: cannot unmarshal ${kind} into Go struct field Cluster.clusters.cluster.insecure-skip-tls-verify of type bool`;
/** What kubectl 1.32 does with each (YAML 1.1: no, off, n are false; yes, on, y true; quoted, a string). */
const TABLE: [string, string][] = [
  ['no', VERIFIES],
  ['off', VERIFIES],
  ['false', VERIFIES],
  ['"false"', REFUSES('string')],
  ['yes', SKIPS],
  ['1', REFUSES('number')],
  ['true', SKIPS],
  ['On', SKIPS],
  ['N', VERIFIES],
  ['y', SKIPS],
  ['"yes"', REFUSES('string')],
  ['FALSE', VERIFIES],
  ['nO', REFUSES('string')],
];

test.each(TABLE)('insecure-skip-tls-verify: %s — the plugin does what kubectl does (%s)', (value, known) => {
  const file = kubeconfig(`insecure-skip-tls-verify: ${value}`);
  const theirs = kubectl(['get', 'nodes', '--request-timeout', '10s'], file);
  const ours = kubectlNetcheck(['node', 'n01', '--no-agent', '-o', 'json', '--kubeconfig', file, '--request-timeout', '10s']);
  const expected = outcome(theirs.stderr, theirs.code);
  expect(expected).toBe(known);
  expect({ value, outcome: outcome(ours.stderr, ours.code) }).toEqual({ value, outcome: expected });
});

test.each([
  'server: yes',
  'server: 12',
  'disable-compression: "no"',
  'certificate-authority-data: 5',
  'extensions: 5',
  'insecure-skip-tls-verify: [true]',
])('a mistyped field (%s) is refused in kubectl words', (line) => {
  const file = kubeconfig(line);
  const theirs = outcome(kubectl(['get', 'nodes', '--request-timeout', '10s'], file).stderr, 1);
  expect(theirs).toMatch(/^refused: /);
  const ours = kubectlNetcheck(['node', 'n01', '--no-agent', '--kubeconfig', file]);
  expect(ours.code).toBe(1);
  expect(ours.stderr.trim().split('\n')).toHaveLength(1);
  expect(outcome(ours.stderr, ours.code)).toBe(theirs);
});
