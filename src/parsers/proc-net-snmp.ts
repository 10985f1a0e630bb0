// /proc/net/snmp and /proc/net/netstat: pairs of lines, a header ("Udp: InDatagrams NoPorts ...")
// then its values ("Udp: 1234 5 ..."), per protocol.

export type SnmpTable = Record<string, Record<string, number>>;

export function parseProcNetSnmp(text: string): SnmpTable {
  const table: SnmpTable = {};
  const lines = text.split('\n').filter((l) => /^\w+:/.test(l));
  for (let i = 0; i + 1 < lines.length; i++) {
    const [proto, ...names] = lines[i].trim().split(/\s+/);
    const [proto2, ...values] = lines[i + 1].trim().split(/\s+/);
    if (proto !== proto2 || names.some((n) => /^-?\d+$/.test(n)) || !values.every((v) => /^-?\d+$/.test(v))) continue;
    const row: Record<string, number> = {};
    names.forEach((n, j) => {
      if (values[j] !== undefined) row[n] = Number(values[j]);
    });
    table[proto.slice(0, -1)] = row;
    i++;
  }
  return table;
}

/** /proc/net/if_inet6: "20010db8000000000000000000000001 02 40 00 80 eth0" → address/prefix by interface. */
export function parseIfInet6(text: string): { iface: string; cidr: string }[] {
  const out: { iface: string; cidr: string }[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0]) || !/^[0-9a-f]{2}$/i.test(f[2])) continue;
    const groups = f[0].match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
    out.push({ iface: f[5], cidr: `${groups.join(':')}/${Number.parseInt(f[2], 16)}` });
  }
  return out;
}
