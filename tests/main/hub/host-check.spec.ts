// The hub's DNS-rebinding guard (main/hub/host-check.ts): requests and WebSocket upgrades whose Host
// header names a foreign host are refused with 403 and logged; IP literals (v4, v6), localhost and
// configured names pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hostAllowed, hostName } from '../../../main/hub/host-check';
import { raw, startTestHub, type TestHub } from './hub-test-utils';

describe('hostAllowed', () => {
  it.each([
    ['127.0.0.1:8080', true], ['192.168.1.20:41000', true], ['[::1]:9000', true], ['[fe80::1]', true],
    ['localhost:5000', true], ['LOCALHOST', true], ['agent.localhost:1', true], ['localhost.:80', true],
    ['evil.example:8080', false], ['127.0.0.1.evil.example', false], ['localhost.evil.example', false],
    ['', false], [undefined, false], ['a b', false], ['127.0.0.1:80:80', false], ['[::1', false],
  ])('%s -> %s', (host, ok) => {
    expect(hostAllowed(host)).toBe(ok);
  });

  it('names given to the hub pass, case-insensitively; hostName strips port and brackets', () => {
    expect(hostAllowed('Build-Box.lan:7000', ['build-box.lan'])).toBe(true);
    expect(hostAllowed('other.lan:7000', ['build-box.lan'])).toBe(false);
    expect(hostName('[::1]:80')).toBe('::1');
    expect(hostName('Example.COM.:443')).toBe('example.com');
  });
});

describe('hub with the guard', () => {
  let t: TestHub;
  beforeAll(async () => { t = await startTestHub({ allowedHosts: ['Build-Box.lan'] }); });
  afterAll(() => t.dispose());

  it('serves files to IP and localhost hosts, refuses a rebound name with 403 and logs it', async () => {
    const f = await t.hub.addFile(Buffer.from('weights'), 'w.bin');
    const port = new URL(t.hub.url).port;
    expect((await raw(t.hub.url, f.path)).status).toBe(200);
    expect((await raw(t.hub.url, f.path, { headers: { Host: `localhost:${port}` } })).status).toBe(200);
    expect((await raw(t.hub.url, f.path, { headers: { Host: `build-box.lan:${port}` } })).status).toBe(200);
    const bad = await raw(t.hub.url, f.path, { headers: { Host: `attacker.example:${port}` } });
    expect(bad.status).toBe(403);
    expect(bad.body.toString()).toMatch(/not an IP address or localhost.*allowedHosts/);
    expect(t.logs.join('\n')).toMatch(/refused GET \/files\/[0-9a-f]+ .*Host "attacker\.example/);
  });

  it('refuses a WebSocket upgrade from a rebound name before looking at the token', async () => {
    const token = t.hub.issueToken({ jobId: 'j1', deviceId: 'd1' });
    const ws = new WebSocket(`${t.hub.url.replace(/^http/, 'ws')}/agent-ws?token=${token}`, { headers: { Host: 'attacker.example' } });
    const status = await new Promise<number>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('upgrade accepted')));
      ws.once('error', reject);
    });
    expect(status).toBe(403);
    expect(t.hub.connection(token)).toBeUndefined();
  });
});
