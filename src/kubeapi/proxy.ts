// Reaching the API server through a proxy, as kubectl does: the cluster's proxy-url, else
// HTTPS_PROXY / HTTP_PROXY minus NO_PROXY with Go's rules (golang.org/x/net/http/httpproxy), over an
// HTTP CONNECT tunnel (http:// or https:// proxy) or SOCKS5.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { containsAddress, parseCidr } from '../util/cidr';

export interface ProxyRoute {
  url: URL;
  /** Where the setting came from, for messages: 'HTTPS_PROXY', 'proxy-url of cluster "c"'. */
  source: string;
}

export class ProxyError extends Error {}

const SCHEMES = ['http:', 'https:', 'socks5:', 'socks5h:'];
const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443, 'socks5:': 1080, 'socks5h:': 1080 };

/** A proxy setting as Go parses one: without a scheme (or one Go does not know), http:// is assumed. */
export function parseProxyUrl(value: string, source: string): URL {
  for (const candidate of [value, `http://${value}`]) {
    try {
      const url = new URL(candidate);
      if (SCHEMES.includes(url.protocol) && url.hostname) return url;
    } catch {
      // try the next form
    }
  }
  throw new ProxyError(`${source} "${value}" is not a proxy URL (http://, https:// or socks5://host:port)`);
}

/** The proxy for `target`: the cluster's proxy-url if it has one, else the environment's. */
export function chooseProxy(target: URL, clusterProxyUrl: string | undefined, clusterName: string, env = process.env): ProxyRoute | undefined {
  if (clusterProxyUrl) {
    const source = `proxy-url of cluster "${clusterName}"`;
    const url = parseProxyUrl(clusterProxyUrl, source);
    if (url.protocol === 'socks5h:') throw new ProxyError(`${source} "${clusterProxyUrl}": use socks5://, https:// or http://`);
    return { url, source };
  }
  const https = target.protocol === 'https:';
  const name = https ? (env.HTTPS_PROXY ? 'HTTPS_PROXY' : 'https_proxy') : env.HTTP_PROXY ? 'HTTP_PROXY' : 'http_proxy';
  const value = env[name];
  if (!value) return undefined;
  if (!useProxy(target, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  return { url: parseProxyUrl(value, name), source: name };
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

/** Go's httpproxy useProxy: never for localhost or a loopback address, never for a NO_PROXY match. */
export function useProxy(target: URL, noProxy: string): boolean {
  const host = bare(target.hostname);
  const port = target.port || String(DEFAULT_PORT[target.protocol] ?? '');
  if (host === 'localhost') return false;
  const ipVersion = net.isIP(host);
  if (ipVersion && isLoopback(host)) return false;
  for (let entry of noProxy.split(',')) {
    entry = entry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return false;
    if (entry.includes('/')) {
      if (ipVersion && inCidr(host, entry)) return false;
      continue;
    }
    let entryHost = entry;
    let entryPort = '';
    const hostPort = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? /^([^:]+):(\d+)$/.exec(entry);
    if (hostPort) {
      entryHost = hostPort[1];
      entryPort = hostPort[2] ?? '';
    }
    if (net.isIP(entryHost)) {
      if (ipVersion && sameIp(host, entryHost) && (!entryPort || entryPort === port)) return false;
      continue;
    }
    if (entryHost.startsWith('*.')) entryHost = entryHost.slice(1);
    const matchHost = !entryHost.startsWith('.');
    const suffix = matchHost ? `.${entryHost}` : entryHost;
    if ((host.endsWith(suffix) || (matchHost && host === entryHost)) && (!entryPort || entryPort === port)) return false;
  }
  return true;
}

function isLoopback(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith('127.');
  const v = ip.toLowerCase();
  return v === '::1' || v === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(v);
}

function sameIp(a: string, b: string): boolean {
  return inCidr(a, `${b}/${net.isIPv6(b) ? 128 : 32}`);
}

/** Go's httpproxy: an IP entry in NO_PROXY with a prefix matches the addresses inside it. */
function inCidr(ip: string, cidr: string): boolean {
  try {
    return containsAddress(parseCidr(cidr), ip);
  } catch {
    return false;
  }
}

const basicAuth = (url: URL) => (url.username ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` : undefined);

/** The Proxy-Authorization header for a proxy with user:password in its URL. */
export const proxyAuthorization = (proxy: ProxyRoute): string | undefined => basicAuth(proxy.url);

/** Opens a byte stream to host:port through the proxy, within `timeoutMs`. */
export function openTunnel(proxy: ProxyRoute, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const { url } = proxy;
  const proxyPort = Number(url.port || DEFAULT_PORT[url.protocol]);
  const proxyHost = bare(url.hostname);
  const where = `the proxy ${url.protocol}//${url.host} (${proxy.source})`;
  return new Promise<net.Socket>((resolve, reject) => {
    const socket: net.Socket =
      url.protocol === 'https:' ? tls.connect({ host: proxyHost, port: proxyPort, servername: net.isIP(proxyHost) ? undefined : proxyHost }) : net.connect(proxyPort, proxyHost);
    let done = false;
    const fail = (message: string) => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(new ProxyError(message));
    };
    const ok = () => {
      if (done) return;
      done = true;
      socket.setTimeout(0);
      socket.removeAllListeners('data');
      socket.removeListener('error', onError);
      socket.pause();
      resolve(socket);
    };
    const onError = (e: NodeJS.ErrnoException) =>
      fail(e.code === 'ECONNREFUSED' ? `${where} refused the connection` : e.code === 'ENOTFOUND' ? `${where} does not resolve` : `${where} failed: ${e.message}`);
    socket.on('error', onError);
    socket.setTimeout(timeoutMs, () => fail(`${where} did not open a tunnel to ${host}:${port} within ${Math.round(timeoutMs / 1000)}s`));
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      if (url.protocol.startsWith('socks5')) socks5(socket, url, host, port, ok, fail, where);
      else connectTunnel(socket, proxy, host, port, ok, fail, where);
    });
  });
}

