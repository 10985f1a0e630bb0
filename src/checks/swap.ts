import { defineCheck, type FindingStep, found, onNode, unavailableEvidence } from '../core/check';
import type { NodeFacts, SwapUnit } from '../core/facts';
import { nodeCondition } from '../kube/objects';
import { hostFactRemedy } from '../remedy/agent';
import { shqAll } from '../remedy/shell';
import { unitNameOfPath } from '../util/systemd';

/** Comments out every active swap line of /etc/fstab, keeping a backup. */
const COMMENT_FSTAB = `sed -i.bak -E '/^[^#]\\S*\\s+\\S+\\s+swap\\s/s/^/#/' /etc/fstab`;

interface Lasting {
  /** The unit names that would turn swap on at the next boot (masking them stops that). */
  units: string[];
  /** /etc/fstab has an active swap line. */
  fstab: boolean;
  /** A zram device, made by zram-generator: masking does not stop it. */
  zram: boolean;
}

/** What keeps swap off across reboots, in words, from what the host shows turns it on. */
function lastingFix(l: Lasting): string {
  const parts: string[] = [];
  if (l.fstab) parts.push('comment out its /etc/fstab line (a backup is kept in /etc/fstab.bak)');
  if (l.units.length) parts.push(`mask the ${l.units.length > 1 ? `${l.units.length} units` : 'unit'} that turn${l.units.length > 1 ? '' : 's'} it on at boot (the steps name them)`);
  if (l.zram) parts.push('turn off zram-generator');
  return parts.join(', and ');
}

/** The same as commands, as root on the node. */
function lastingSteps(l: Lasting): FindingStep[] {
  const steps: FindingStep[] = [];
  if (l.fstab) steps.push(onNode(COMMENT_FSTAB));
  // Quoted: unit names carry \x2d escapes a shell would eat.
  if (l.units.length) steps.push(onNode(`systemctl mask ${shqAll(l.units)}`));
  if (l.zram) steps.push(onNode("printf '[zram0]\\nzram-size = 0\\n' > /etc/systemd/zram-generator.conf"));
  return steps;
}

/** The kubelet is started again only where it is not running: a running one is left alone. */
const START_KUBELET = 'systemctl is-active --quiet kubelet || systemctl restart kubelet';

/** What on the host turns swap on at boot: fstab lines, and the systemd units that activate it. */
function lastingOf(facts: NodeFacts): { lasting: Lasting; evidence: string[] } {
  const host = facts.host!;
  const active = host.swaps ?? [];
  const units: SwapUnit[] = host.swapUnits ?? [];
  const evidence: string[] = [];
  const zram = active.some((s) => /^\/dev\/zram\d+$/.test(s.filename)) || units.some((u) => u.source === 'zram-generator');
  // An active area is turned on by the unit named after it; units of other paths count too.
  const wanted = new Set<string>();
  for (const s of active) if (!/^\/dev\/zram/.test(s.filename)) wanted.add(unitNameOfPath(s.filename, 'swap'));
  for (const u of units) if (u.source !== 'zram-generator') wanted.add(u.unit);
  const masked = new Set(units.filter((u) => u.masked).map((u) => u.unit));
  for (const s of active) {
    const unit = unitNameOfPath(s.filename, 'swap');
    if (!/^\/dev\/zram/.test(s.filename) && !units.some((u) => u.unit === unit)) evidence.push(`active swap ${s.filename} is systemd unit ${unit}`);
  }
  for (const u of units) evidence.push(`swap unit ${u.unit}${u.what ? ` (What=${u.what})` : ''} from ${u.source}${u.masked ? ', masked' : ''}`);
  return { lasting: { units: [...wanted].filter((u) => !masked.has(u)).sort(), fstab: (host.fstabSwaps ?? []).length > 0, zram }, evidence };
}

