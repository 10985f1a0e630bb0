import { parseArgs } from 'node:util';
import type { Status } from '../src/core/model';
import type { ConnectionFlags } from '../src/kubeapi/kubeconfig';
import { sanitize } from '../src/util/text';
import { parseDuration } from '../src/util/time';
import { VERSION } from '../src/version';
import type { OutputFormat } from './output';

const EXIT_OK = 0;
const EXIT_RUN_FAILED = 1;
const EXIT_CHECK_FAILED = 2;

// node:util parseArgs instead of yargs: importing yargs cost ~75 ms of a ~200 ms start-up.
const HELP = `Diagnose the pod network of Kubernetes nodes.

Usage:
  kubectl netcheck node NAME [flags]   every check for one node, with evidence and the fix
  kubectl netcheck nodes [flags]       every node (or -l SELECTOR), one row each, worst first
  kubectl netcheck version             print the version
  kubectl netcheck completion SHELL    print a bash, zsh or fish completion script
                                       (kubectl itself completes through kubectl_complete-netcheck)

Flags:
      --request-timeout DURATION  give up on an API request after this long; 0: never (default 10s)
  -o, --output FORMAT             table, wide, json or yaml (default table)
  -l, --selector SELECTOR         label selector for \`nodes\`
      --agent-namespace NS        namespace of the netcheck agent DaemonSet (default netcheck)
      --no-agent                  do not read host facts from the agent
      --no-color                  no colours (also: NO_COLOR, or output not a terminal)
      --version                   print the version (as \`version\`)
  -h, --help                      this help

Connection flags (kubectl's, with kubectl's meaning; KUBECONFIG and HTTPS_PROXY/NO_PROXY too):
      --kubeconfig PATH           path to the kubeconfig file
      --context NAME              kubeconfig context to use
      --cluster NAME              kubeconfig cluster to use
      --user NAME                 kubeconfig user to use
  -s, --server URL                the API server's address (http:// for kubectl proxy)
      --token TOKEN               bearer token
      --as USER                   impersonate this user
      --as-group GROUP            impersonate this group (repeatable)
      --as-uid UID                impersonate this UID
      --certificate-authority PATH   CA bundle to verify the server with
      --client-certificate PATH   client certificate file
      --client-key PATH           client key file
      --tls-server-name NAME      server name to verify the certificate against
      --insecure-skip-tls-verify  do not verify the server's certificate (insecure)

Exit codes: 0 no check failed, 2 a check failed, 1 the run itself failed.
`;

const OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  cluster: { type: 'string' },
  user: { type: 'string' },
  server: { type: 'string', short: 's' },
  token: { type: 'string' },
  as: { type: 'string' },
  'as-group': { type: 'string', multiple: true },
  'as-uid': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'boolean', default: false },
  'certificate-authority': { type: 'string' },
  'client-certificate': { type: 'string' },
  'client-key': { type: 'string' },
  'tls-server-name': { type: 'string' },
  'request-timeout': { type: 'string', default: '10s' },
  output: { type: 'string', short: 'o', default: 'table' },
  selector: { type: 'string', short: 'l' },
  'agent-namespace': { type: 'string', default: 'netcheck' },
  'no-agent': { type: 'boolean', default: false },
  'no-color': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const;

const FORMATS: OutputFormat[] = ['table', 'wide', 'json', 'yaml'];

class UsageError extends Error {}

interface Flags {
  connection: ConnectionFlags;
  requestTimeout: string;
  output: OutputFormat;
  selector?: string;
  agentNamespace: string;
  useAgent: boolean;
  color: boolean;
}

function parse(argv: string[]): { command?: string; args: string[]; flags: Flags; help: boolean; version: boolean } {
  const parse = () => parseArgs({ args: booleanValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'(-{1,2}[^']+)'/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown flag ${flag}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`flag ${flag} needs a value`);
    throw new UsageError(err.message.split('\n')[0]);
  }
  const { values, positionals } = parsed;
  const output = values.output as OutputFormat;
  if (!FORMATS.includes(output)) throw new UsageError(`unknown output format "${output}": use ${FORMATS.join(', ')}`);
  const flags: Flags = {
    connection: {
      kubeconfig: values.kubeconfig,
      context: values.context,
      cluster: values.cluster,
      user: values.user,
      server: values.server,
      token: values.token,
      as: values.as,
      asGroups: values['as-group'],
      asUid: values['as-uid'],
      insecureSkipTlsVerify: values['insecure-skip-tls-verify'],
      certificateAuthority: values['certificate-authority'],
      clientCertificate: values['client-certificate'],
      clientKey: values['client-key'],
      tlsServerName: values['tls-server-name'],
    },
    requestTimeout: values['request-timeout'],
    output,
    selector: values.selector,
    agentNamespace: values['agent-namespace'],
    useAgent: !values['no-agent'],
    color: !values['no-color'],
  };
  return { command: positionals[0], args: positionals.slice(1), flags, help: values.help, version: values.version };
}

/** kubectl accepts --flag=true and --flag=false for its boolean flags; so do we. */
function booleanValues(argv: string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(true|false)$/.exec(arg);
    const option = m && OPTIONS[m[1] as keyof typeof OPTIONS];
    if (m && option?.type === 'boolean') {
      if (m[2] === 'true') out.push(`--${m[1]}`);
    } else out.push(arg);
  }
  return out;
}

function useColor(flags: Flags): boolean {
  return flags.color && !!process.stdout.isTTY && !('NO_COLOR' in process.env) && (flags.output === 'table' || flags.output === 'wide');
}

