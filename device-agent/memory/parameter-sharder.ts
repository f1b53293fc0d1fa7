// ParameterSharder: keeps the parameters of the table on a ShardStore and only a budget's worth of
// them in memory (unit-cache.ts: LRU, write-back of changed units, read-ahead inside the budget).
// Evicted tensors really drop their values (unlike the C++ original, whose evicted weights stayed
// referenced), and resident ones live in one arena of the budget's size, so the OS-measured RSS
// follows the budget. Frozen embedding-sized matrices are stored
// in row chunks (the LM head and the lookup read rows). Trainable parameters (full fine-tuning) are
// stored whole and fp32, and their gradients and AdamW moments are sharded too: a gradient is a unit
// created on first accumulation, the moments are units in chunks the optimizer walks through.
// Activations are bounded by recomputation (tape.checkpoint); the ones a replay loads back from the
// store are pinned in the budget until released (loadActivation / releaseActivations).
import type { Param } from '../core/parameter-table.js';
import type { Residency, Tensor } from '../core/tensor.js';
import type { MomentStore } from '../optim/adamw.js';
import { boundMemory, noteGarbage, track } from '../core/memory-tracker.js';
import type { ShardStore } from './shard-store.js';
import { newUnit, UnitCache, type ShardStats, type Unit } from './unit-cache.js';

export type { ShardStats } from './unit-cache.js';

export interface ShardingConfig {
  budgetBytes: number;
  /** Store frozen values as fp16 (half the I/O; rounding error measured by the memory benchmark). Trainable ones stay fp32. */
  fp16: boolean;
  /** Rows per chunk for row-chunked parameters (the LM head's vocabulary chunk). */
  rowChunk: number;
  /** Frozen parameters above this many bytes that are (V, C) embeddings are stored in row chunks. */
  chunkAboveBytes: number;
  /** Which parameters will train (full fine-tuning); default: those with requiresGrad when adopted. */
  trains?: (p: Param) => boolean;
  /** Elements per AdamW moment chunk (default 1M: 4 MB each for m and v). */
  momentChunk?: number;
  /** Read the next block ahead while this one computes, where the store can (default true). */
  prefetch?: boolean;
  /** Fill the memory of evicted units with NaN, so that a view used after its eviction shows up (tests). */
  poisonEvicted?: boolean;
}

interface Entry {
  name: string;
  tensor: Tensor;
  trains: boolean;
  /** The values: one unit, or row chunks (frozen embeddings). */
  whole: Unit | null;
  chunks: { unit: Unit; v0: number; v1: number }[] | null;
  grad: Unit | null;
  moments: { m: Unit; v: Unit; offset: number }[] | null;
}

const DEFAULT_MOMENT_CHUNK = 1 << 20;
/** Row reads up to this size are served without loading their chunk (token lookups: one row each). */
const RANGE_READ_MAX_BYTES = 64 * 1024;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

export class ParameterSharder implements Residency, MomentStore {
  private readonly entries = new Map<Tensor, Entry>();
  private readonly cache: UnitCache;
  private readonly momentChunk: number;
  /** Bytes of every unit of the parameters adopted so far (values, and gradient and moments of trainable ones). */
  private unitBytes = 0;
  /** Activations saved by the training forward, by key, and those loaded back and in use now. */
  private readonly activationUnits = new Map<string, Unit>();
  private readonly loadedActivations = new Set<Unit>();
  /** Parameters were adopted since pinReserve was last worked out. */
  private minimumStale = true;
  private closed = false;

  constructor(private readonly store: ShardStore, private readonly config: ShardingConfig) {
    this.cache = new UnitCache(store, config.budgetBytes, {
      readAhead: config.prefetch ?? true,
      // a store that takes activations may load them into the budget too: then the whole budget
      unitBytes: () => (store.newKeys ? Infinity : this.unitBytes),
      poisonReleased: config.poisonEvicted,
    });
    this.momentChunk = config.momentChunk ?? DEFAULT_MOMENT_CHUNK;
    boundMemory(true);
  }

  private static trains(p: Param, config: ShardingConfig): boolean {
    return config.trains?.(p) ?? p.tensor.requiresGrad;
  }

  private static chunked(p: Param, config: ShardingConfig): boolean {
    const [V, C] = p.tensor.shape;
    return !ParameterSharder.trains(p, config) && p.tensor.shape.length === 2 && p.kind === 'embedding' && V * C * 4 > config.chunkAboveBytes;
  }

