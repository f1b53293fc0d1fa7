// The resident set of a parameter sharder: units (a tensor, a row chunk of one, a gradient, a chunk
// of an AdamW moment) that live on a ShardStore and, up to a byte budget, in memory. Least recently
// used units are evicted first; a changed (dirty) unit is written back before its buffer is dropped,
// a clean one is just dropped. Read-ahead (prefetch) reserves its bytes in the same budget, so
// resident + in-flight bytes never exceed it. Resident values live in slots of one arena of the
// budget's size (shard-arena.ts), reads included: a read lands in the upper part of its slot and fp16
// is decoded in place. Knows nothing about tensors (parameter-sharder.ts does).
import { noteGarbage, track } from '../core/memory-tracker.js';
import { ShardArena, type Slot } from './shard-arena.js';
import { decodeFloat16Into, decodeValues, encodeValues, type PendingRead, type ShardStore } from './shard-store.js';

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
  /** Where the buffer (or the read in flight) lives in the arena; null for a buffer of its own. */
  slot: Slot | null;
  /** Never evicted: in use until its owner frees it (an activation loaded back for a replay). */
  pinned: boolean;
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
  /** Size of the arena resident units live in (0 until the first load). */
  arenaBytes: number;
  /** Units given a buffer of their own because no free range of the arena was large enough. */
  arenaOverflows: number;
}

export interface UnitCacheOptions {
  /** Read ahead where the store can (default true). */
  readAhead?: boolean;
  /**
   * Bytes of all the units there will be, asked at the first load: the arena is the smaller of that
   * and the budget (a model smaller than its budget does not reserve the whole budget).
   */
  unitBytes?: () => number;
  /** Fill released slots with NaN, so that a view kept past its unit's eviction shows up (tests). */
  poisonReleased?: boolean;
}

export function newUnit(key: string, count: number, fp16: boolean, stored: boolean): Unit {
  return { key, count, fp16, buffer: null, dirty: false, stored, pending: null, slot: null, pinned: false };
}

const bytesOf = (u: Unit) => u.count * 4;
const storedBytes = (u: Unit) => u.count * (u.fp16 ? 2 : 4);
/**
 * Evicting for a contiguous arena range never takes the most recently used units: one operation
 * uses up to four at once (an AdamW update: parameter, gradient, moments), and they must stay put.
 */
const KEEP_RECENT = 4;

export class UnitCache {
  /** Resident units in least-recently-used-first order (Map keeps insertion order). */
  private readonly lru = new Map<Unit, true>();
  /** Reads in flight, oldest first. */
  private readonly inflight = new Map<Unit, true>();
  private lruBytes = 0;
  private inflightBytes = 0;
  private pinnedBytes = 0;
  /**
   * Budget that pinned units never take: what one operation needs of the other units at once (the
   * sharder's minimum), so that pinning cannot make a load evict a unit an operation is using.
   */
  pinReserve = 0;
  /** undefined until the first load; null after close(). */
  private arena: ShardArena | null | undefined;
  private readonly readAhead: boolean;
  readonly stats: ShardStats;

  constructor(private readonly store: ShardStore, budgetBytes: number, private readonly options: UnitCacheOptions = {}) {
    this.readAhead = options.readAhead ?? true;
    this.stats = { budgetBytes, residentBytes: 0, peakResidentBytes: 0, reads: 0, rangeReads: 0, writes: 0, readBytes: 0, writeBytes: 0, evictions: 0, prefetches: 0, prefetchWaits: 0, prefetchWasted: 0, waitMs: 0, arenaBytes: 0, arenaOverflows: 0 };
  }

  get canPrefetch(): boolean {
    return this.readAhead && this.store.readAhead !== undefined;
  }

  private getArena(): ShardArena | null {
    if (this.arena === undefined) {
      const bytes = Math.min(this.stats.budgetBytes, this.options.unitBytes?.() ?? this.stats.budgetBytes);
      // shared when a read-ahead worker writes into it
      const shared = this.canPrefetch && this.store.readAheadInto !== undefined;
      try {
        this.arena = new ShardArena(bytes, shared, this.options.poisonReleased);
        track(this.arena.buffer);
        this.stats.arenaBytes = this.arena.bytes;
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        this.arena = null; // the engine refused a buffer that large: every unit gets its own (arenaBytes stays 0)
      }
    }
    return this.arena;
  }

  /**
   * An arena slot for the unit: evicts least recently used units (not in `protect`, nor the
   * KEEP_RECENT most recent) until a free range is large enough. Null when none can be made: the
   * unit then gets a buffer of its own (counted in arenaOverflows).
   */
  private place(unit: Unit, protect?: Set<Unit>): Slot | null {
    const arena = this.getArena();
    if (!arena) return null;
    if (bytesOf(unit) > arena.bytes) {
      this.stats.arenaOverflows++;
      return null;
    }
    for (;;) {
      const slot = arena.alloc(bytesOf(unit));
      if (slot) return slot;
      const victim = this.victim(protect, KEEP_RECENT);
      if (!victim) {
        this.stats.arenaOverflows++;
        return null;
      }
      this.evict(victim);
    }
  }