async function run(flags: Flags, name: string | undefined): Promise<Status> {
  // Loaded only here, so `kubectl netcheck version` and --help never pay for the Kubernetes client.
  const [{ KubeClient }, { gatherNode }, { gatherNodes }, { evaluateWithAgent }, { Renderer }, { clusterReport }] = await Promise.all([
    import('../src/kubeapi/kube-client'),
    import('../src/gather/node'),
    import('../src/gather/nodes'),
    import('../src/engine'),
    import('./output'),
    import('../src/core/model'),
  ]);
  // kubectl's meaning: each request gives up after this long; 0 (or 0s) means never.
  const requestTimeoutMs = /^0+(\.0+)?(ms|s|m|h)?$/.test(flags.requestTimeout.trim()) ? 0 : parseDuration(flags.requestTimeout);
  const client = await KubeClient.load({ connection: flags.connection, requestTimeoutMs, keepAlive: true });
  const agentOpts = { agentNamespace: flags.agentNamespace, useAgent: flags.useAgent };
  const renderer = new Renderer(useColor(flags));
  const evaluate = ({ facts, agent }: Awaited<ReturnType<typeof gatherNode>>) => evaluateWithAgent(facts, agent);
  // NETCHECK_DEBUG_REQUESTS=1: the request timeline on stderr (ms since start, as kubectl -v=6 shows requests)
  if (process.env.NETCHECK_DEBUG_REQUESTS) client.timeline = [];
  const debug = () => {
    if (!client.timeline) return;
    for (const t of client.timeline) {
      process.stderr.write(`${t.startMs.toFixed(0).padStart(6)} → ${t.endMs.toFixed(0).padStart(6)} ms  ${t.status} ${(t.bytes / 1024).toFixed(0).padStart(6)} KiB  ${sanitize(t.what)}\n`);
    }
    process.stderr.write(`requests=${client.requests} bytes=${client.bytes} done at ${performance.now().toFixed(0)} ms\n`);
  };
  const { probersWanted, withBlame } = await import('../src/probe/blame');
  const { assemble } = await import('../src/engine');
  if (name !== undefined) {
    const gathered = await gatherNode(client, name, agentOpts);
    // Whether its probers reach it: their reports (src/report/probers.ts) judged with its own.
    // Asked only when its own agent finds its peers unreachable: `node` stays a few requests otherwise.
    const probers = flags.useAgent && probersWanted(gathered.agent) ? await (await import('../src/report/probers')).proberReports(client, name) : [];
    const [report] = withBlame([evaluate(gathered)], [...probers, ...(gathered.agent ? [gathered.agent] : [])], assemble);
    process.stdout.write(renderer.node(report, flags.output));
    debug();
    return report.status;
  }
  const gathered = await gatherNodes(client, flags.selector, agentOpts);
  // A culprit is named in its own row, from every prober's report (src/probe/blame.ts).
  const report = clusterReport(
    withBlame(
      gathered.map(evaluate),
      gathered.flatMap((g) => (g.agent ? [g.agent] : [])),
      assemble,
    ),
  );
  const order: Status[] = ['fail', 'warn', 'unknown', 'ok', 'skip'];
  report.nodes.sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status) || a.node.localeCompare(b.node));
  process.stdout.write(renderer.cluster(report, flags.output));
  debug();
  return report.status;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '__complete') {
    // Cobra's hidden command, which kubectl_complete-netcheck and the completion scripts call
    const { complete } = await import('./completion');
    process.stdout.write(await complete(argv.slice(1)));
    return EXIT_OK;
  }
  const { command, args, flags, help, version } = parse(argv);
  if (help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (version) {
    process.stdout.write(`kubectl-netcheck ${VERSION}\n`);
    return EXIT_OK;
  }
  const expectArgs = (n: number, usage: string) => {
    if (args.length !== n) throw new UsageError(`usage: kubectl netcheck ${usage}`);
  };
  switch (command) {
    case 'version':
      expectArgs(0, 'version');
      process.stdout.write(`kubectl-netcheck ${VERSION}\n`);
      return EXIT_OK;
    case 'node':
      expectArgs(1, 'node NAME [flags]');
      return (await run(flags, args[0])) === 'fail' ? EXIT_CHECK_FAILED : EXIT_OK;
    case 'nodes':
      expectArgs(0, 'nodes [-l SELECTOR] [flags]');
      return (await run(flags, undefined)) === 'fail' ? EXIT_CHECK_FAILED : EXIT_OK;
    case 'completion': {
      expectArgs(1, 'completion bash|zsh|fish');
      const { completionScript } = await import('./completion');
      const script = completionScript(args[0]);
      if (!script) throw new UsageError(`no completion for shell "${args[0]}": use bash, zsh or fish`);
      process.stdout.write(script);
      return EXIT_OK;
    }
    case undefined:
      throw new UsageError('name a command: node NAME, nodes, version or completion SHELL');
    default:
      throw new UsageError(`unknown command "${command}": use node NAME, nodes, version or completion SHELL`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    const message = e instanceof UsageError ? `${e.message} (see kubectl netcheck --help)` : e.message;
    process.stderr.write(`error: ${sanitize(message.split('\n')[0])}\n`);
    // Now, not when the requests still in flight time out too: the run has failed, and
    // --request-timeout bounds how long that takes to say.
    process.exit(EXIT_RUN_FAILED);
  },
);
