// Where evicted parameters live: a key -> bytes store with synchronous reads (the forward pass is
// synchronous, and sync reads of recently written files come from the OS page cache, which is not
// process RSS). Three stores: the Node file system, the browser's Origin Private File System
// (sync access handles, available in Web Workers, where the browser agent trains) and memory (tests).
// Only the Node store can read ahead (a worker thread, read-ahead.ts): OPFS sync access handles
// belong to the worker that opened them, and that worker is busy computing, so nothing overlaps.
import { float16BitsToFloat32, float32ToFloat16Bits } from '../io/float16.js';
import { kernelIfAny } from '../core/registry.js';
import { ReadAheadWorker, type PendingRead } from './read-ahead.js';

export type { PendingRead } from './read-ahead.js';

export interface ShardStore {
  readonly kind: 'fs' | 'opfs' | 'memory';
  /** Keys not planned up front can be written (not OPFS, whose files are opened before training). */
  readonly newKeys: boolean;
  write(key: string, bytes: Uint8Array): void;
  /** Read exactly `length` bytes of key into a fresh buffer. */
  read(key: string, length: number): Uint8Array;
  /** Read exactly `dst.length` bytes of key into `dst` (a slot of the shard arena). */
  readInto(key: string, dst: Uint8Array): void;
  /** Read `length` bytes of key from byte `offset` (a few rows of a chunk, without loading it). */
  readRange(key: string, offset: number, length: number): Uint8Array;
  /**
   * Start reading `length` bytes of key while the caller computes; stores that cannot overlap a
   * read with compute leave this out (the sharder then loads on demand).
   */
  readAhead?(key: string, length: number): PendingRead;
  /** The same into `dst`, a view of a SharedArrayBuffer, written in place (where readAhead exists). */
  readAheadInto?(key: string, dst: Uint8Array): PendingRead;
  close(): void;
}

/** Encode float32 values for storage: fp16 (round to nearest even) or fp32 as is. */
export function encodeValues(values: Float32Array, fp16: boolean): Uint8Array {
  if (!fp16) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const h = float32ToFloat16Bits(values);
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}

export function decodeValues(bytes: Uint8Array, count: number, fp16: boolean): Float32Array {
  if (!fp16) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  return decodeFloat16Into(new Float32Array(count), bytes);
}

/**
 * Decode the fp16 `bytes` into `out`. They may overlap when the bytes are the upper half of `out`'s
 * memory (a slot read in place): value i is written at byte 4i and read from byte 2n + 2i, so no
 * value is overwritten before it is read, in the JS loop and in the kernel (which copies each slice
 * in before writing it out) alike.
 */
export function decodeFloat16Into(out: Float32Array, bytes: Uint8Array): Float32Array {
  const count = out.length;
  const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  // the backend's SIMD decoder where one is loaded (~4x faster than the JS loop), the same values
  const decode = kernelIfAny('float16-to-float32');
  if (decode) decode(out, bits, count);
  else float16BitsToFloat32(bits, out);
  return out;
}

/** In-memory store: for tests and as the reference for the others (it bounds nothing). */
export class MemoryShardStore implements ShardStore {
  readonly kind = 'memory' as const;
  readonly newKeys = true;
  private readonly map = new Map<string, Uint8Array>();
  write(key: string, bytes: Uint8Array): void {
    this.map.set(key, bytes.slice());
  }
  read(key: string, length: number): Uint8Array {
    const b = this.map.get(key);
    if (!b || b.length !== length) throw new Error(`shard store: no ${length}-byte entry "${key}"`);
    return b.slice();
  }
  readInto(key: string, dst: Uint8Array): void {
    dst.set(this.read(key, dst.length));
  }
  readRange(key: string, offset: number, length: number): Uint8Array {
    const b = this.map.get(key);
    if (!b || offset + length > b.length) throw new Error(`shard store: entry "${key}" has no bytes [${offset}, ${offset + length})`);
    return b.slice(offset, offset + length);
  }
  close(): void {
    this.map.clear();
  }
}

type NodeFs = typeof import('node:fs');

/**
 * One file per key in a folder (Node). The folder is created, and removed by close(). Reads ahead
 * on a worker thread unless opened with `{ readAhead: false }`.
 */
export class FsShardStore implements ShardStore {
  readonly kind = 'fs' as const;
  readonly newKeys = true;
  readAhead?: (key: string, length: number) => PendingRead;
  readAheadInto?: (key: string, dst: Uint8Array) => PendingRead;
  private constructor(private readonly fs: NodeFs, private readonly dir: string, private readonly join: (a: string, b: string) => string, private readonly worker: ReadAheadWorker | null) {
    if (worker) {
      this.readAhead = (key, length) => worker.read(this.file(key), length);
      this.readAheadInto = (key, dst) => worker.readInto(this.file(key), dst);
    }
  }

