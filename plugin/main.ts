import yargs from 'yargs';
import { clusterReport, type Status } from '../src/model';
import { VERSION } from '../src/version';
import { type OutputFormat, Renderer, sanitize } from './output';

const EXIT_OK = 0;
const EXIT_RUN_FAILED = 1;
const EXIT_CHECK_FAILED = 2;

class UsageError extends Error {}

interface Flags {
  kubeconfig?: string;
  context?: string;
  'request-timeout': string;
  output: OutputFormat;
  'agent-namespace': string;
  agent: boolean;
  color: boolean;
  selector?: string;
}

function useColor(flags: Flags): boolean {
  return flags.color && !!process.stdout.isTTY && !('NO_COLOR' in process.env) && flags.output !== 'json' && flags.output !== 'yaml';
}

async function run(kind: 'node' | 'nodes', flags: Flags, name?: string): Promise<Status> {
  // Loaded only here, so `kubectl netcheck version` and --help never pay for the Kubernetes client.
  const [{ KubeClient, parseDuration }, { gatherNode, gatherNodes }, { evaluateNode, mergeAgentReport }] = await Promise.all([
    import('../src/sources/kube-client'),
    import('../src/sources/kube-facts'),
    import('../src/engine'),
  ]);
  const client = KubeClient.load({ kubeconfig: flags.kubeconfig, context: flags.context, requestTimeoutMs: parseDuration(flags['request-timeout']) });
  const agentOpts = { agentNamespace: flags['agent-namespace'], useAgent: flags.agent };
  const renderer = new Renderer(useColor(flags));
  const evaluate = ({ facts, agent }: Awaited<ReturnType<typeof gatherNode>>) => {
    const report = evaluateNode(facts);
    return agent ? mergeAgentReport(report, agent) : report;
  };
  if (kind === 'node') {
    const report = evaluate(await gatherNode(client, name!, agentOpts));
    process.stdout.write(renderer.node(report, flags.output));
    if (process.env.NETCHECK_DEBUG_REQUESTS) process.stderr.write(`requests=${client.requests} bytes=${client.bytes}\n`);
    return report.status;
  }
  const report = clusterReport((await gatherNodes(client, flags.selector, agentOpts)).map(evaluate));
  const order: Status[] = ['fail', 'warn', 'unknown', 'ok', 'skip'];
  report.nodes.sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status) || a.node.localeCompare(b.node));
  process.stdout.write(renderer.cluster(report, flags.output));
  if (process.env.NETCHECK_DEBUG_REQUESTS) process.stderr.write(`requests=${client.requests} bytes=${client.bytes}\n`);
  return report.status;
}

export async function main(argv: string[]): Promise<number> {
  let outcome: Promise<Status> | undefined;
  const parser = yargs(argv)
    .scriptName('kubectl netcheck')
    .usage('Diagnose the pod network of Kubernetes nodes.\n\nUsage: kubectl netcheck <node NAME|nodes|version> [flags]')
    .command('node <name>', 'every check for one node, with evidence and the fix', {}, (args) => {
      outcome = run('node', args as unknown as Flags, String(args.name));
    })
    .command('nodes', 'every node, one row each, worst first', {}, (args) => {
      outcome = run('nodes', args as unknown as Flags);
    })
    .command('version', 'print the version', {}, () => {
      process.stdout.write(`kubectl-netcheck ${VERSION}\n`);
    })
    .options({
      kubeconfig: { type: 'string', describe: 'path to the kubeconfig file' },
      context: { type: 'string', describe: 'kubeconfig context to use' },
      'request-timeout': { type: 'string', default: '10s', describe: 'give up on an API request after this long (e.g. 5s)' },
      output: { alias: 'o', choices: ['table', 'wide', 'json', 'yaml'] as const, default: 'table' as const, describe: 'output format' },
      selector: { alias: 'l', type: 'string', describe: 'label selector for `nodes`' },
      'agent-namespace': { type: 'string', default: 'netcheck', describe: 'namespace of the netcheck agent DaemonSet' },
      agent: { type: 'boolean', default: true, describe: 'read host facts from the agent (--no-agent to skip)' },
      color: { type: 'boolean', default: true, describe: 'colour statuses on a terminal (--no-color, or NO_COLOR, to turn off)' },
    })
    .demandCommand(1, 'name a command: node NAME, nodes or version')
    .strict()
    .version(false)
    .help()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  await parser.parseAsync();
  if (!outcome) return EXIT_OK;
  const status = await outcome;
  return status === 'fail' ? EXIT_CHECK_FAILED : EXIT_OK;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    const message = e instanceof UsageError ? `${e.message} (see kubectl netcheck --help)` : e.message;
    process.stderr.write(`error: ${sanitize(message.split('\n')[0])}\n`);
    process.exitCode = EXIT_RUN_FAILED;
  },
);