  /** Read a stored unit into its slot: the stored bytes land in the slot's upper part, fp16 is decoded in place. */
  private readIntoSlot(unit: Unit, slot: Slot): Float32Array {
    const arena = this.arena!;
    const raw = arena.tail(slot, unit.count, storedBytes(unit));
    this.store.readInto(unit.key, raw);
    return this.decodeSlot(unit, slot, raw);
  }

  private decodeSlot(unit: Unit, slot: Slot, raw: Uint8Array): Float32Array {
    const values = this.arena!.floats(slot, unit.count);
    if (unit.fp16) return decodeFloat16Into(values, raw);
    if (raw.buffer !== values.buffer) values.set(new Float32Array(raw.buffer, raw.byteOffset, unit.count)); // read into a buffer of its own
    return values;
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
    const slot = this.place(unit);
    unit.slot = slot;
    let values: Float32Array;
    if (unit.stored) {
      const t0 = performance.now();
      values = slot ? this.readIntoSlot(unit, slot) : track(decodeValues(this.store.read(unit.key, storedBytes(unit)), unit.count, unit.fp16));
      this.noteRead(unit, t0);
    } else values = slot ? this.arena!.floats(slot, unit.count).fill(0) : track(new Float32Array(unit.count));
    return this.admit(unit, values);
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

  /**
   * Load a stored unit into the budget and pin it there until free(): for values in use across
   * many operations (an activation loaded back for a replay). Null, with nothing loaded, when the
   * budget cannot make room for it without what is pinned or in flight (the caller reads it outside).
   */
  loadPinned(unit: Unit): Float32Array | null {
    if (unit.buffer || unit.pending) throw new Error(`shard "${unit.key}" is already loaded`);
    const bytes = bytesOf(unit);
    if (this.pinnedBytes + bytes + this.pinReserve > this.stats.budgetBytes) return null;
    if (!this.makeRoom(bytes, new Set())) return null; // an empty protect set: reads in flight are not waited for
    const slot = this.place(unit);
    if (!slot) return null;
    unit.slot = slot;
    const t0 = performance.now();
    const values = this.readIntoSlot(unit, slot);
    this.noteRead(unit, t0);
    unit.pinned = true;
    this.pinnedBytes += bytes;
    return this.admit(unit, values);
  }

  /** Drop a unit's values without writing them back (they are unchanged, or no longer needed); it stays stored. */
  free(unit: Unit): void {
    if (unit.pending) this.settle(unit);
    unit.dirty = false;
    if (unit.buffer) this.release(unit);
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
      const slot = this.place(u, protect);
      u.slot = slot;
      u.pending = slot && this.store.readAheadInto ? this.store.readAheadInto(u.key, this.arena!.tail(slot, u.count, storedBytes(u))) : this.store.readAhead!(u.key, storedBytes(u));
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
    const slot = unit.slot;
    let values: Float32Array | null;
    // fp16 decoding here, not in the worker (README); the worker failed: read synchronously, which reports the cause
    if (slot) values = raw ? this.decodeSlot(unit, slot, raw) : this.readIntoSlot(unit, slot);
    else values = raw && track(decodeValues(raw, unit.count, unit.fp16));
    this.noteRead(unit, t0);
    if (values) return this.admit(unit, values);
    this.noteResident();
    return this.load(unit);
  }

  /** A whole unit was read (and decoded) since t0: the caller waited on storage that long. */
  private noteRead(unit: Unit, t0: number): void {
    this.stats.waitMs += performance.now() - t0;
    this.stats.reads++;
    this.stats.readBytes += storedBytes(unit);
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

  /** The least recently used resident unit that is not pinned, not in `protect` and not among the `keepRecent` most recent. */
  private victim(protect?: Set<Unit>, keepRecent = 0): Unit | undefined {
    let left = this.lru.size - keepRecent;
    for (const u of this.lru.keys()) {
      if (left-- <= 0) break;
      if (!u.pinned && !protect?.has(u)) return u;
    }
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
    if (unit.pinned) this.pinnedBytes -= bytesOf(unit);
    unit.pinned = false;
    unit.buffer = null;
    this.lru.delete(unit);
    this.lruBytes -= bytesOf(unit);
    this.noteResident();
    unit.onEvict?.();
    if (unit.slot) this.arena!.release(unit.slot);
    else noteGarbage(bytesOf(unit)); // a buffer of its own: garbage for the collector
    unit.slot = null;
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
    this.arena = null;
    this.store.close();
  }
}
