// A forward proxy for the connection tests, run as its own process (the tests run the plugin with
// spawnSync, which would block a proxy in the test's own event loop).
//
//   node test/helpers/proxy.mjs --log FILE [--socks5] [--auth USER:PASS] [--map NAME=ADDRESS]...
//
// HTTP CONNECT (default) or SOCKS5. --map sends tunnels for NAME to ADDRESS: the tests name the API
// server by a non-loopback host, since Go's proxy rules (and so kubectl's, and ours) never proxy
// localhost or 127.0.0.0/8. Prints "listening on 127.0.0.1:PORT"; appends one JSON line per tunnel
// to FILE as it opens (synchronously, so a test blocked in spawnSync reads it complete).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { log: { type: 'string', default: '/dev/null' }, socks5: { type: 'boolean', default: false }, auth: { type: 'string' }, map: { type: 'string', multiple: true, default: [] } },
});
const map = new Map(values.map.map((m) => m.split('=')));
const log = (entry) => fs.appendFileSync(values.log, `${JSON.stringify(entry)}\n`);

function tunnel(client, host, port, head, onOpen, onFail) {
  const target = map.get(host) ?? host;
  const upstream = net.connect(port, target, () => {
    onOpen();
    if (head?.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => onFail());
  client.on('error', () => upstream.destroy());
}

let server;
if (values.socks5) {
  server = net.createServer((client) => {
    let buf = Buffer.alloc(0);
    let stage = 'greeting';
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 'greeting') {
        if (buf.length < 2 || buf.length < 2 + buf[1]) return;
        const methods = [...buf.subarray(2, 2 + buf[1])];
        buf = buf.subarray(2 + buf[1]);
        const want = values.auth ? 2 : 0;
        if (!methods.includes(want)) return client.end(Buffer.from([5, 0xff]));
        client.write(Buffer.from([5, want]));
        stage = values.auth ? 'auth' : 'request';
      }
      if (stage === 'auth') {
        if (buf.length < 2 || buf.length < 3 + buf[1] || buf.length < 3 + buf[1] + buf[2 + buf[1]]) return;
        const user = buf.subarray(2, 2 + buf[1]).toString();
        const pass = buf.subarray(3 + buf[1], 3 + buf[1] + buf[2 + buf[1]]).toString();
        buf = buf.subarray(3 + buf[1] + buf[2 + buf[1]]);
        const ok = `${user}:${pass}` === values.auth;
        client.write(Buffer.from([1, ok ? 0 : 1]));
        if (!ok) return client.end();
        stage = 'request';
      }
      if (stage === 'request') {
        if (buf.length < 5) return;
        let host;
        let at;
        if (buf[3] === 1) [host, at] = [[...buf.subarray(4, 8)].join('.'), 8];
        else if (buf[3] === 3) [host, at] = [buf.subarray(5, 5 + buf[4]).toString(), 5 + buf[4]];
        else return client.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0]));
        if (buf.length < at + 2) return;
        const port = buf.readUInt16BE(at);
        stage = 'open';
        client.removeListener('data', onData);
        log({ socks5: `${host}:${port}` });
        tunnel(
          client,
          host,
          port,
          buf.subarray(at + 2),
          () => client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0])),
          () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])),
        );
      }
    };
    client.on('data', onData);
    client.on('error', () => {});
  });
} else {
  server = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end('this proxy only tunnels (CONNECT)\n');
  });
  server.on('connect', (req, client, head) => {
    const authorization = req.headers['proxy-authorization'];
    if (values.auth && authorization !== `Basic ${Buffer.from(values.auth).toString('base64')}`) {
      log({ connect: req.url, refused: 407 });
      return client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
    }
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? '');
    if (!m) return client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    log({ connect: req.url });
    tunnel(
      client,
      m[1],
      Number(m[2]),
      head,
      () => client.write('HTTP/1.1 200 Connection established\r\n\r\n'),
      () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'),
    );
  });
}
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on 127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