  private static rowRanges(p: Param, config: ShardingConfig): [number, number][] {
    const V = p.tensor.shape[0];
    return Array.from({ length: Math.ceil(V / config.rowChunk) }, (_, i) => [i * config.rowChunk, Math.min(V, (i + 1) * config.rowChunk)]);
  }

  private static momentRanges(size: number, chunk: number): [number, number][] {
    return Array.from({ length: Math.max(1, Math.ceil(size / chunk)) }, (_, i) => [i * chunk, Math.min(size, (i + 1) * chunk)]);
  }

  /** Keys the store will be asked for (the OPFS store opens its files up front). */
  static plan(params: Param[], config: ShardingConfig): string[] {
    return params.flatMap((p) => {
      if (ParameterSharder.chunked(p, config)) return ParameterSharder.rowRanges(p, config).map((_, i) => `${p.name}#${i}`);
      if (!ParameterSharder.trains(p, config)) return [p.name];
      const moments = ParameterSharder.momentRanges(p.tensor.size, config.momentChunk ?? DEFAULT_MOMENT_CHUNK);
      return [p.name, `${p.name}@grad`, ...moments.flatMap((_, k) => [`${p.name}@m#${k}`, `${p.name}@v#${k}`])];
    });
  }

  /**
   * Move the given parameters to the store and release their buffers. Fails, before anything is
   * moved, if the budget cannot hold what one operation needs at once.
   */
  shard(params: Param[]): void {
    this.check(params);
    for (const p of params) this.adopt(p);
  }

  /**
   * The budget check alone, for callers that adopt parameters one by one as they are initialised.
   * One op reads at most two weight units (a matmul's weight and bias, the embedding's two tables)
   * and, training, accumulates into at most two gradients; an AdamW update holds a parameter, its
   * gradient and one chunk each of m and v. So the minimum is the two largest weight units, plus the
   * two largest gradients and the largest moment chunk pair when something trains.
   */
  check(params: Param[]): void {
    const { minimum, w1, w2, g1, g2, moment, trains } = this.minimumFor(params);
    if (this.config.budgetBytes < minimum) {
      const parts = [`the two largest weight blocks, ${mb(w1)} + ${mb(w2)} MB`];
      if (trains) parts.push(`their gradients, ${mb(g1)} + ${mb(g2)} MB`, `one AdamW moment chunk pair, ${mb(moment)} MB`);
      throw new Error(`--shard_budget_mb ${Number((this.config.budgetBytes / 2 ** 20).toFixed(2))} is too small: one step needs at least ${Math.ceil((minimum / 2 ** 20) * 10) / 10} MB resident (${parts.join('; ')}); raise the budget`);
    }
  }

  /** What one operation needs resident at once for these parameters (see check()). */
  private minimumFor(params: Param[]): { minimum: number; w1: number; w2: number; g1: number; g2: number; moment: number; trains: boolean } {
    return this.minimumOf(params.map((p) => ({
      size: p.tensor.size,
      trains: ParameterSharder.trains(p, this.config),
      units: ParameterSharder.chunked(p, this.config) ? ParameterSharder.rowRanges(p, this.config).map(([v0, v1]) => (v1 - v0) * p.tensor.shape[1] * 4) : [p.tensor.size * 4],
    })));
  }

  private minimumOf(params: { size: number; trains: boolean; units: number[] }[]): { minimum: number; w1: number; w2: number; g1: number; g2: number; moment: number; trains: boolean } {
    const weights: number[] = [];
    const grads: number[] = [];
    let moment = 0;
    for (const p of params) {
      weights.push(...p.units);
      if (p.trains) {
        grads.push(p.size * 4);
        moment = Math.max(moment, 2 * Math.min(p.size, this.momentChunk) * 4);
      }
    }
    const top2 = (xs: number[]) => [...xs].sort((a, b) => b - a).slice(0, 2);
    const [w1 = 0, w2 = 0] = top2(weights);
    const [g1 = 0, g2 = 0] = top2(grads);
    return { minimum: w1 + w2 + g1 + g2 + moment, w1, w2, g1, g2, moment, trains: grads.length > 0 };
  }

