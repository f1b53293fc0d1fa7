// Test helpers for the hub: start a Hub on 127.0.0.1 with a temporary artifact folder and a log
// recorder, raw HTTP requests (no path normalization, so traversal attempts reach the server as
// written), and WebSocket connects that report a refused upgrade's status instead of throwing.
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { Hub, type HubOptions } from '../../../main/hub/hub-server';

export interface TestHub {
  hub: Hub;
  logs: string[];
  artifactDir: string;
  dispose(): Promise<void>;
}

export async function startTestHub(opts: Partial<HubOptions> = {}): Promise<TestHub> {
  const artifactDir = await mkdtemp(path.join(os.tmpdir(), 'hub-artifacts-'));
  const logs: string[] = [];
  const hub = await Hub.start({ host: '127.0.0.1', port: 0, artifactDir, log: (l) => logs.push(l), ...opts });
  return {
    hub,
    logs,
    artifactDir,
    dispose: async () => {
      await hub.close();
      await rm(artifactDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export function raw(base: string, rawPath: string, opts: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {}): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: rawPath, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export type WsResult = { ok: true; ws: WebSocket } | { ok: false; status: number; body: string };

/** Connect to the hub's agent WebSocket; a refused upgrade resolves with its HTTP status. */
export function connectAgent(hubUrl: string, query: string, wsPath = '/agent-ws'): Promise<WsResult> {
  const ws = new WebSocket(`${hubUrl.replace(/^http/, 'ws')}${wsPath}${query}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ok: true, ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ ok: false, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/** Resolves with the next `n` text frames the client receives. */
export function nextFrames(ws: WebSocket, n = 1): Promise<unknown[]> {
  return new Promise((resolve) => {
    const got: unknown[] = [];
    const on = (data: WebSocket.RawData) => {
      got.push(JSON.parse(data.toString()));
      if (got.length === n) {
        ws.off('message', on);
        resolve(got);
      }
    };
    ws.on('message', on);
  });
}

/** Resolves with the close code and reason the client sees. */
export function closedWith(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}
