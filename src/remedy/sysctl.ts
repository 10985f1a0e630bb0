// Setting a sysctl now and keeping it across reboots, from what the host's sysctl.d files say.
import type { HostFacts } from '../core/facts';

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

/** The commands: set it now; make it last (unless the files already do). */
export function sysctlCommands(f: SysctlFix): string {
  const now = `sysctl -w ${f.key}=${f.value}`;
  if (!f.effective) return `${now} && echo '${f.key} = ${f.value}' > ${f.ownFile}`;
  if (f.effective.value !== f.value) {
    const key = f.key.replace(/\./g, '\\.');
    return `${now} && sed -i -E 's/^\\s*-?${key}\\s*=.*/${f.key} = ${f.value}/' ${f.effective.file}`;
  }
  // The files already say so: something turns it off after boot.
  return `${now}; ${f.effective.file} already sets it at boot, so something turns it off later: grep -rn '${f.key}' /etc/sysctl.d /run/sysctl.d /usr/lib/sysctl.d /etc/sysctl.conf, and the CNI's and container runtime's settings`;
}

/** "(set to 0 by /etc/sysctl.d/10-x.conf)", for evidence. */
export function sysctlSource(f: SysctlFix): string {
  return f.effective ? `${f.effective.file} sets it to ${f.effective.value} at boot` : 'no /etc/sysctl.d file sets it at boot';
}