const findings = {
  off: { status: 'ok', summary: () => 'swap is off' },
  offAndMasked: { status: 'ok', summary: () => 'swap is off, and nothing turns it on at boot' },
  refused: {
    status: 'fail',
    summary: () => 'swap is on and the kubelet refuses to run with it (failSwapOn: true)',
    remedy: (a: Lasting) => `Turn swap off, and start the kubelet if it is not running${lastingFix(a) ? `; then keep swap off at boot: ${lastingFix(a)}` : ''}.`,
    steps: (a: Lasting) => [onNode('swapoff -a'), onNode(START_KUBELET), ...lastingSteps(a)],
  },
  // The kubelet is Ready: it runs until its next restart (a reboot, an upgrade), then refuses to.
  refusedAtRestart: {
    status: 'fail',
    latent: true,
    summary: () => 'swap is on: the kubelet runs now, but refuses to start again with it (failSwapOn: true)',
    remedy: (a: Lasting) => `Turn swap off (the running kubelet needs no restart)${lastingFix(a) ? `; then keep it off at boot: ${lastingFix(a)}` : ''}.`,
    steps: (a: Lasting) => [onNode('swapoff -a'), ...lastingSteps(a)],
  },
  tolerated: {
    status: 'warn',
    summary: (a: { behavior?: string }) => `swap is on; the kubelet tolerates it (failSwapOn: false${a.behavior ? `, swapBehavior ${a.behavior}` : ''})`,
    remedy: (a: Lasting) => `If swap is not intended: turn it off${lastingFix(a) ? `; then keep it off at boot: ${lastingFix(a)}` : ''}.`,
    steps: (a: Lasting) => [onNode('swapoff -a'), ...lastingSteps(a)],
  },
  backAtReboot: {
    status: 'warn',
    latent: true,
    summary: () => 'swap is off now but comes back at the next reboot, and the kubelet will then refuse to start',
    remedy: (a: Lasting) => `Keep swap off at boot: ${lastingFix(a)}.`,
    steps: (a: Lasting) => lastingSteps(a),
  },
  unreadable: { status: 'unknown', summary: () => 'swap state could not be read on the host' },
  // Swap is on (or comes back at boot), and the kubelet's config is there but not readable: whether
  // the kubelet refuses swap is its failSwapOn, which is then not known.
  configUnknown: {
    status: 'unknown',
    summary: (a: { now: boolean }) => `swap is ${a.now ? 'on' : 'off now but comes back at boot'}, and the kubelet's config cannot be read: whether the kubelet refuses it (failSwapOn) is not known`,
  },
  notVisible: { status: 'unknown', summary: () => 'swap state is not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const swap = defineCheck({
  id: 'swap',
  title: 'Swap is off, or tolerated by the kubelet',
  question: 'Is swap on, and will the kubelet refuse to run with it (failSwapOn)? Will it come back on reboot?',
  column: 'SWAP',
  rank: 20,
  explains: ['kubelet-ready'],
  needs: ['swaps', 'kubeletConfig', 'fstabSwaps', 'swapUnits', 'agent'],
  seenBest: 'host',
  findings,
  evaluate(facts) {
    const host = facts.host;
    const node = facts.nodeName;
    if (!host?.swaps) {
      const evidence = unavailableEvidence(facts, ['swaps']);
      if (nodeCondition(facts.node, 'Ready')?.status === 'Unknown') {
        evidence.push(`the kubelet stopped posting status; swap turned back on at reboot is a known cause (on ${node}: swapon --show)`);
      }
      return host ? found(findings, 'unreadable', {}, evidence) : found(findings, 'notVisible', { hint: hostFactRemedy(facts) }, evidence);
    }
    const config = host.kubeletConfig;
    // No config at all is the kubelet's defaults (failSwapOn: true); one that is there but cannot be
    // read (not mounted into the agent, or not parsed) says nothing.
    const configUnread = !config && facts.unavailable.kubeletConfig !== undefined;
    const failSwapOn = config?.failSwapOn ?? true;
    const { lasting, evidence: units } = lastingOf(facts);
    const evidence = [
      host.swaps.length ? `/proc/swaps: ${host.swaps.map((s) => `${s.filename} (${s.type}, ${Math.round(s.sizeKiB / 1024)} MiB)`).join(', ')}` : '/proc/swaps: no active swap',
      config
        ? `kubelet config${config.path ? ` ${config.path}` : ''}: failSwapOn: ${failSwapOn}${config.swapBehavior ? `, memorySwap.swapBehavior: ${config.swapBehavior}` : ''}`
        : configUnread
          ? `kubelet config: ${facts.unavailable.kubeletConfig}`
          : 'kubelet config: not found, so failSwapOn defaults to true',
      host.fstabSwaps?.length ? `/etc/fstab swap entries: ${host.fstabSwaps.join(', ')}` : '/etc/fstab: no active swap entry',
      ...units,
    ];
    const enabled = { enabled: host.swaps.length ? 1 : 0 };
    if (configUnread && (host.swaps.length || lasting.fstab || lasting.units.length || lasting.zram)) {
      return found(findings, 'configUnknown', { now: host.swaps.length > 0 }, evidence, enabled);
    }
    if (host.swaps.length && failSwapOn) {
      // A kubelet still Ready has not restarted since swap came on: the failure is latent.
      const running = nodeCondition(facts.node, 'Ready')?.status === 'True';
      if (running) evidence.push(`node condition Ready=True: the kubelet is running (it checks swap only when it starts)`);
      return found(findings, running ? 'refusedAtRestart' : 'refused', lasting, evidence, enabled);
    }
    if (host.swaps.length) return found(findings, 'tolerated', { behavior: config?.swapBehavior, ...lasting }, evidence, enabled);
    // Off now: will it come back? Only units that are not masked, or fstab lines, bring it back.
    if ((lasting.fstab || lasting.units.length || lasting.zram) && failSwapOn) return found(findings, 'backAtReboot', lasting, evidence, enabled);
    return found(findings, host.swapUnits?.some((u) => u.masked) ? 'offAndMasked' : 'off', {}, evidence, enabled);
  },
  metrics: [{ name: 'netcheck_swap_enabled', help: '1 when swap is on, 0 when off', measure: 'enabled' }],
  alerts: [
    {
      name: 'NetcheckSwapEnabled',
      // A latent risk while the kubelet runs: it bites at the kubelet's next restart. When it has
      // bitten, the node is NotReady and this alert (which inhibits KubeNodeNotReady) says why.
      severity: 'warning',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_swap_enabled')} == 1 and on (${q.by}) ${q.status('swap', 'fail')}`,
      summary: 'Swap is on where the kubelet refuses to run with it.',
      description: 'Node {{ $labels.node }} has swap on and its kubelet runs with failSwapOn: true: the kubelet will refuse to start at its next restart (if the node is NotReady now, this is why).',
      fires: { netcheck_swap_enabled: 1, 'netcheck_check_status{check="swap",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