  static async open(dir: string, opts: { readAhead?: boolean } = {}): Promise<FsShardStore> {
    const fs = await import('node:fs');
    const path = await import('node:path');
    fs.mkdirSync(dir, { recursive: true });
    const sub = fs.mkdtempSync(path.join(dir, 'shards-'));
    return new FsShardStore(fs, sub, path.join, opts.readAhead === false ? null : await ReadAheadWorker.start());
  }

  private file(key: string): string {
    return this.join(this.dir, key.replace(/[^A-Za-z0-9._-]/g, '_'));
  }

  write(key: string, bytes: Uint8Array): void {
    this.fs.writeFileSync(this.file(key), bytes);
  }

  read(key: string, length: number): Uint8Array {
    return this.readRange(key, 0, length);
  }

  readRange(key: string, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readAt(key, offset, out);
    return out;
  }

  readInto(key: string, dst: Uint8Array): void {
    this.readAt(key, 0, dst);
  }

  private readAt(key: string, offset: number, out: Uint8Array): void {
    const length = out.length;
    const fd = this.fs.openSync(this.file(key), 'r');
    try {
      let off = 0;
      while (off < length) {
        const n = this.fs.readSync(fd, out, off, length - off, offset + off);
        if (n === 0) throw new Error(`shard file for "${key}" is shorter than ${offset + length} bytes; the shard folder was changed during training`);
        off += n;
      }
    } finally {
      this.fs.closeSync(fd);
    }
  }

  close(): void {
    this.worker?.close();
    this.fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

interface SyncAccessHandle {
  read(buf: Uint8Array, opts: { at: number }): number;
  write(buf: Uint8Array, opts: { at: number }): number;
  truncate(n: number): void;
  flush(): void;
  close(): void;
}

/**
 * Browser Origin Private File System, one file per key, through sync access handles (Web Workers
 * only). Handles are opened up front by open(), because opening is asynchronous.
 */
export class OpfsShardStore implements ShardStore {
  readonly kind = 'opfs' as const;
  readonly newKeys = false;
  private constructor(private readonly handles: Map<string, SyncAccessHandle>, private readonly cleanup: () => Promise<void>) {}

  static async open(keys: string[], folder = 'fleettune-shards'): Promise<OpfsShardStore> {
    const nav = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<unknown> } } }).navigator;
    if (!nav?.storage?.getDirectory) throw new Error('this browser has no Origin Private File System (navigator.storage.getDirectory); sharding needs it, or turn sharding off');
    type Dir = { getDirectoryHandle(n: string, o: { create: boolean }): Promise<Dir>; getFileHandle(n: string, o: { create: boolean }): Promise<{ createSyncAccessHandle(): Promise<SyncAccessHandle> }>; removeEntry(n: string, o: { recursive: boolean }): Promise<void> };
    const root = (await nav.storage.getDirectory()) as Dir;
    const name = `${folder}-${Date.now().toString(36)}`;
    const dir = await root.getDirectoryHandle(name, { create: true });
    const handles = new Map<string, SyncAccessHandle>();
    for (const key of keys) {
      const fh = await dir.getFileHandle(key.replace(/[^A-Za-z0-9._-]/g, '_'), { create: true });
      if (!('createSyncAccessHandle' in fh)) throw new Error('OPFS sync access handles exist only in Web Workers; run the agent in a worker');
      handles.set(key, await fh.createSyncAccessHandle());
    }
    return new OpfsShardStore(handles, () => root.removeEntry(name, { recursive: true }));
  }

  private handle(key: string): SyncAccessHandle {
    const h = this.handles.get(key);
    if (!h) throw new Error(`OPFS shard store has no file for "${key}"`);
    return h;
  }

  write(key: string, bytes: Uint8Array): void {
    const h = this.handle(key);
    h.truncate(0);
    h.write(bytes, { at: 0 });
    h.flush();
  }

  read(key: string, length: number): Uint8Array {
    return this.readRange(key, 0, length);
  }

  readRange(key: string, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readAt(key, offset, out);
    return out;
  }

  readInto(key: string, dst: Uint8Array): void {
    this.readAt(key, 0, dst);
  }

  private readAt(key: string, offset: number, out: Uint8Array): void {
    const n = this.handle(key).read(out, { at: offset });
    if (n !== out.length) throw new Error(`OPFS shard "${key}" gave ${n} bytes at ${offset}, expected ${out.length}`);
  }

  close(): void {
    for (const h of this.handles.values()) h.close();
    void this.cleanup().catch(() => {});
  }
}
