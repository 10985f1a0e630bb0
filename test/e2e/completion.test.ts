// Completion as users get it: kubectl's plugin completion (kubectl runs kubectl_complete-netcheck),
// and the bash, zsh and fish scripts of `kubectl netcheck completion`, each run in its real shell.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PLUGIN_DIR, type Sim, startSim } from './harness';

const env = (kubeconfig: string) => ({ ...process.env, KUBECONFIG: kubeconfig, PATH: `${PLUGIN_DIR}${path.delimiter}${process.env.PATH}` });

/** `kubectl __complete netcheck ...`: what kubectl's own completion asks for `kubectl netcheck ...<TAB>`. */
function viaKubectl(kubeconfig: string, words: string[]): { candidates: string[]; directive: string } {
  const run = spawnSync('kubectl', ['__complete', 'netcheck', ...words], { encoding: 'utf8', env: env(kubeconfig), timeout: 30_000 });
  if (run.status !== 0) throw new Error(`kubectl __complete failed (${run.status}):\n${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  return { candidates: lines.slice(0, -1).map((l) => l.split('\t')[0]), directive: lines.at(-1)! };
}

function shell(command: string, args: string[], kubeconfig: string): string {
  const run = spawnSync(command, args, { encoding: 'utf8', env: env(kubeconfig), timeout: 30_000 });
  if (run.status !== 0) throw new Error(`${command} exited ${run.status}:\n${run.stderr}\n${run.stdout}`);
  return run.stdout;
}

describe('completion', () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim(['flannel-incidents.yaml']);
  });
  afterAll(() => sim.stop());

  test('kubectl completes commands, node names from the cluster, output formats, contexts and flags', () => {
    expect(viaKubectl(sim.kubeconfig, [''])).toEqual({ candidates: ['node', 'nodes', 'version', 'completion'], directive: ':4' });
    expect(viaKubectl(sim.kubeconfig, ['node', ''])).toEqual({ candidates: ['m01', 'n01', 'n02', 'n03'], directive: ':4' });
    expect(viaKubectl(sim.kubeconfig, ['node', 'n0']).candidates).toEqual(['n01', 'n02', 'n03']);
    expect(viaKubectl(sim.kubeconfig, ['node', 'n01', '']).candidates).toEqual([]); // one node per run
    expect(viaKubectl(sim.kubeconfig, ['nodes', '-o', '']).candidates).toEqual(['table', 'wide', 'json', 'yaml']);
    expect(viaKubectl(sim.kubeconfig, ['nodes', '--context', '']).candidates).toEqual(['sim']);
    expect(viaKubectl(sim.kubeconfig, ['nodes', '--out']).candidates).toEqual(['--output']);
    expect(viaKubectl(sim.kubeconfig, ['nodes', '--output=j']).candidates).toEqual(['--output=json']);
    expect(viaKubectl(sim.kubeconfig, ['completion', '']).candidates).toEqual(['bash', 'zsh', 'fish']);
    expect(viaKubectl(sim.kubeconfig, ['nodes', '--kubeconfig', '']).directive).toBe(':0'); // the shell completes file names
  });

  test('an unreachable cluster completes no node names, at once, and says nothing', () => {
    const started = Date.now();
    const run = spawnSync('kubectl', ['__complete', 'netcheck', 'node', '', '--server', 'https://127.0.0.1:1'], { encoding: 'utf8', env: env(sim.kubeconfig), timeout: 30_000 });
    expect(run.stdout).toBe(':4\n');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('bash: the script completes node names', () => {
    const script = `source <(kubectl-netcheck completion bash)
COMP_WORDS=(kubectl-netcheck node n0); COMP_CWORD=2; _kubectl_netcheck; printf '%s\\n' "\${COMPREPLY[@]}"`;
    expect(shell('bash', ['-c', script], sim.kubeconfig).trim().split('\n')).toEqual(['n01', 'n02', 'n03']);
  });

  test('zsh: the script completes commands with their descriptions', () => {
    // _describe and compdef are zsh's completion system; stand-ins print what they are given
    const script = `compdef() { :; }; _describe() { print -l -- "\${(@P)2}"; }
source <(kubectl-netcheck completion zsh)
words=(kubectl-netcheck no); CURRENT=2; _kubectl_netcheck`;
    expect(shell('zsh', ['-c', script], sim.kubeconfig).trim().split('\n')).toEqual(['node:every check for one node, with evidence and the fix', 'nodes:every node, one row each']);
  });

  test('fish: the script completes node names', () => {
    const out = shell('fish', ['-c', 'kubectl-netcheck completion fish | source; complete -C "kubectl-netcheck node n"'], sim.kubeconfig);
    expect(out.trim().split('\n')).toEqual(['n01', 'n02', 'n03']);
  });
});
