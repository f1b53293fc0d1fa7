// HTTP plumbing shared by the hub's routes: the headers every response carries (cross-origin
// isolation), content types, plain-text / JSON replies, byte ranges and file streaming.
// Not a router and not a framework: node:http only, as the rest of the hub.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Cache-Control values: content-addressed files never change; everything else revalidates. */
export const cache = {
  immutable: 'public, max-age=31536000, immutable',
  revalidate: 'no-cache',
  none: 'no-store',
} as const;

/**
 * Headers on every response. COOP + COEP make the agent page cross-origin isolated, which browsers
 * require for SharedArrayBuffer (WASM threads); CORP same-origin lets that isolated page load the
 * hub's own files while no other origin can embed them.
 */
export function setBaseHeaders(res: ServerResponse, cacheControl: string): void {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', cacheControl);
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export function contentTypeFor(name: string): string {
  return types[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  setBaseHeaders(res, cache.none);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  setBaseHeaders(res, cache.none);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** A single `bytes=` range of a resource of `size` bytes; null = serve it whole. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Multiple ranges and other units are allowed to be ignored (RFC 9110 14.2): send it all.
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

export interface Entity {
  size: number;
  contentType: string;
  etag: string;
  cacheControl: string;
  /** Bytes [start, end] of the entity, as a stream or a buffer. */
  body(start: number, end: number): NodeJS.ReadableStream | Buffer;
}

/** Answer GET / HEAD for one entity: conditional (ETag), ranged, streamed. */
export async function sendEntity(req: IncomingMessage, res: ServerResponse, e: Entity): Promise<void> {
  setBaseHeaders(res, e.cacheControl);
  res.setHeader('ETag', e.etag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', e.contentType);
  if (req.headers['if-none-match'] === e.etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  const range = parseRange(req.headers.range, e.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${e.size}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: e.size - 1 };
  const headers: Record<string, string | number> = { 'Content-Length': Math.max(0, end - start + 1) };
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${e.size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || e.size === 0) {
    res.end();
    return;
  }
  const body = e.body(start, end);
  if (Buffer.isBuffer(body)) {
    res.end(body);
    return;
  }
  // A client that goes away mid-download rejects the pipeline; there is nobody left to answer.
  await pipeline(body, res).catch(() => res.destroy());
}

export function fileBody(file: string): Entity['body'] {
  return (start, end) => createReadStream(file, { start, end });
}
