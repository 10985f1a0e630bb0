import { type Check, hostFactRemedy, unavailableEvidence } from '../check';
import type { NodeFacts } from '../facts';
import { nodeCondition } from '../kube-objects';
import { type Finding, finding, measured } from '../model';

export const swap: Check = {
  id: 'swap',
  title: 'Swap is off, or tolerated by the kubelet',
  needs: ['swaps', 'kubeletConfig', 'fstabSwaps', 'agent'],
  seenBest: 'host',
  evaluate(facts) {
    const f = evaluateSwap(facts);
    return facts.host?.swaps ? measured(f, { enabled: facts.host.swaps.length ? 1 : 0 }) : f;
  },
};

function evaluateSwap(facts: NodeFacts): Finding {
  const host = facts.host;
  if (!host?.swaps) {
    const evidence = unavailableEvidence(facts, ['swaps']);
    if (nodeCondition(facts.node, 'Ready')?.status === 'Unknown') {
      evidence.push('the kubelet stopped posting status; swap turned back on at reboot is a known cause (swapon --show on the node)');
    }
    return finding.unknown('swap state is not visible through the API', evidence, hostFactRemedy(facts));
  }
  const failSwapOn = host.kubeletConfig?.failSwapOn ?? true;
  const kubelet = host.kubeletConfig
    ? `kubelet config: failSwapOn: ${failSwapOn}${host.kubeletConfig.swapBehavior ? `, memorySwap.swapBehavior: ${host.kubeletConfig.swapBehavior}` : ''}`
    : `kubelet config: ${facts.unavailable.kubeletConfig ?? 'not found'}, so failSwapOn defaults to true`;
  const fstab = host.fstabSwaps ?? [];
  const evidence = [
    host.swaps.length
      ? `/proc/swaps: ${host.swaps.map((s) => `${s.filename} (${s.type}, ${Math.round(s.sizeKiB / 1024)} MiB)`).join(', ')}`
      : '/proc/swaps: no active swap',
    kubelet,
    fstab.length ? `/etc/fstab swap entries: ${fstab.join(', ')}` : '/etc/fstab: no active swap entry',
  ];
  // systemd-gpt-auto-generator turns on GPT swap partitions at boot even with the fstab line
  // commented out (seed 002), so masking the unit is part of a lasting fix.
  const lasting = `comment out the swap line in /etc/fstab and mask the unit so systemd does not turn it back on at boot: systemctl mask "$(systemd-escape -p --suffix=swap <device>)"`;
  if (host.swaps.length && failSwapOn) {
    return finding.fail(
      'swap is on and the kubelet refuses to run with it (failSwapOn: true)',
      evidence,
      `On ${facts.nodeName}: swapoff -a && systemctl restart kubelet; then ${lasting}.`,
    );
  }
  if (host.swaps.length) {
    return finding.warn('swap is on; the kubelet tolerates it (failSwapOn: false)', evidence, `If swap is not intended: swapoff -a; then ${lasting}.`);
  }
  if (fstab.length && failSwapOn) {
    return finding.warn('swap is off now but /etc/fstab turns it on at the next reboot, and the kubelet will then refuse to start', evidence, `On ${facts.nodeName}: ${lasting}.`);
  }
  return finding.ok('swap is off', evidence);
}
