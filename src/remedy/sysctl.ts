// Setting a sysctl now and keeping it across reboots, from what the host's sysctl.d files say.
import { type FindingStep, onNode } from '../core/check';
import type { HostFacts } from '../core/facts';
import { shq, word } from './shell';

export interface SysctlFix {
  key: string;
  value: string;
  /** The file that sets it at boot, last (the one that wins), and what it sets. */
  effective?: { file: string; value: string };
  /** Our own file, when none sets it: /etc/sysctl.d/90-kubernetes-ip-forward.conf, say. */
  ownFile: string;
}

export function sysctlFix(host: HostFacts | undefined, key: string, value: string, name: string): SysctlFix {
  const settings = host?.sysctlFiles?.[key] ?? [];
  return { key, value, effective: settings[settings.length - 1], ownFile: `/etc/sysctl.d/90-kubernetes-${name}.conf` };
}

const SYSCTL_DIRS = '/etc/sysctl.d /run/sysctl.d /usr/lib/sysctl.d /etc/sysctl.conf';

/** The commands, as root on the node: set it now; make it last (unless the files already do). */
export function sysctlSteps(f: SysctlFix): FindingStep[] {
  const assignment = `${f.key}=${f.value}`;
  const line = `${f.key} = ${f.value}`;
  const now = onNode(`sysctl -w ${shq(assignment)}`);
  if (!f.effective) return [now, onNode(`printf '%s\\n' ${shq(line)} > ${shq(f.ownFile)}`)];
  if (f.effective.value !== f.value) {
    const key = f.key.replace(/\./g, '\\.');
    return [now, onNode(`sed -i -E ${shq(`s/^\\s*-?${key}\\s*=.*/${f.key} = ${f.value}/`)} ${shq(f.effective.file)}`)];
  }
  // The files already say so: something turns it off after boot; find what.
  return [now, onNode(`grep -rn ${shq(f.key)} ${SYSCTL_DIRS}`)];
}

/**
 * The same in words, for the remedy text. A file the host names is left to the steps (quoted
 * there): fix prose carries no text from the host, so a report's params cannot write it.
 */
export function sysctlProse(f: SysctlFix): string {
  const setting = `${word(f.key, 'the setting')} = ${word(f.value, 'the value the steps set')}`;
  if (!f.effective) return `set ${setting} now, and at boot in ${word(f.ownFile, 'a sysctl.d file of its own')}`;
  if (f.effective.value !== f.value) return `set ${setting} now, and at boot in the sysctl.d file that sets it (the steps name it)`;
  return `set ${setting} now; a sysctl.d file already sets it at boot, so something turns it off later: look for it in the sysctl files, the CNI's and the container runtime's settings`;
}

/** "(set to 0 by /etc/sysctl.d/10-x.conf)", for evidence. */
export function sysctlSource(f: SysctlFix): string {
  return f.effective ? `${f.effective.file} sets it to ${f.effective.value} at boot` : 'no /etc/sysctl.d file sets it at boot';
}
