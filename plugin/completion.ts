// Shell completion. kubectl (1.26+) completes `kubectl netcheck <TAB>` by running
// kubectl_complete-netcheck with the words typed after "netcheck" and the word being completed,
// and reading Cobra's __complete protocol: one candidate a line ("value\tdescription"), then
// ":<directive>". The bash, zsh and fish scripts of `completion` speak the same protocol to
// `kubectl-netcheck __complete`, for the plugin run on its own.

/** Cobra's ShellCompDirective values that we use. */
const DEFAULT = 0; // the shell may complete file names
const NO_FILE = 4; // ShellCompDirectiveNoFileComp

const COMMANDS: [string, string][] = [
  ['node', 'every check for one node, with evidence and the fix'],
  ['nodes', 'every node, one row each'],
  ['version', 'print the version'],
  ['completion', 'print a shell completion script'],
];

/** Flags that take a value, and what completes it. */
const VALUE_FLAGS: Record<string, 'output' | 'context' | 'cluster' | 'user' | 'file' | 'namespace' | 'none'> = {
  '--kubeconfig': 'file',
  '--context': 'context',
  '--cluster': 'cluster',
  '--user': 'user',
  '--server': 'none',
  '-s': 'none',
  '--token': 'none',
  '--as': 'none',
  '--as-group': 'none',
  '--as-uid': 'none',
  '--certificate-authority': 'file',
  '--client-certificate': 'file',
  '--client-key': 'file',
  '--tls-server-name': 'none',
  '--request-timeout': 'none',
  '--output': 'output',
  '-o': 'output',
  '--selector': 'none',
  '-l': 'none',
  '--agent-namespace': 'namespace',
};
const BOOLEAN_FLAGS = ['--insecure-skip-tls-verify', '--no-agent', '--no-color', '--version', '--help'];

const line = (values: (string | [string, string])[], directive: number) => `${values.map((v) => (Array.isArray(v) ? `${v[0]}\t${v[1]}` : v)).join('\n')}${values.length ? '\n' : ''}:${directive}\n`;

/**
 * Candidates for the last of `words` (the word being completed; the others are complete). Names
 * from the cluster (nodes, namespaces) are looked up with the connection flags already typed, with
 * a short deadline: a slow or unreachable cluster completes nothing rather than hanging the shell.
 */
export async function complete(words: string[]): Promise<string> {
  const current = words.at(-1) ?? '';
  const done = words.slice(0, -1);
  const previous = done.at(-1);
  const starts = (v: string | [string, string]) => (Array.isArray(v) ? v[0] : v).startsWith(current);
  const valueKind = previous !== undefined && VALUE_FLAGS[previous];
  if (valueKind) return completeValue(valueKind, current, done);
  if (current.startsWith('-')) {
    const eq = /^(--[a-z-]+)=(.*)$/.exec(current);
    if (eq && VALUE_FLAGS[eq[1]]) {
      const values = await completeValues(VALUE_FLAGS[eq[1]], eq[2], done);
      return line(
        values.filter((v) => v.startsWith(eq[2])).map((v) => `${eq[1]}=${v}`),
        NO_FILE,
      );
    }
    return line(
      [...Object.keys(VALUE_FLAGS), ...BOOLEAN_FLAGS].filter((f) => f.startsWith('--') && f.startsWith(current)),
      NO_FILE,
    );
  }
  const positionals = positionalsOf(done);
  if (positionals.length === 0) return line(COMMANDS.filter(starts), NO_FILE);
  if (positionals[0] === 'completion' && positionals.length === 1) return line(['bash', 'zsh', 'fish'].filter(starts), NO_FILE);
  if (positionals[0] === 'node' && positionals.length === 1) return line((await clusterNames('nodes', done)).filter(starts), NO_FILE);
  return line([], NO_FILE);
}

function positionalsOf(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (VALUE_FLAGS[w]) i++;
    else if (!w.startsWith('-')) out.push(w);
  }
  return out;
}

async function completeValue(kind: (typeof VALUE_FLAGS)[string], current: string, done: string[]): Promise<string> {
  if (kind === 'file') return line([], DEFAULT);
  return line(
    (await completeValues(kind, current, done)).filter((v) => v.startsWith(current)),
    NO_FILE,
  );
}

async function completeValues(kind: (typeof VALUE_FLAGS)[string], _current: string, done: string[]): Promise<string[]> {
  switch (kind) {
    case 'output':
      return ['table', 'wide', 'json', 'yaml'];
    case 'context':
    case 'cluster':
    case 'user': {
      try {
        const { loadKubeconfig } = await import('../src/kubeapi/kubeconfig');
        const merged = loadKubeconfig(flagValue(done, '--kubeconfig'));
        return [...(kind === 'context' ? merged.contexts : kind === 'cluster' ? merged.clusters : merged.users).keys()].sort();
      } catch {
        return [];
      }
    }
    case 'namespace':
      return clusterNames('namespaces', done);
    default:
      return [];
  }
}

