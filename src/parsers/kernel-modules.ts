// /proc/modules and /lib/modules/<release>/modules.builtin: which modules a running kernel has.

/** Module names loaded, from /proc/modules ("vxlan 65536 0 - Live 0x0000000000000000"). */
export function parseProcModules(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((m) => /^[A-Za-z0-9_-]{1,64}$/.test(m))
    .map(normalModule);
}

/** Module names built into the kernel, from modules.builtin ("kernel/drivers/net/vxlan/vxlan.ko"). */
export function parseModulesBuiltin(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /([^/\s]+)\.ko(\.[a-z]+)?\s*$/.exec(l.trim())?.[1])
    .filter((m): m is string => !!m)
    .map(normalModule);
}

/** The kernel treats - and _ in module names alike; /proc/modules shows _. */
export function normalModule(name: string): string {
  return name.replace(/-/g, '_');
}

/** The modules the checks know a CNI or kube-proxy mode needs; the agent reads the presence of these only. */
export const KERNEL_MODULES = ['vxlan', 'wireguard', 'ipip', 'ip_tunnel', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'br_netfilter', 'nf_conntrack', 'geneve'] as const;
