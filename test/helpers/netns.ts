// Real Linux hosts for tests: network namespaces made by the test, torn down by it. Nothing is
// ever added to the machine's own namespace; every name starts with the test's prefix, so a run
// that died can be cleaned up (removeNamespaces(prefix)). Suites using this live in test/netns/,
// which `make test` runs only as root (it says so when it does not).
import { spawnSync } from 'node:child_process';

/** Runs a command; throws with its output when it fails. */
export function run(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, timeout: 20_000 });
  if ((r.status !== 0 || r.error) && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

export class Netns {
  private constructor(readonly name: string) {}

  static create(name: string): Netns {
    run('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** `ip -n NAME ...` */
  ip(...args: string[]): string {
    return run('ip', ['-n', this.name, ...args]);
  }

  /** Runs a command inside the namespace. */
  exec(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  sysctl(key: string, value: string): void {
    this.exec('sysctl', ['-qw', `${key}=${value}`]);
  }

  /** nftables rules, as `nft -f` reads them, inside the namespace. */
  nft(ruleset: string): void {
    this.exec('nft', ['-f', '-'], { input: ruleset });
  }

  delete(): void {
    run('ip', ['netns', 'delete', this.name], { allowFail: true });
  }
}

/** A veth pair between two namespaces, both ends up, with the given addresses (CIDR notation). */
export function veth(a: Netns, aName: string, aAddrs: string[], b: Netns, bName: string, bAddrs: string[]): void {
  a.ip('link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b.name);
  for (const addr of aAddrs) a.ip('addr', 'add', addr, 'dev', aName, ...(addr.includes(':') ? ['nodad'] : []));
  for (const addr of bAddrs) b.ip('addr', 'add', addr, 'dev', bName, ...(addr.includes(':') ? ['nodad'] : []));
  a.ip('link', 'set', aName, 'up');
  b.ip('link', 'set', bName, 'up');
}

/** Deletes every namespace whose name starts with `prefix` (left by a run that died). */
export function removeNamespaces(prefix: string): void {
  for (const line of run('ip', ['netns', 'list'], { allowFail: true }).split('\n')) {
    const name = line.split(' ')[0];
    if (name?.startsWith(prefix)) run('ip', ['netns', 'delete', name], { allowFail: true });
  }
}

/** Whether this process can make namespaces (root, with iproute2). */
export function canMakeNamespaces(): boolean {
  return process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;
}
