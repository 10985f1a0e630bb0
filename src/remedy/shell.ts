// The one way a value from outside (a host's interface, file, unit or connection name; anything a
// NodeReport carries) enters a command netcheck prints: POSIX single quotes, whatever it contains.
// `e$(reboot)` is a valid Linux interface name; pasted unquoted into a root shell it reboots the node.

/** `value` as one POSIX shell word: single-quoted, with each `'` written as `'\''`. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Several values, each one quoted word: `modprobe -a ${shqAll(modules)}`. */
export function shqAll(values: readonly string[]): string {
  return values.map((v) => shq(v)).join(' ');
}

/**
 * A Linux interface name the kernel would accept (1–15 bytes, no `/`, no whitespace, not `.` or
 * `..`). A name that is not plausible is not put in a command at all: the step lists the
 * candidates instead (`ip -br link`).
 */
export function plausibleIfName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) <= 15 && !/[\s/:\0]/.test(name) && name !== '.' && name !== '..';
}

/** What lists the candidates when a name cannot go in a command as it is. */
export const LIST_LINKS = 'ip -br link';

/**
 * A command about an interface, or, when the name is not one the kernel would accept (a report
 * said so, or a parser went wrong), the command that lists the interfaces instead.
 */
export function onIface(name: string, command: (quoted: string) => string): string {
  return plausibleIfName(name) ? command(shq(name)) : LIST_LINKS;
}

/**
 * A value for fix prose: shown only when it is a plain word (a sysctl key, a number, a field
 * name), else `fallback`. Fix prose is rendered from a report's params too, and a node's root
 * writes those: a sentence there must not become the fix. Names from the host go in steps, quoted.
 */
export function word(value: unknown, fallback: string): string {
  const s = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  return typeof s === 'string' && /^[A-Za-z0-9_.:/-]{1,96}$/.test(s) ? s : fallback;
}
