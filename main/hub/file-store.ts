// The hub's content-addressed files (model weights, tokenizer, data sets): registered once,
// served at /files/<sha256> with immutable caching, streamed from disk, HEAD and Range supported.
// Not a copy: files stay where they are; the hash is computed once per (path, mtime, size).
// Serving a file that changed after registration is refused, so a URL never serves other bytes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { cache, contentTypeFor, fileBody, sendEntity, sendText } from './http-responses';

export interface HubFile {
  sha256: string;
  bytes: number;
  /** "/files/<sha256>": relative, for devices that reach the hub under another origin (adb reverse). */
  path: string;
  /** The absolute URL on the hub's own address. */
  url: string;
}

type Source =
  | { kind: 'disk'; file: string; size: number; mtimeMs: number; name: string }
  | { kind: 'memory'; bytes: Buffer; name: string };

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

export class FileStore {
  private readonly byHash = new Map<string, Source>();
  /** sha256 per `${path}|${mtimeMs}|${size}`; a promise, so concurrent adds hash once. */
  private readonly hashCache = new Map<string, Promise<string>>();

  constructor(private readonly baseUrl: string) {}

  /** Register a file on disk or bytes in memory; `name` only picks the Content-Type. */
  async add(source: string | Uint8Array, name?: string): Promise<HubFile> {
    if (typeof source !== 'string') {
      const bytes = Buffer.from(source); // a copy: later changes by the caller must not change the served bytes
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      this.byHash.set(sha256, { kind: 'memory', bytes, name: name ?? '' });
      return this.describe(sha256, bytes.length);
    }
    const file = await realpath(source).catch(() => {
      throw new Error(`cannot serve ${source}: the file does not exist`);
    });
    const st = await stat(file);
    if (!st.isFile()) throw new Error(`cannot serve ${source}: not a regular file`);
    const key = `${file}|${st.mtimeMs}|${st.size}`;
    let hashing = this.hashCache.get(key);
    if (!hashing) {
      hashing = hashFile(file);
      this.hashCache.set(key, hashing);
      hashing.catch(() => this.hashCache.delete(key));
    }
    const sha256 = await hashing;
    this.byHash.set(sha256, { kind: 'disk', file, size: st.size, mtimeMs: st.mtimeMs, name: name ?? path.basename(file) });
    return this.describe(sha256, st.size);
  }

  /** GET / HEAD /files/<id>. */
  async serve(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const src = /^[0-9a-f]{64}$/.test(id) ? this.byHash.get(id) : undefined;
    if (!src) return sendText(res, 404, `no file with sha256 ${id} is registered on this hub`);
    const common = { contentType: contentTypeFor(src.name), etag: `"${id}"`, cacheControl: cache.immutable };
    if (src.kind === 'memory') {
      return sendEntity(req, res, { ...common, size: src.bytes.length, body: (s, e) => src.bytes.subarray(s, e + 1) });
    }
    const st = await stat(src.file).catch(() => null);
    if (!st || st.size !== src.size || st.mtimeMs !== src.mtimeMs) {
      return sendText(res, 410, `${src.file} changed or vanished after it was registered as sha256 ${id}; register it again`);
    }
    return sendEntity(req, res, { ...common, size: src.size, body: fileBody(src.file) });
  }

  private describe(sha256: string, bytes: number): HubFile {
    const p = `/files/${sha256}`;
    return { sha256, bytes, path: p, url: `${this.baseUrl}${p}` };
  }
}
