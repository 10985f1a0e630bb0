import { ParseError } from '../util/parse-error';

export interface BgpSession {
  name: string;
  state: string; // BGP state: Established, Active, Connect, Idle, ...
  neighbor?: string;
  lastError?: string;
}

/**
 * BIRD's control-socket reply to `show protocols all`. Each line starts with a four-digit code and
 * `-` (more follows) or ` ` (last line); a line starting with a space continues the previous code.
 * 1002 is a protocol's summary row, 1006 its detail block. Works for BIRD 1.6 and 2.x.
 */
export function parseBirdProtocols(reply: string): BgpSession[] {
  const sessions: BgpSession[] = [];
  let current: BgpSession | undefined;
  let sawEnd = false;
  for (const line of reply.split('\n')) {
    if (line === '') continue;
    const coded = /^(\d{4})([ -])(.*)$/.exec(line);
    if (!coded && !line.startsWith(' ')) throw new ParseError('bird', `unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    const code = coded ? coded[1] : undefined;
    const text = coded ? coded[3] : line.slice(1);
    if (code === '0000') sawEnd = true;
    else if (code && /^[89]/.test(code)) throw new ParseError('bird', `error reply ${code}: ${text.trim()}`);
    if (code === '1002') {
      const [name, proto, , state, , ...info] = text.trim().split(/\s+/);
      current = proto === 'BGP' ? { name, state: info[0] ?? state } : undefined;
      if (current) sessions.push(current);
      continue;
    }
    if (!current) continue;
    const detail = /^\s*(BGP state|Neighbor address|Last error):\s*(.*?)\s*$/.exec(text);
    if (detail?.[1] === 'BGP state') current.state = detail[2];
    else if (detail?.[1] === 'Neighbor address') current.neighbor = detail[2];
    else if (detail?.[1] === 'Last error') current.lastError = detail[2];
  }
  if (!sawEnd) throw new ParseError('bird', 'reply ended without the 0000 terminator');
  return sessions;
}