  private entryFor(p: Param): Entry {
    if (this.entries.has(p.tensor)) throw new Error(`parameter "${p.name}" is already sharded`);
    const t = p.tensor;
    const trains = ParameterSharder.trains(p, this.config);
    const e: Entry = { name: p.name, tensor: t, trains, whole: null, chunks: null, grad: null, moments: null };
    this.unitBytes += t.size * 4 * (trains ? 4 : 1); // a trainable one also has a gradient and two moments
    this.minimumStale = true;
    if (ParameterSharder.chunked(p, this.config)) {
      e.chunks = ParameterSharder.rowRanges(p, this.config).map(([v0, v1], i) => ({ unit: newUnit(`${p.name}#${i}`, (v1 - v0) * t.shape[1], this.config.fp16, false), v0, v1 }));
    } else {
      e.whole = newUnit(p.name, t.size, this.config.fp16 && !trains, false);
      e.whole.onEvict = () => t.release();
    }
    return e;
  }

  private attach(e: Entry): void {
    const t = e.tensor;
    this.entries.set(t, e);
    t.residency = this;
    if (e.chunks) t.rowSource = (v0, v1) => this.rows(e, v0, v1);
    if (t.resident) t.release();
  }

  /**
   * Store a parameter produced piece by piece: `fill(out, offset)` writes the values at element
   * `offset..offset+out.length`, in order. Row-chunked parameters are produced one chunk at a time,
   * so a 150 MB embedding never exists whole; the others are filled whole and adopted.
   */
  adoptFrom(p: Param, fill: (out: Float32Array, offset: number) => void): void {
    if (!ParameterSharder.chunked(p, this.config)) {
      fill(p.tensor.data, 0);
      return this.adopt(p);
    }
    const e = this.entryFor(p);
    const C = p.tensor.shape[1];
    for (const c of e.chunks!) {
      const values = new Float32Array((c.v1 - c.v0) * C);
      fill(values, c.v0 * C);
      this.cache.write(c.unit, values);
      noteGarbage(values.byteLength * (this.config.fp16 ? 1.5 : 1));
    }
    this.attach(e);
  }

  /** Store one (initialised) parameter and release its buffer. */
  adopt(p: Param): void {
    const e = this.entryFor(p);
    const t = p.tensor;
    const C = t.shape[1];
    if (e.chunks) for (const c of e.chunks) this.cache.write(c.unit, t.data.subarray(c.v0 * C, c.v1 * C));
    else this.cache.write(e.whole!, t.data);
    this.attach(e);
    noteGarbage(t.size * (this.config.fp16 ? 6 : 4)); // the initialised buffer and its encoded copy
  }

  /** Whether t is sharded as a trainable parameter (whole, fp32, with gradient and moments). */
  trains(t: Tensor): boolean {
    return this.entries.get(t)?.trains ?? false;
  }

  getStats(): ShardStats {
    return { ...this.cache.stats };
  }

  private entry(t: Tensor): Entry {
    const e = this.entries.get(t);
    if (!e) throw new Error('this tensor is not managed by the sharder');
    return e;
  }

  private wholeUnit(e: Entry): Unit {
    if (!e.whole) throw new Error(`"${e.name}" is stored in row chunks; read it through its rows (rowsOf) instead`);
    return e.whole;
  }

  // ----- Residency: values and gradients -----

  fetch(t: Tensor): Float32Array {
    return this.cache.load(this.wholeUnit(this.entry(t)));
  }

  touch(t: Tensor): void {
    const e = this.entries.get(t);
    if (e?.whole) this.cache.touch(e.whole);
  }

  markDirty(t: Tensor): void {
    const e = this.entry(t);
    const u = this.wholeUnit(e);
    if (u.fp16) throw new Error(`"${e.name}" is stored fp16 as a frozen weight, so changing it would round it; shard trainable parameters as trainable (full fine-tuning)`);
    this.cache.markDirty(u);
  }

  grad(t: Tensor, write: boolean): Float32Array | null {
    const e = this.entry(t);
    if (!e.grad) {
      if (!write) return null;
      if (!e.trains) throw new Error(`"${e.name}" was sharded as a frozen weight${e.chunks ? ' (in row chunks)' : ''} and cannot train; make it trainable before sharding (ShardingConfig.trains)`);
      e.grad = newUnit(`${e.name}@grad`, t.size, false, false);
    }
    const g = this.cache.load(e.grad);
    if (write) this.cache.markDirty(e.grad);
    return g;
  }

