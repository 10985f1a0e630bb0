/** The nameserver addresses of a resolv.conf(5), in order (at most the few a resolver uses and a few more). */
export function parseResolvNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+([0-9A-Fa-f.:%a-z]+)\s*(?:[#;].*)?$/.exec(line);
    if (m && out.length < 16) out.push(m[1].replace(/%.*$/, ''));
  }
  return out;
}

/** A loopback resolver (systemd-resolved's 127.0.0.53, dnsmasq's 127.0.1.1, ::1): in a pod it is the pod itself. */
export function isLoopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === '0:0:0:0:0:0:0:1';
}
