// Which requests go through HTTPS_PROXY: Go's golang.org/x/net/http/httpproxy rules, which kubectl follows.
import { chooseProxy, useProxy } from '../../src/kubeapi/proxy';

const direct = (server: string, noProxy: string) => !useProxy(new URL(server), noProxy);

describe('NO_PROXY and loopback, as Go decides', () => {
  test.each([
    ['https://localhost:6443', '', true],
    ['https://127.0.0.1:6443', '', true],
    ['https://127.9.9.9:6443', '', true],
    ['https://[::1]:6443', '', true],
    ['https://10.0.0.1:6443', '', false],
    ['https://api.example.org', '*', true],
    ['https://api.example.org', 'example.org', true], // a domain matches itself and its subdomains
    ['https://example.org', 'example.org', true],
    ['https://api.example.org', '.example.org', true],
    ['https://example.org', '.example.org', false], // a leading dot: subdomains only
    ['https://api.example.org', '*.example.org', true],
    ['https://notexample.org', 'example.org', false],
    ['https://API.Example.org', 'example.org', true],
    ['https://api.example.org:6443', 'example.org:443', false], // a port must match too (the default port counts)
    ['https://api.example.org', 'example.org:443', true],
    ['https://10.0.0.1:6443', '10.0.0.0/8', true],
    ['https://11.0.0.1:6443', '10.0.0.0/8', false],
    ['https://10.0.0.1:6443', ' 10.0.0.1 , other', true],
    ['https://[fd00::1]:6443', 'fd00::/8', true],
    ['https://10.0.0.1:6443', '10.0.0.1:443', false],
  ])('%s with NO_PROXY=%j goes direct: %s', (server, noProxy, expected) => {
    expect(direct(server, noProxy)).toBe(expected);
  });
});

describe('which proxy', () => {
  const api = new URL('https://api.example.org:6443');
  test('HTTPS_PROXY for https servers, HTTP_PROXY for http ones, upper case first', () => {
    expect(chooseProxy(api, undefined, 'c', { HTTPS_PROXY: 'http://a:3128', https_proxy: 'http://b:3128' })?.url.host).toBe('a:3128');
    expect(chooseProxy(api, undefined, 'c', { https_proxy: 'b:3128' })?.url.href).toBe('http://b:3128/'); // no scheme: http://
    expect(chooseProxy(api, undefined, 'c', { HTTP_PROXY: 'http://a:3128' })).toBeUndefined();
    expect(chooseProxy(new URL('http://api.example.org'), undefined, 'c', { HTTP_PROXY: 'http://a:3128' })?.source).toBe('HTTP_PROXY');
  });
  test("the cluster's proxy-url wins, and NO_PROXY does not apply to it", () => {
    const route = chooseProxy(api, 'socks5://s:1080', 'prod', { HTTPS_PROXY: 'http://a:3128', NO_PROXY: '*' });
    expect(route).toMatchObject({ source: 'proxy-url of cluster "prod"' });
    expect(route?.url.protocol).toBe('socks5:');
  });
});
