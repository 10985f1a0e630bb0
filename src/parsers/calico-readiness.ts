// Calico's readiness message names the BGP peers it has no session with:
//   "calico/node is not ready: BIRD is not ready: BGP not established with 10.0.0.1,10.0.0.2"
// Older calico-node printed the next log line straight after the list, so the last address runs
// into a timestamp: "... with 172.20.3.12026-11-22 09:45:40.461 [INFO][17547] health.go 156: ...".
// An address is therefore what precedes the 4-digit year of a YYYY-MM-DD date, never the longest
// run of digits that happens to look like an IPv4 address (172.20.3.120 above).

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const IPV6 = /^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$/;

/** The peer addresses in a readiness message, or undefined when it names none. */
export function bgpPeersNotEstablished(message: string): string[] | undefined {
  const m = /BGP not established with\s*([^\n]*)/.exec(message);
  if (!m) return undefined;
  let list = m[1];
  // Cut where a date begins: the year is the last 4 digits before "-MM-DD".
  const date = /\d{4}-\d\d-\d\d/.exec(list);
  if (date) list = list.slice(0, date.index);
  const peers = list
    .split(/[,\s]+/)
    .map((p) => p.trim())
    .filter((p) => IPV4.test(p) || IPV6.test(p));
  return peers.length ? [...new Set(peers)] : undefined;
}
