// The probes on the wire: a TCP connect, a TLS handshake verified as a pod would, a small UDP echo
// to a peer agent, a DNS query. Each ends by its deadline and says how it failed in one of three
// classes: refused (the peer's kernel answered, nothing listens), unreachable (no route, no host,
// an ICMP error), timeout (silence). Never a target that is not the cluster's own.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import type { ErrorClass, ProbeResult } from '../src/core/probes';

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'EPERM', 'EACCES']);

/** The class of a socket error (EPERM/EACCES: a local firewall rejected it). */
export function classify(e: NodeJS.ErrnoException): ErrorClass {
  if (e.code === 'ECONNREFUSED') return 'refused';
  if (e.code && UNREACHABLE.has(e.code)) return 'unreachable';
  return 'timeout';
}

const target = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/** A TCP connect, closed at once. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (r: Omit<ProbeResult, 'target'>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ target: target(host, port), ...r });
    };
    const timer = setTimeout(() => done({ ok: false, error: 'timeout', detail: `no answer in ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => done({ ok: true, rttSeconds: seconds(started) }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: classify(e), detail: e.code ?? e.message }));
  });
}

/** TCP and a TLS handshake whose certificate is checked for `servername` against `ca`. */
export function tlsProbe(host: string, port: number, opts: { ca?: tls.ConnectionOptions['ca']; servername: string; rejectUnauthorized?: boolean; timeoutMs: number }): Promise<ProbeResult> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    let connected = false;
    const socket = tls.connect({ host, port, servername: opts.servername, ca: opts.ca, rejectUnauthorized: opts.rejectUnauthorized ?? true, ALPNProtocols: ['http/1.1'] });
    const done = (r: Omit<ProbeResult, 'target'>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ target: target(host, port), ...r });
    };
    const timer = setTimeout(() => done({ ok: false, error: connected ? 'tls' : 'timeout', detail: connected ? 'no TLS handshake in time' : `no answer in ${opts.timeoutMs} ms` }), opts.timeoutMs);
    socket.once('connect', () => (connected = true));
    socket.once('secureConnect', () => done({ ok: true, rttSeconds: seconds(started) }));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (connected || /cert|ssl|tls|altname/i.test(`${e.code} ${e.message}`)) done({ ok: false, error: 'tls', detail: `${e.code ?? ''} ${e.message}`.trim().slice(0, 200) });
      else done({ ok: false, error: classify(e), detail: e.code ?? e.message });
    });
  });
}

/** What a probe datagram starts with; the responder echoes only these, never more bytes than it got. */
export const ECHO_MAGIC = Buffer.from('NCPROBE1');
const ECHO_BYTES = 24;

/**
 * `count` datagrams to the peer agent's echo; how many came back. A port unreachable (the agent is
 * not there) is `refused`, as for TCP.
 */
export function udpEcho(host: string, port: number, timeoutMs: number, count = 3): Promise<{ sent: number; received: number; error?: ErrorClass }> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const nonce = randomBytes(8);
    const seen = new Set<number>();
    let error: ErrorClass | undefined;
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      resolve({ sent: count, received: seen.size, ...(error && !seen.size ? { error } : {}) });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('message', (msg) => {
      if (msg.length === ECHO_BYTES && msg.subarray(0, 8).equals(ECHO_MAGIC) && msg.subarray(8, 16).equals(nonce)) seen.add(msg.readUInt32BE(16));
      if (seen.size === count) done();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (error = classify(e)));
    // connect() calls back with the error when there is no way there (no route): nothing is sent then.
    socket.connect(port, host, (e?: Error) => {
      if (e) {
        error = classify(e as NodeJS.ErrnoException);
        return done();
      }
      for (let i = 0; i < count; i++) {
        const msg = Buffer.alloc(ECHO_BYTES);
        ECHO_MAGIC.copy(msg, 0);
        nonce.copy(msg, 8);
        msg.writeUInt32BE(i, 16);
        socket.send(msg);
      }
    });
  });
}

/** The responder's side: echoes probe datagrams on the agent's port, nothing else. */
export function startEchoResponder(address: string, port: number, onError: (message: string) => void): { close(): void } {
  const family = address.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type: family, reuseAddr: false });
  // Answers are no larger than the question and only to probe datagrams: useless for amplification.
  socket.on('message', (msg, rinfo) => {
    if (msg.length === ECHO_BYTES && msg.subarray(0, 8).equals(ECHO_MAGIC)) socket.send(msg, rinfo.port, rinfo.address);
  });
  socket.on('error', (e) => onError(`UDP echo on ${address}:${port}: ${e.message}`));
  socket.bind(port, address);
  return { close: () => socket.close() };
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** An A query over UDP, hand-rolled (one question, recursion desired), and its answer's first address. */
export function dnsQuery(server: string, name: string, timeoutMs: number, port = 53): Promise<{ result: ProbeResult; rcode?: string; answer?: string }> {
  const started = process.hrtime.bigint();
  const id = randomBytes(2).readUInt16BE(0);
  const labels = name.replace(/\.$/, '').split('.');
  const question = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0, 0, 1, 0, 1])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const query = Buffer.concat([header, question]);
  return new Promise((resolve) => {
    const socket = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
    let finished = false;
    const done = (r: { result: Omit<ProbeResult, 'target'>; rcode?: string; answer?: string }) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      resolve({ ...r, result: { target: target(server, port), ...r.result } });
    };
    const timer = setTimeout(() => done({ result: { ok: false, error: 'timeout', detail: `no answer in ${timeoutMs} ms` } }), timeoutMs);
    socket.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      const flags = msg.readUInt16BE(2);
      const rcode = RCODES[flags & 0xf] ?? `RCODE${flags & 0xf}`;
      const answer = firstA(msg, 12 + question.length, msg.readUInt16BE(6));
      done({ result: { ok: true, rttSeconds: seconds(started) }, rcode, answer });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => done({ result: { ok: false, error: classify(e), detail: e.code ?? e.message } }));
    socket.connect(port, server, (e?: Error) =>
      e ? done({ result: { ok: false, error: classify(e as NodeJS.ErrnoException), detail: (e as NodeJS.ErrnoException).code ?? e.message } }) : socket.send(query),
    );
  });
}

/** The first A record among `count` answers starting at `offset` (names compressed or not), bounds-checked. */
function firstA(msg: Buffer, offset: number, count: number): string | undefined {
  let at = offset;
  for (let i = 0; i < Math.min(count, 32); i++) {
    // Skip the owner name: a pointer (2 bytes) or labels ending in 0.
    while (at < msg.length) {
      const len = msg[at];
      if ((len & 0xc0) === 0xc0) {
        at += 2;
        break;
      }
      at += len + 1;
      if (len === 0) break;
    }
    if (at + 10 > msg.length) return undefined;
    const type = msg.readUInt16BE(at);
    const rdlength = msg.readUInt16BE(at + 8);
    at += 10;
    if (at + rdlength > msg.length) return undefined;
    if (type === 1 && rdlength === 4) return [...msg.subarray(at, at + 4)].join('.');
    at += rdlength;
  }
  return undefined;
}