function connectTunnel(socket: net.Socket, proxy: ProxyRoute, host: string, port: number, ok: () => void, fail: (m: string) => void, where: string): void {
  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  const auth = proxyAuthorization(proxy);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`);
  let head = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > 64 * 1024) fail(`${where} sent an answer to CONNECT longer than 64 KiB`);
      return;
    }
    const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
    if (status !== '200') return fail(`${where} refused CONNECT ${authority}: ${statusLine.replace(/[^\x20-\x7e]/g, '').slice(0, 120) || 'no HTTP answer'}`);
    const rest = head.subarray(end + 4);
    ok();
    if (rest.length) socket.unshift(rest);
  });
}

/** SOCKS5 (RFC 1928) CONNECT, no authentication or username/password (RFC 1929); the name resolved by the proxy. */
function socks5(socket: net.Socket, url: URL, host: string, port: number, ok: () => void, fail: (m: string) => void, where: string): void {
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  socket.write(Buffer.from(user ? [5, 2, 0, 2] : [5, 1, 0]));
  let buf = Buffer.alloc(0);
  let stage: 'method' | 'auth' | 'connect' = 'method';
  const request = () => {
    stage = 'connect';
    const ip = net.isIP(host);
    const addr = ip === 4 ? Buffer.from([1, ...host.split('.').map(Number)]) : Buffer.concat([Buffer.from([3, Buffer.byteLength(host)]), Buffer.from(host)]);
    const portBytes = Buffer.from([port >> 8, port & 0xff]);
    socket.write(Buffer.concat([Buffer.from([5, 1, 0]), addr, portBytes]));
  };
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (stage === 'method') {
      if (buf.length < 2) return;
      if (buf[0] !== 5 || (buf[1] !== 0 && buf[1] !== 2)) return fail(`${where} is not a SOCKS5 proxy or accepts none of our authentication methods`);
      const method = buf[1];
      buf = buf.subarray(2);
      if (method === 2) {
        stage = 'auth';
        socket.write(Buffer.concat([Buffer.from([1, Buffer.byteLength(user)]), Buffer.from(user), Buffer.from([Buffer.byteLength(pass)]), Buffer.from(pass)]));
      } else request();
    }
    if (stage === 'auth') {
      if (buf.length < 2) return;
      if (buf[1] !== 0) return fail(`${where} rejected the username and password`);
      buf = buf.subarray(2);
      request();
      return;
    }
    if (stage === 'connect') {
      if (buf.length < 5) return;
      if (buf[1] !== 0) return fail(`${where} could not connect to ${host}:${port} (SOCKS5 reply ${buf[1]})`);
      const addrLen = buf[3] === 1 ? 4 : buf[3] === 4 ? 16 : 1 + buf[4];
      const total = 4 + addrLen + 2;
      if (buf.length < total) return;
      const rest = buf.subarray(total);
      ok();
      if (rest.length) socket.unshift(rest);
    }
  });
}

/** An https.Agent whose connections go through the proxy: the TLS session is with the API server, inside the tunnel. */
export class HttpsProxyAgent extends https.Agent {
  constructor(
    private readonly proxy: ProxyRoute,
    private readonly timeoutMs: number,
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(args: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    const options = args as tls.ConnectionOptions;
    const host = bare(options.host ?? 'localhost');
    openTunnel(this.proxy, host, Number(options.port ?? 443), this.timeoutMs).then(
      (socket) => {
        const servername = options.servername ?? (net.isIP(host) ? undefined : host);
        callback?.(null, tls.connect({ ...options, socket, ...(servername ? { servername } : {}) }));
      },
      (e: Error) => callback?.(e, undefined as never),
    );
    return undefined;
  }
}

/** An http.Agent through a SOCKS5 proxy or CONNECT tunnel (for http:// servers behind socks5). */
export class HttpProxyAgent extends http.Agent {
  constructor(
    private readonly proxy: ProxyRoute,
    private readonly timeoutMs: number,
    options: http.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    openTunnel(this.proxy, bare(options.host ?? 'localhost'), Number(options.port ?? 80), this.timeoutMs).then(
      (socket) => callback?.(null, socket),
      (e: Error) => callback?.(e, undefined as never),
    );
    return undefined;
  }
}
