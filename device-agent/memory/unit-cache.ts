// The resident set of a parameter sharder: units (a tensor, a row chunk of one, a gradient, a chunk
// of an AdamW moment) that live on a ShardStore and, up to a byte budget, in memory. Least recently
// used units are evicted first; a changed (dirty) unit is written back before its buffer is dropped,
// a clean one is just dropped. Read-ahead (prefetch) reserves its bytes in the same budget, so
// resident + in-flight bytes never exceed it. Knows nothing about tensors (parameter-sharder.ts does).
import { noteGarbage, track } from '../core/memory-tracker.js';
import { decodeValues, encodeValues, type PendingRead, type ShardStore } from './shard-store.js';

export interface Unit {
  readonly key: string;
  /** float32 elements. */
  readonly count: number;
  /** Stored as fp16 (frozen weights only: a trainable unit would be rounded at every write-back). */
  readonly fp16: boolean;
  buffer: Float32Array | null;
  /** The buffer differs from the store. */
  dirty: boolean;
  /** The store holds the values; otherwise they are all zero (a new gradient or moment). */
  stored: boolean;
  pending: PendingRead | null;
  /** Called when the buffer is dropped (a tensor forgets its cached values). */
  onEvict?: () => void;
}

export interface ShardStats {
  budgetBytes: number;
  /** Bytes in memory now, reads in flight included. */
  residentBytes: number;
  peakResidentBytes: number;
  reads: number;
  /** Reads of a few rows of a unit that was not loaded (embedding lookups). */
  rangeReads: number;
  writes: number;
  readBytes: number;
  writeBytes: number;
  evictions: number;
  /** Reads started ahead of use, and how many of them were still running when the unit was needed. */
  prefetches: number;
  prefetchWaits: number;
  /** Prefetched units dropped unused (the budget was needed for something else first). */
  prefetchWasted: number;
  /** Time the caller spent waiting on storage: synchronous reads and decoding, and waits for reads in flight. */
  waitMs: number;
}

export function newUnit(key: string, count: number, fp16: boolean, stored: boolean): Unit {
  return { key, count, fp16, buffer: null, dirty: false, stored, pending: null };
}

const bytesOf = (u: Unit) => u.count * 4;

export class UnitCache {
  /** Resident units in least-recently-used-first order (Map keeps insertion order). */
  private readonly lru = new Map<Unit, true>();
  /** Reads in flight, oldest first. */
  private readonly inflight = new Map<Unit, true>();
  private lruBytes = 0;
  private inflightBytes = 0;
  readonly stats: ShardStats;

  constructor(private readonly store: ShardStore, budgetBytes: number, private readonly readAhead: boolean) {
    this.stats = { budgetBytes, residentBytes: 0, peakResidentBytes: 0, reads: 0, rangeReads: 0, writes: 0, readBytes: 0, writeBytes: 0, evictions: 0, prefetches: 0, prefetchWaits: 0, prefetchWasted: 0, waitMs: 0 };
  }

  get canPrefetch(): boolean {
    return this.readAhead && this.store.readAhead !== undefined;
  }

  /** Put values in the store (a unit being adopted); nothing stays resident. */
  write(unit: Unit, values: Float32Array): void {
    const bytes = encodeValues(values, unit.fp16);
    this.store.write(unit.key, bytes);
    this.stats.writes++;
    this.stats.writeBytes += bytes.length;
    unit.stored = true;
  }

  /** The unit's values, loaded (or taken from a finished read-ahead) if needed; most recently used now. */
  load(unit: Unit): Float32Array {
    if (unit.buffer) {
      this.touch(unit);
      return unit.buffer;
    }
    if (unit.pending) return this.settle(unit);
    this.makeRoom(bytesOf(unit));
    let values: Float32Array;
    if (unit.stored) {
      const t0 = performance.now();
      const raw = this.store.read(unit.key, unit.count * (unit.fp16 ? 2 : 4));
      values = decodeValues(raw, unit.count, unit.fp16);
      this.stats.waitMs += performance.now() - t0;
      this.stats.reads++;
      this.stats.readBytes += raw.length;
    } else values = new Float32Array(unit.count);
    return this.admit(unit, track(values));
  }

  /**
   * Elements [start, start + count) of a unit without making it resident: from its buffer if it is
   * in memory, else read alone from the store (a few embedding rows need not load a 12 MB chunk).
   */
  peek(unit: Unit, start: number, count: number): Float32Array {
    if (unit.pending) this.settle(unit);
    if (unit.buffer) {
      this.touch(unit);
      return unit.buffer.subarray(start, start + count);
    }
    if (!unit.stored) return new Float32Array(count);
    const size = unit.fp16 ? 2 : 4;
    const t0 = performance.now();
    const raw = this.store.readRange(unit.key, start * size, count * size);
    const values = decodeValues(raw, count, unit.fp16);
    this.stats.waitMs += performance.now() - t0;
    this.stats.rangeReads++;
    this.stats.readBytes += raw.length;
    return values;
  }

