// The one way a value from outside (a host's interface, file, unit or connection name; anything a
// NodeReport carries) enters a command netcheck prints: POSIX single quotes, whatever it contains.
// `e$(reboot)` is a valid Linux interface name; pasted unquoted into a root shell it reboots the node.

/** `value` as one POSIX shell word: single-quoted, with each `'` written as `'\''`. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A Linux interface name the kernel would accept (1–15 bytes, no `/`, no whitespace, not `.` or
 * `..`). A name that is not plausible is not put in a command at all: the step lists the
 * candidates instead (`ip -br link`).
 */
export function plausibleIfName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) <= 15 && !/[\s/:\0]/.test(name) && name !== '.' && name !== '..';
}