  zeroGrad(t: Tensor): void {
    const e = this.entries.get(t);
    if (e?.grad) this.cache.drop(e.grad);
  }

  // ----- MomentStore: AdamW state in chunks -----

  private momentUnits(e: Entry): { m: Unit; v: Unit; offset: number }[] {
    if (!e.trains) throw new Error(`"${e.name}" was sharded as a frozen weight; it has no optimizer state`);
    e.moments ??= ParameterSharder.momentRanges(e.tensor.size, this.momentChunk).map(([a, b], k) => ({
      m: newUnit(`${e.name}@m#${k}`, b - a, false, false),
      v: newUnit(`${e.name}@v#${k}`, b - a, false, false),
      offset: a,
    }));
    return e.moments;
  }

  moments(t: Tensor, write: boolean, fn: (m: Float32Array, v: Float32Array, offset: number) => void): void {
    const chunks = this.momentUnits(this.entry(t));
    chunks.forEach((c, k) => {
      if (chunks[k + 1]) this.cache.prefetch([chunks[k + 1].m, chunks[k + 1].v], [c.m, c.v]);
      const m = this.cache.load(c.m);
      const v = this.cache.load(c.v);
      if (write) this.cache.markDirty(c.m), this.cache.markDirty(c.v);
      fn(m, v, c.offset);
    });
  }

  updateWithMoments(t: Tensor, fn: (w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, offset: number) => void): void {
    const e = this.entry(t);
    const whole = this.wholeUnit(e);
    if (!e.grad) return;
    const grad = e.grad;
    const chunks = this.momentUnits(e);
    chunks.forEach((c, k) => {
      // parameter and gradient first, so the moment chunks (most recent) evict older units, not them
      const w = this.cache.load(whole);
      const g = this.cache.load(grad);
      if (chunks[k + 1]) this.cache.prefetch([chunks[k + 1].m, chunks[k + 1].v], [whole, grad, c.m, c.v]);
      const m = this.cache.load(c.m);
      const v = this.cache.load(c.v);
      if (whole.buffer !== w || grad.buffer !== g || c.m.buffer !== m) throw new Error(`the shard budget cannot hold "${e.name}", its gradient and one moment chunk pair at once; raise --shard_budget_mb`);
      this.cache.markDirty(whole);
      this.cache.markDirty(c.m);
      this.cache.markDirty(c.v);
      fn(w, g, m, v, c.offset);
    });
  }

  // ----- activations -----

  /** Whether offloadActivation works on this store (not OPFS: its files are opened before training). */
  get offloadsActivations(): boolean {
    return this.store.newKeys;
  }

  /**
   * Move an activation that nothing reads until backward (a checkpointed block's input) to the
   * store, exactly (fp32), outside the budget; reading t.data later reads it back (a page-cache read
   * for the file store: ~1.5 MB per GPT-2-small block at B4 T128). `key` is reused every step.
   */
  offloadActivation(key: string, t: Tensor): void {
    const values = t.data;
    this.saveActivation(key, values);
    const fetch = () => {
      const v = this.loadActivation(key, t.size);
      // when the values read back into the budget are released, the tensor forgets them too (a later
      // read fetches again); the link lasts only that long, so no dead tensor (and gradient) stays reachable
      const unit = this.activationUnits.get(key)!;
      if (unit.buffer === v) {
        unit.onEvict = () => {
          unit.onEvict = undefined;
          if (t.resident) t.release();
        };
      }
      return v;
    };
    t.residency = { fetch, touch: () => {} };
    t.release();
    noteGarbage(values.byteLength);
  }

  private activationUnit(key: string, count: number): Unit {
    let unit = this.activationUnits.get(key);
    if (!unit || unit.count !== count) this.activationUnits.set(key, (unit = newUnit(`@act.${key}`, count, false, true)));
    return unit;
  }