function flagValue(words: string[], ...names: string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const eq = /^(--?[a-z-]+)=(.*)$/.exec(words[i]);
    if (eq && names.includes(eq[1])) value = eq[2];
    else if (names.includes(words[i])) value = words[++i];
  }
  return value;
}

/** The whole lookup of names, every page included: past it, completion offers what it has. */
const COMPLETION_DEADLINE_MS = 5_000;
/** Metadata only, with plain JSON for servers that do not serve it. */
export const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/** Names of nodes or namespaces, with the connection flags typed so far; [] on any failure. */
async function clusterNames(resource: 'nodes' | 'namespaces', words: string[]): Promise<string[]> {
  try {
    const { KubeClient } = await import('../src/kubeapi/kube-client');
    const groups: string[] = [];
    for (let i = 0; i < words.length; i++) if (words[i] === '--as-group') groups.push(words[i + 1] ?? '');
    const client = await KubeClient.load({
      connection: {
        kubeconfig: flagValue(words, '--kubeconfig'),
        context: flagValue(words, '--context'),
        cluster: flagValue(words, '--cluster'),
        user: flagValue(words, '--user'),
        server: flagValue(words, '--server', '-s'),
        token: flagValue(words, '--token'),
        as: flagValue(words, '--as'),
        asGroups: groups,
        asUid: flagValue(words, '--as-uid'),
        insecureSkipTlsVerify: words.includes('--insecure-skip-tls-verify') || words.includes('--insecure-skip-tls-verify=true'),
        certificateAuthority: flagValue(words, '--certificate-authority'),
        clientCertificate: flagValue(words, '--client-certificate'),
        clientKey: flagValue(words, '--client-key'),
        tlsServerName: flagValue(words, '--tls-server-name'),
      },
      requestTimeoutMs: COMPLETION_DEADLINE_MS,
    });
    // Names only (metadata, as `kubectl get -o name` asks): a 5,000-node list is kilobytes, not the
    // hundreds of megabytes of whole Node objects; pages until the deadline, then what it has.
    const { withQuery } = await import('../src/kubeapi/kube-client');
    const deadline = Date.now() + COMPLETION_DEADLINE_MS;
    const names: string[] = [];
    let token: string | undefined;
    do {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const page = await Promise.race([
        client.get<{ items?: { metadata?: { name?: string } }[]; metadata?: { continue?: string } }>(withQuery(`/api/v1/${resource}`, { limit: '500', continue: token }), METADATA_ONLY),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), left).unref()),
      ]);
      if (!page) break;
      for (const i of page.items ?? []) if (i.metadata?.name) names.push(i.metadata.name);
      token = page.metadata?.continue || undefined;
    } while (token);
    return names.sort();
  } catch {
    return [];
  }
}

/** `completion bash|zsh|fish`: scripts that ask `kubectl-netcheck __complete` for candidates. */
export function completionScript(shell: string): string | undefined {
  switch (shell) {
    case 'bash':
      return `# bash completion for kubectl-netcheck: source <(kubectl-netcheck completion bash)
_kubectl_netcheck() {
  local cur=\${COMP_WORDS[COMP_CWORD]} out directive
  out=$(kubectl-netcheck __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
  directive=\${out##*:}
  out=\${out%:*}
  COMPREPLY=()
  if [ "$directive" = 0 ] && [ -z "$out" ]; then
    compopt -o default 2>/dev/null
    return
  fi
  local IFS=$'\\n' candidate
  for candidate in $out; do
    candidate=\${candidate%%$'\\t'*}
    [[ $candidate == "$cur"* ]] && COMPREPLY+=("$candidate")
  done
}
complete -F _kubectl_netcheck kubectl-netcheck
`;
    case 'zsh':
      return `#compdef kubectl-netcheck
# zsh completion for kubectl-netcheck: source <(kubectl-netcheck completion zsh)
_kubectl_netcheck() {
  local -a lines candidates
  lines=("\${(@f)$(kubectl-netcheck __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  local directive=\${lines[-1]#:}
  lines=("\${(@)lines[1,-2]}")
  if [[ $directive == 0 && -z \${lines[1]} ]]; then
    _files
    return
  fi
  local l
  for l in $lines; do
    [[ -n $l ]] && candidates+=("\${\${l%%$'\\t'*}//:/\\\\:}:\${l#*$'\\t'}")
  done
  _describe 'kubectl-netcheck' candidates
}
compdef _kubectl_netcheck kubectl-netcheck
`;
    case 'fish':
      return `# fish completion for kubectl-netcheck: kubectl-netcheck completion fish | source
function __kubectl_netcheck_complete
    set -l args (commandline -opc)[2..-1] (commandline -ct)
    set -l out (kubectl-netcheck __complete $args 2>/dev/null)
    set -l directive (string replace ':' '' -- $out[-1])
    if test "$directive" = 0 -a (count $out) -eq 1
        __fish_complete_path (commandline -ct)
        return
    end
    printf '%s\\n' $out[1..-2]
end
complete -c kubectl-netcheck -f -a '(__kubectl_netcheck_complete)'
`;
    default:
      return undefined;
  }
}
