// Tests of artifact uploads (PUT /artifacts/<token>/<name>, main/hub/artifact-upload.ts): stored
// under artifactDir/<jobId>/<name> with sha256 and size, names sanitized, tokens checked, the size
// limit enforced without leaving partial files behind.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { safeName } from '../../../main/hub/artifact-upload';
import { raw, startTestHub, type TestHub } from './hub-test-utils';

let t: TestHub;
beforeEach(async () => {
  t = await startTestHub({ maxArtifactBytes: 64 * 1024 });
});
afterEach(async () => {
  await t.dispose();
});

describe('PUT /artifacts/<token>/<name>', () => {
  it('stores the body under artifactDir/<jobId>/<name> and answers sha256, bytes, path', async () => {
    const token = t.hub.issueToken({ jobId: 'run-7', deviceId: 'local' });
    const body = Buffer.alloc(40_000, 3);
    const res = await fetch(`${t.hub.artifactBaseUrl(token)}/adapter_model.safetensors`, { method: 'PUT', body });
    expect(res.status).toBe(201);
    const json = (await res.json()) as { sha256: string; bytes: number; path: string };
    const expected = path.join(t.artifactDir, 'run-7', 'adapter_model.safetensors');
    expect(json).toEqual({ sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length, path: expected });
    expect(t.hub.artifactPath('run-7', 'adapter_model.safetensors')).toBe(expected);
    expect((await readFile(expected)).equals(body)).toBe(true);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(t.logs).toContain('artifact adapter_model.safetensors received for job run-7 on local');
  });

  it('sanitizes names to [A-Za-z0-9._-] and refuses names that could escape', async () => {
    const token = t.hub.issueToken({ jobId: 'run-7', deviceId: 'local' });
    const ok = await raw(t.hub.url, `/artifacts/${token}/my%20adapter%3F%C3%A9.json`, { method: 'PUT', body: '{}' });
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.body.toString()).path).toBe(path.join(t.artifactDir, 'run-7', 'my_adapter__.json'));
    for (const name of ['..', '%2e%2e', '.hidden', '%2E', '..%2f..%2fetc']) {
      const res = await raw(t.hub.url, `/artifacts/${token}/${name}`, { method: 'PUT', body: 'x' });
      expect(res.status, name).toBe(400);
      expect(res.body.toString()).toMatch(/unusable artifact name/);
    }
    expect(await readdir(t.artifactDir)).toEqual(['run-7']);
    expect(safeName('a/b\\c')).toBe('a_b_c');
  });

  it('refuses unknown and revoked tokens with 401', async () => {
    expect((await raw(t.hub.url, `/artifacts/${'0'.repeat(64)}/a.bin`, { method: 'PUT', body: 'x' })).status).toBe(401);
    const token = t.hub.issueToken({ jobId: 'run-7', deviceId: 'local' });
    t.hub.revokeToken(token);
    const res = await raw(t.hub.url, `/artifacts/${token}/a.bin`, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(401);
    expect(t.logs).toContain('refused artifact upload from 127.0.0.1: revoked token');
    expect(await readdir(t.artifactDir)).toEqual([]);
  });

  it('405s other methods', async () => {
    const token = t.hub.issueToken({ jobId: 'run-7', deviceId: 'local' });
    const res = await raw(t.hub.url, `/artifacts/${token}/a.bin`);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('PUT');
  });

  it('refuses a declared size over the limit before reading it (413)', async () => {
    const token = t.hub.issueToken({ jobId: 'run-7', deviceId: 'local' });
    const res = await raw(t.hub.url, `/artifacts/${token}/big.bin`, { method: 'PUT', body: Buffer.alloc(64 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(res.body.toString()).toMatch(/over the hub's limit of 65536 bytes/);
    expect(await readdir(t.artifactDir)).toEqual([]);
  });

  it('stops a chunked upload that grows over the limit and leaves no partial file', async () => {
    const token = t.hub.issueToken({ jobId: 'run-7', deviceId: 'local' });
    const u = new URL(t.hub.url);
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ host: u.hostname, port: u.port, method: 'PUT', path: `/artifacts/${token}/grow.bin` }, (res) => {
        res.resume();
        resolve(`status ${res.statusCode}`);
      });
      req.on('error', (e) => resolve(`error ${e.message}`));
      let sent = 0;
      const pump = () => {
        while (sent < 1024 * 1024) {
          sent += 16 * 1024;
          if (!req.write(Buffer.alloc(16 * 1024))) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    // The hub answers 413 and drops the connection; a client still sending may see either.
    expect(outcome).toMatch(/^(status 413|error )/);
    await new Promise((r) => setTimeout(r, 100));
    expect(await readdir(path.join(t.artifactDir, 'run-7'))).toEqual([]);
  });
});