  touch(unit: Unit): void {
    if (!unit.buffer) return;
    this.lru.delete(unit);
    this.lru.set(unit, true);
  }

  markDirty(unit: Unit): void {
    if (!unit.buffer) throw new Error(`shard "${unit.key}" was marked changed while not in memory; changes must be made to its loaded values`);
    unit.dirty = true;
  }

  /** Forget the values: they are all zero from now on (a gradient reset). Nothing is read or written. */
  drop(unit: Unit): void {
    if (unit.pending) this.settle(unit);
    if (unit.buffer) this.release(unit);
    unit.dirty = false;
    unit.stored = false;
  }

  /**
   * Start reading `next` ahead while `now` is in use. Room comes only from free budget and from
   * evicting units in neither list; `now` units that are not resident yet keep their room reserved.
   * Stops at the first unit that does not fit (best effort: a load on demand still works).
   */
  prefetch(next: Unit[], now: Unit[]): void {
    if (!this.canPrefetch) return;
    const protect = new Set([...now, ...next]);
    let reserve = 0;
    for (const u of new Set(now)) if (!u.buffer && !u.pending) reserve += bytesOf(u);
    for (const u of next) {
      if (u.buffer || u.pending || !u.stored) continue;
      if (!this.makeRoom(bytesOf(u) + reserve, protect)) return;
      u.pending = this.store.readAhead!(u.key, u.count * (u.fp16 ? 2 : 4));
      this.inflight.set(u, true);
      this.inflightBytes += bytesOf(u);
      this.stats.prefetches++;
      this.noteResident();
    }
  }

  private settle(unit: Unit): Float32Array {
    const pending = unit.pending!;
    unit.pending = null;
    this.inflight.delete(unit);
    this.inflightBytes -= bytesOf(unit);
    const t0 = performance.now();
    if (!pending.ready()) this.stats.prefetchWaits++;
    const raw = pending.wait();
    const values = raw && decodeValues(raw, unit.count, unit.fp16); // fp16 decoding here, not in the worker (README)
    this.stats.waitMs += performance.now() - t0;
    this.stats.reads++;
    this.stats.readBytes += unit.count * (unit.fp16 ? 2 : 4);
    if (values) return this.admit(unit, track(values));
    this.noteResident();
    return this.load(unit); // the worker failed: read synchronously, which reports the cause
  }

  private admit(unit: Unit, values: Float32Array): Float32Array {
    unit.buffer = values;
    this.lru.set(unit, true);
    this.lruBytes += bytesOf(unit);
    this.noteResident();
    return values;
  }

  private noteResident(): void {
    this.stats.residentBytes = this.lruBytes + this.inflightBytes;
    this.stats.peakResidentBytes = Math.max(this.stats.peakResidentBytes, this.stats.residentBytes);
  }

  /** The least recently used resident unit not in `protect`. */
  private victim(protect?: Set<Unit>): Unit | undefined {
    for (const u of this.lru.keys()) if (!protect?.has(u)) return u;
    return undefined;
  }

  /**
   * Evict least recently used units (never those in `protect`) until `bytes` more fit the budget.
   * Without `protect` (a load on demand) it also waits for reads in flight and evicts them. Returns
   * whether the bytes fit.
   */
  private makeRoom(bytes: number, protect?: Set<Unit>): boolean {
    while (this.lruBytes + this.inflightBytes + bytes > this.stats.budgetBytes) {
      const victim = this.victim(protect);
      if (victim) {
        this.evict(victim);
        continue;
      }
      if (protect || this.inflight.size === 0) return false;
      const oldest = this.inflight.keys().next().value!;
      this.settle(oldest);
      this.stats.prefetchWasted++;
    }
    return true;
  }

  private evict(unit: Unit): void {
    if (unit.dirty) {
      const bytes = encodeValues(unit.buffer!, unit.fp16);
      this.store.write(unit.key, bytes);
      this.stats.writes++;
      this.stats.writeBytes += bytes.length;
      unit.stored = true;
      unit.dirty = false;
    }
    this.release(unit);
    this.stats.evictions++;
  }

  private release(unit: Unit): void {
    unit.buffer = null;
    this.lru.delete(unit);
    this.lruBytes -= bytesOf(unit);
    this.noteResident();
    unit.onEvict?.();
    noteGarbage(bytesOf(unit));
  }

  /** Write back and drop everything resident; wait for reads in flight. */
  evictAll(): void {
    for (const u of [...this.inflight.keys()]) this.settle(u);
    for (const u of [...this.lru.keys()]) this.evict(u);
  }

  /** Drop everything without writing back (the store is going away), then close the store. */
  close(): void {
    for (const u of [...this.inflight.keys()]) this.settle(u);
    for (const u of [...this.lru.keys()]) this.release(u);
    this.store.close();
  }
}
