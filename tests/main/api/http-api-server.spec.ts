// Browser mode's HTTP + WebSocket API (main/api/http-api-server.ts, ui-static.ts): the token is
// required on every API call and on the event socket, Host and Origin must be the server's own,
// payloads go through the same schemas as IPC, events arrive over the WebSocket, and the built
// page is served with the narrowed CSP and no referrer. The controller is a small fake.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { HttpApiServer } from '../../../main/api/http-api-server';
import { createHandlers, type ControllerApi } from '../../../main/ipc/handlers';

const listeners = new Map<string, (p: unknown) => void>();
const controller = {
  listSuites: () => [{ id: 'builtin/smoke.json', name: 'smoke' }],
  validateSuite: (text: string) => ({ ok: text === '{}', issues: [] }),
  on: (event: string, l: (p: unknown) => void) => {
    listeners.set(event, l);
    return () => listeners.delete(event);
  },
} as unknown as ControllerApi;

let server: HttpApiServer;
const token = 'a'.repeat(64);

beforeAll(async () => {
  const rendererDir = mkdtempSync(path.join(tmpdir(), 'fleettune-ui-'));
  mkdirSync(path.join(rendererDir, 'assets'));
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>FleetTune</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  server = await HttpApiServer.start({ handlers: createHandlers({ appVersion: () => '0.1.0', agent: () => 'test', controller }), controller, rendererDir, token });
});
afterAll(() => server?.close());

/** A raw request, so the test controls Host and Origin exactly as a browser or an attacker would. */
function call(p: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: p, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const invoke = (channel: string, payload: unknown, headers: Record<string, string> = {}) =>
  call(`/api/invoke/${channel}`, { method: 'POST', body: JSON.stringify({ payload }), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers } });

describe('HTTP API', () => {
  it('prints a 127.0.0.1 URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${token}`);
  });

  it('answers a call with the token', async () => {
    const r = await invoke('suites:list', undefined);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ok: true, result: [{ id: 'builtin/smoke.json', name: 'smoke' }] });
  });

  it('refuses calls without the token, with a wrong one, or from another site', async () => {
    expect((await invoke('suites:list', undefined, { authorization: '' })).status).toBe(401);
    expect((await invoke('suites:list', undefined, { authorization: `Bearer ${'b'.repeat(64)}` })).status).toBe(401);
    expect((await invoke('suites:list', undefined, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await invoke('suites:list', undefined, { host: `evil.example:${server.port}` })).status).toBe(403);
  });

  it('validates payloads with the IPC schemas and refuses unknown channels', async () => {
    const bad = await invoke('suites:validate', { text: 42 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/suites:validate: invalid payload/);
    expect((await invoke('shell:exec', {})).status).toBe(404);
    expect((await call('/api/invoke/suites:list', { headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
  });

  it('serves the page with the browser-mode CSP and no referrer, and nothing outside the folder', async () => {
    const page = await call('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect((await call('/assets/app.js')).headers['content-type']).toMatch(/javascript/);
    expect((await call('/../../etc/passwd')).status).toBe(404);
    expect((await call('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
  });
});

describe('event socket', () => {
  const open = (query: string, origin = server.origin) => new WebSocket(`ws://127.0.0.1:${server.port}/api/events${query}`, { origin });

  it('delivers pushed events to a socket with the token', async () => {
    const ws = open(`?token=${token}`);
    const messages: { event: string; payload: unknown }[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (m) => {
        messages.push(JSON.parse(String(m)));
        if (messages.length === 1) listeners.get('live:batch')!({ at: 't', runs: [], logs: [] });
        if (messages.length === 2) resolve();
      });
      ws.on('error', reject);
    });
    expect(messages[0].event).toBe('hello');
    expect(messages[1]).toEqual({ event: 'live:batch', payload: { at: 't', runs: [], logs: [] } });
    ws.close();
  });

  it('refuses a socket without the token or from another origin', async () => {
    for (const ws of [open(''), open(`?token=${token}`, 'https://evil.example')]) {
      await expect(new Promise((resolve, reject) => {
        ws.on('open', () => resolve('opened'));
        ws.on('error', reject);
      })).rejects.toThrow(/403/);
    }
  });
});