  /** Store a copy of activation values under `key` (exact, fp32, outside the budget; rewritten each step). */
  saveActivation(key: string, values: Float32Array): void {
    if (!this.store.newKeys) throw new Error(`the ${this.store.kind} shard store cannot take activations (its files are opened before training)`);
    const unit = this.activationUnits.get(key);
    if (unit) this.freeActivation(unit); // the last step's values, if still loaded, are stale now
    this.store.write(`@act.${key}`, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  /**
   * The `count` values saved under `key` (saveActivation or offloadActivation), read back: into the
   * budget, evicting weights, where it can make room (a replay's activations then take the place
   * of weights instead of adding to them), else into a buffer of their own. They stay loaded until
   * releaseActivations() or the next save of the key.
   */
  loadActivation(key: string, count: number): Float32Array {
    const unit = this.activationUnit(key, count);
    if (unit.buffer) return unit.buffer;
    if (this.minimumStale) {
      // pinned activations leave what one operation needs of the parameters, so a load never evicts one in use
      const adopted = [...this.entries.values()].map((e) => ({ size: e.tensor.size, trains: e.trains, units: e.chunks ? e.chunks.map((c) => c.unit.count * 4) : [e.tensor.size * 4] }));
      this.cache.pinReserve = this.minimumOf(adopted).minimum;
      this.minimumStale = false;
    }
    const values = this.cache.loadPinned(unit);
    if (values) {
      this.loadedActivations.add(unit);
      return values;
    }
    const raw = this.store.read(`@act.${key}`, count * 4);
    return track(new Float32Array(raw.buffer, raw.byteOffset, count));
  }

  /**
   * Give the budget back from activations loaded for a replay that has finished (its backward ran):
   * all of them, or those whose keys do not start with `keep` (the block being replayed now, whose
   * input is loaded before its replay starts). Their values must not be read afterwards.
   */
  releaseActivations(keep?: string): void {
    for (const u of this.loadedActivations) if (keep === undefined || !u.key.startsWith(`@act.${keep}`)) this.freeActivation(u);
  }

  private freeActivation(unit: Unit): void {
    this.cache.free(unit);
    this.loadedActivations.delete(unit);
  }

  // ----- read-ahead -----

  private units(ts: Tensor[], grads: boolean, firstChunk: boolean): Unit[] {
    const out: Unit[] = [];
    for (const t of ts) {
      const e = this.entries.get(t);
      if (!e) continue;
      if (e.whole) out.push(e.whole);
      else if (firstChunk) out.push(e.chunks![0].unit);
      if (grads && e.grad) out.push(e.grad);
    }
    return out;
  }

  /**
   * Start reading the parameters (and, in backward, the stored gradients) of `next` while `now`'s are
   * in use; of a row-chunked parameter only the first chunk (the LM head reads the rest itself).
   */
  prefetch(next: Tensor[], now: Tensor[], backward: boolean): void {
    if (this.cache.canPrefetch) this.cache.prefetch(this.units(next, backward, true), this.units(now, backward, false));
  }

  private rows(e: Entry, v0: number, v1: number): Float32Array {
    const C = e.tensor.shape[1];
    const chunks = e.chunks!;
    const k = Math.floor(v0 / this.config.rowChunk);
    const first = chunks[k];
    if (!first || v1 > e.tensor.shape[0] || v1 < v0) throw new Error(`rows [${v0}, ${v1}) are outside "${e.name}"`);
    if (v1 <= first.v1) {
      // a few rows (an embedding lookup) are read alone unless their chunk is in memory anyway
      const whole = v0 === first.v0 && v1 === first.v1;
      if (!whole && (v1 - v0) * C * 4 <= RANGE_READ_MAX_BYTES) return this.cache.peek(first.unit, (v0 - first.v0) * C, (v1 - v0) * C);
      // a whole chunk is the LM head's pattern: it reads the next one right after
      if (whole && chunks[k + 1]) this.cache.prefetch([chunks[k + 1].unit], [first.unit]);
      return this.cache.load(first.unit).subarray((v0 - first.v0) * C, (v1 - first.v0) * C);
    }
    const out = new Float32Array((v1 - v0) * C); // a range across chunks: copy (the LM head aligns its chunks, so this is rare)
    for (let v = v0; v < v1; ) {
      const c = chunks[Math.floor(v / this.config.rowChunk)];
      const end = Math.min(v1, c.v1);
      out.set(this.cache.load(c.unit).subarray((v - c.v0) * C, (end - c.v0) * C), (v - v0) * C);
      v = end;
    }
    return out;
  }

  /** Write back and release everything resident (between steps or before measuring). */
  evictAll(): void {
    this.cache.evictAll();
  }

  /** Drop everything and remove the store (the model's sharded tensors cannot be read afterwards). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    boundMemory(false);
    this.cache.close();
  }
}
