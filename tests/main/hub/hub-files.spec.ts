// Tests of the hub's HTTP side (main/hub/hub-server.ts, file-store.ts, agent-files.ts): files by
// sha256 with cross-origin isolation and cache headers, ranges, HEAD, conditional requests, 404s,
// the agent bundle's content types, and refused path traversal.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, startTestHub, type TestHub } from './hub-test-utils';

let t: TestHub;
let tmp: string;
let agentDir: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hub-files-'));
  agentDir = path.join(tmp, 'agent');
  await mkdir(path.join(agentDir, 'assets'), { recursive: true });
  await writeFile(path.join(agentDir, 'index.html'), '<!doctype html><title>agent</title>');
  await writeFile(path.join(agentDir, 'assets', 'agent.js'), 'console.log(1)');
  await writeFile(path.join(agentDir, 'assets', 'kernels.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  await writeFile(path.join(agentDir, '.env'), 'TOP-SECRET=1');
  await writeFile(path.join(tmp, 'secret.txt'), 'TOP-SECRET, outside the agent folder');
  await symlink(path.join(tmp, 'secret.txt'), path.join(agentDir, 'assets', 'link.txt'));
  t = await startTestHub({ agentDir });
});
afterAll(async () => {
  await t.dispose();
  await rm(tmp, { recursive: true, force: true });
});

function expectIsolationHeaders(headers: Record<string, unknown>): void {
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
  expect(headers['cross-origin-resource-policy']).toBe('same-origin');
  expect(headers['cache-control']).toBeTruthy();
}

describe('/files/<sha256>', () => {
  it('serves registered bytes by hash, immutable, with COOP/COEP/CORP', async () => {
    const bytes = Buffer.from('{"n_layer": 2}');
    const f = await t.hub.addFile(bytes, 'config.json');
    expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(f).toMatchObject({ bytes: bytes.length, path: `/files/${f.sha256}`, url: `${t.hub.url}/files/${f.sha256}` });
    const res = await fetch(f.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    expectIsolationHeaders(Object.fromEntries(res.headers));
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('etag')).toBe(`"${f.sha256}"`);
  });

  it('streams a file from disk with Range, HEAD and If-None-Match', async () => {
    const file = path.join(tmp, 'weights.bin');
    const data = Buffer.alloc(3 * 2 ** 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    await writeFile(file, data);
    const f = await t.hub.addFile(file);
    expect(f.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    const whole = await fetch(f.url);
    expect(Buffer.from(await whole.arrayBuffer()).equals(data)).toBe(true);
    expect(whole.headers.get('content-type')).toBe('application/octet-stream');

    const part = await raw(t.hub.url, f.path, { headers: { Range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 1000-1999/${data.length}`);
    expect(part.body.equals(data.subarray(1000, 2000))).toBe(true);
    const suffix = await raw(t.hub.url, f.path, { headers: { Range: 'bytes=-10' } });
    expect(suffix.body.equals(data.subarray(-10))).toBe(true);
    expect((await raw(t.hub.url, f.path, { headers: { Range: `bytes=${data.length}-` } })).status).toBe(416);

    const head = await raw(t.hub.url, f.path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(data.length));
    expect(head.body.length).toBe(0);
    expect((await raw(t.hub.url, f.path, { headers: { 'If-None-Match': `"${f.sha256}"` } })).status).toBe(304);
  });

  it('hashes a file once per (path, mtime, size)', async () => {
    const file = path.join(tmp, 'data.txt');
    const when = 1_700_000_000; // whole seconds: a Date round-trip would lose sub-ms mtime digits
    await writeFile(file, 'aaaa');
    await utimes(file, when, when);
    const first = await t.hub.addFile(file);
    // Same size and mtime, other bytes: the cached hash is used (a re-hash would differ).
    await writeFile(file, 'bbbb');
    await utimes(file, when, when);
    expect((await t.hub.addFile(file)).sha256).toBe(first.sha256);
    // A real change (new mtime) is hashed again.
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    expect((await t.hub.addFile(file)).sha256).toBe(createHash('sha256').update('bbbb').digest('hex'));
  });

  it('refuses to serve a file that changed after it was registered (410)', async () => {
    const file = path.join(tmp, 'changes.txt');
    await writeFile(file, 'version 1');
    const f = await t.hub.addFile(file);
    await writeFile(file, 'version 2, longer');
    const res = await raw(t.hub.url, f.path);
    expect(res.status).toBe(410);
    expect(res.body.toString()).toMatch(/changed or vanished.*register it again/);
  });

  it('404s unknown hashes and paths, with the isolation headers; 405s other methods', async () => {
    for (const p of [`/files/${'0'.repeat(64)}`, '/files/not-a-hash', '/', '/nothing/here']) {
      const res = await raw(t.hub.url, p);
      expect(res.status, p).toBe(404);
      expectIsolationHeaders(res.headers);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect((await raw(t.hub.url, `/files/${'0'.repeat(64)}`, { method: 'POST' })).status).toBe(405);
  });

  it('rejects adding a missing file with a clear message', async () => {
    await expect(t.hub.addFile(path.join(tmp, 'missing.bin'))).rejects.toThrow(/missing\.bin: the file does not exist/);
  });
});

describe('/agent/', () => {
  it('serves index.html for the folder, with the right content types', async () => {
    for (const [p, type] of [
      ['/agent/', 'text/html; charset=utf-8'],
      ['/agent/index.html', 'text/html; charset=utf-8'],
      ['/agent/assets/agent.js', 'text/javascript; charset=utf-8'],
      ['/agent/assets/kernels.wasm', 'application/wasm'],
    ] as const) {
      const res = await raw(t.hub.url, p);
      expect(res.status, p).toBe(200);
      expect(res.headers['content-type'], p).toBe(type);
      expectIsolationHeaders(res.headers);
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('redirects /agent to /agent/ so relative URLs in the bundle resolve', async () => {
    const res = await raw(t.hub.url, '/agent');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/agent/');
  });

  it('refuses paths that lead outside the agent folder', async () => {
    for (const p of ['/agent/../secret.txt', '/agent/..%2fsecret.txt', '/agent/assets/..%2F..%2F..%2Fsecret.txt', '/agent/%2e%2e/secret.txt', '/agent/..%5csecret.txt', '/agent/assets/link.txt']) {
      const res = await raw(t.hub.url, p);
      expect([403, 404], p).toContain(res.status);
      expect(res.body.toString(), p).not.toContain('TOP-SECRET');
    }
    expect((await raw(t.hub.url, '/agent/../secret.txt')).status).toBe(403);
    expect((await raw(t.hub.url, '/agent/assets/link.txt')).status).toBe(403);
    expect((await raw(t.hub.url, '/agent/.env')).status).toBe(404);
    expect((await raw(t.hub.url, '/agent/%E0%A4%A')).status).toBe(400);
  });

  it('404s when the hub has no agent bundle', async () => {
    const bare = await startTestHub();
    try {
      const res = await raw(bare.hub.url, '/agent/index.html');
      expect(res.status).toBe(404);
      expect(res.body.toString()).toMatch(/serves no agent bundle/);
    } finally {
      await bare.dispose();
    }
  });
});
