// ParameterSharder: keeps the frozen parameters of the table on a ShardStore and only a budget's
// worth of them in memory, fetching each on first use and evicting the least recently used one
// when the budget would be exceeded. Evicted tensors really drop their buffers (unlike the C++
// original, whose evicted weights stayed referenced), so the OS-measured RSS follows the budget.
// Embedding-sized matrices are stored in row chunks (the LM head and the lookup read rows).
// Not an allocator: activations are bounded by recomputation (nn/checkpoint.ts), not here.
import type { Param, ParameterTable } from '../core/parameter-table.js';
import type { Residency, Tensor } from '../core/tensor.js';
import { decodeValues, encodeValues, type ShardStore } from './shard-store.js';
import { noteGarbage } from '../core/memory-tracker.js';

export interface ShardingConfig {
  budgetBytes: number;
  /** Store values as fp16 (half the I/O; rounding error measured by the memory benchmark). */
  fp16: boolean;
  /** Rows per chunk for row-chunked parameters (the LM head's vocabulary chunk). */
  rowChunk: number;
  /** Parameters above this many bytes that are (V, C) embeddings are stored in row chunks. */
  chunkAboveBytes: number;
}

export interface ShardStats {
  budgetBytes: number;
  residentBytes: number;
  peakResidentBytes: number;
  reads: number;
  writes: number;
  readBytes: number;
  evictions: number;
}

interface Unit {
  key: string;
  tensor: Tensor;
  /** Row range for chunk units; whole tensor otherwise. */
  rows: [number, number] | null;
  count: number;
  buffer: Float32Array | null;
}

export class ParameterSharder implements Residency {
  private readonly units = new Map<string, Unit>();
  private readonly whole = new Map<Tensor, Unit>();
  private readonly chunks = new Map<Tensor, Unit[]>();
  /** Resident units in least-recently-used-first order (Map keeps insertion order). */
  private readonly lru = new Map<Unit, true>();
  private readonly stats: ShardStats;

  constructor(private readonly store: ShardStore, private readonly config: ShardingConfig) {
    this.stats = { budgetBytes: config.budgetBytes, residentBytes: 0, peakResidentBytes: 0, reads: 0, writes: 0, readBytes: 0, evictions: 0 };
  }

  /** Keys the store will be asked for (the OPFS store opens its files up front). */
  static plan(params: Param[], config: ShardingConfig): string[] {
    return params.flatMap((p) => {
      const [V, C] = p.tensor.shape;
      if (p.tensor.shape.length === 2 && p.kind === 'embedding' && V * C * 4 > config.chunkAboveBytes) {
        return Array.from({ length: Math.ceil(V / config.rowChunk) }, (_, i) => `${p.name}#${i}`);
      }
      return [p.name];
    });
  }

  /**
   * Move the given parameters to the store and release their buffers. Fails, before anything is
   * moved, if the budget cannot hold the largest units one operation needs at once.
   */
  shard(params: Param[]): void {
    this.check(params);
    for (const p of params) this.adopt(p);
  }

  /** The budget check alone, for callers that adopt parameters one by one as they are initialised. */
  check(params: Param[]): void {
    const sizes: number[] = [];
    for (const p of params) {
      if (p.tensor.requiresGrad) throw new Error(`parameter "${p.name}" trains: sharding keeps trainable parameters resident (sharding with --full_ft is not supported)`);
      const [V, C] = p.tensor.shape;
      if (this.isChunked(p)) for (let v0 = 0; v0 < V; v0 += this.config.rowChunk) sizes.push((Math.min(V, v0 + this.config.rowChunk) - v0) * C * 4);
      else sizes.push(p.tensor.size * 4);
    }
    sizes.sort((a, b) => b - a);
    const minimum = (sizes[0] ?? 0) + (sizes[1] ?? 0);
    if (this.config.budgetBytes < minimum) {
      throw new Error(`--shard_budget_mb ${(this.config.budgetBytes / 2 ** 20).toFixed(0)} is too small: one step needs at least ${Math.ceil(minimum / 2 ** 20)} MB resident (the two largest weight blocks, ${(sizes[0] / 2 ** 20).toFixed(1)} + ${(sizes[1] / 2 ** 20).toFixed(1)} MB); raise the budget`);
    }
  }

  private isChunked(p: Param): boolean {
    const [V, C] = p.tensor.shape;
    return p.tensor.shape.length === 2 && p.kind === 'embedding' && V * C * 4 > this.config.chunkAboveBytes;
  }

  /**
   * Store a frozen parameter produced piece by piece: `fill(out, offset)` writes the values at element
   * `offset..offset+out.length`, in order. Row-chunked parameters are produced one chunk at a time,
   * so a 150 MB embedding never exists whole; the others are filled whole and adopted.
   */
  adoptFrom(p: Param, fill: (out: Float32Array, offset: number) => void): void {
    if (!this.isChunked(p)) {
      fill(p.tensor.data, 0);
      return this.adopt(p);
    }
    const t = p.tensor;
    const [V, C] = t.shape;
    const chunks: Unit[] = [];
    for (let i = 0, v0 = 0; v0 < V; i++, v0 += this.config.rowChunk) {
      const v1 = Math.min(V, v0 + this.config.rowChunk);
      const values = new Float32Array((v1 - v0) * C);
      fill(values, v0 * C);
      chunks.push(this.writeUnit(`${p.name}#${i}`, t, [v0, v1], values));
      noteGarbage(values.byteLength * (this.config.fp16 ? 1.5 : 1));
    }
    this.chunks.set(t, chunks);
    t.rowSource = (v0, v1) => this.rows(t, chunks, v0, v1);
    t.residency = this;
    if (t.resident) t.release();
  }

  private writeUnit(key: string, t: Tensor, rows: [number, number] | null, values: Float32Array): Unit {
    this.store.write(key, encodeValues(values, this.config.fp16));
    this.stats.writes++;
    const unit: Unit = { key, tensor: t, rows, count: values.length, buffer: null };
    this.units.set(key, unit);
    return unit;
  }

  /** Store one (initialised) frozen parameter and release its buffer. */
  adopt(p: Param): void {
    if (p.tensor.requiresGrad) throw new Error(`parameter "${p.name}" trains: sharding keeps trainable parameters resident (sharding with --full_ft is not supported)`);
    const t = p.tensor;
    const [V, C] = t.shape;
    const write = (key: string, rows: [number, number] | null) => this.writeUnit(key, t, rows, rows ? t.data.subarray(rows[0] * C, rows[1] * C) : t.data);
    if (this.isChunked(p)) {
      const chunks: Unit[] = [];
      for (let i = 0, v0 = 0; v0 < V; i++, v0 += this.config.rowChunk) chunks.push(write(`${p.name}#${i}`, [v0, Math.min(V, v0 + this.config.rowChunk)]));
      this.chunks.set(t, chunks);
      t.rowSource = (v0, v1) => this.rows(t, chunks, v0, v1);
    } else this.whole.set(t, write(p.name, null));
    t.residency = this;
    t.release();
    noteGarbage(t.size * (this.config.fp16 ? 6 : 4)); // the initialised buffer and its encoded copy
  }

  getStats(): ShardStats {
    return { ...this.stats };
  }

  /** Residency: a whole-tensor unit is fetched (evicting others as needed). */
  fetch(t: Tensor): Float32Array {
    const unit = this.whole.get(t);
    if (!unit) {
      if (this.chunks.has(t)) throw new Error('a row-chunked parameter was read whole; read it through its rows (rowsOf) instead');
      throw new Error('this tensor is not managed by the sharder');
    }
    return this.load(unit);
  }

  touch(t: Tensor): void {
    const unit = this.whole.get(t);
    if (unit?.buffer) {
      this.lru.delete(unit);
      this.lru.set(unit, true);
    }
  }

  private rows(t: Tensor, chunks: Unit[], v0: number, v1: number): Float32Array {
    const C = t.shape[1];
    const first = chunks.find((u) => u.rows![0] <= v0 && v0 < u.rows![1]);
    if (!first) throw new Error(`rows [${v0}, ${v1}) are outside the parameter`);
    if (v1 <= first.rows![1]) return this.load(first).subarray((v0 - first.rows![0]) * C, (v1 - first.rows![0]) * C);
    const out = new Float32Array((v1 - v0) * C); // a range across chunks: copy (the LM head aligns its chunks, so this is rare)
    for (let v = v0; v < v1; ) {
      const u = chunks.find((c) => c.rows![0] <= v && v < c.rows![1])!;
      const end = Math.min(v1, u.rows![1]);
      out.set(this.load(u).subarray((v - u.rows![0]) * C, (end - u.rows![0]) * C), (v - v0) * C);
      v = end;
    }
    return out;
  }

  private load(unit: Unit): Float32Array {
    if (unit.buffer) {
      this.lru.delete(unit);
      this.lru.set(unit, true);
      return unit.buffer;
    }
    const bytes = unit.count * 4;
    while (this.stats.residentBytes + bytes > this.config.budgetBytes && this.lru.size > 0) this.evict(this.lru.keys().next().value!);
    const raw = this.store.read(unit.key, unit.count * (this.config.fp16 ? 2 : 4));
    const values = decodeValues(raw, unit.count, this.config.fp16);
    unit.buffer = values;
    this.lru.set(unit, true);
    this.stats.reads++;
    this.stats.readBytes += raw.length;
    this.stats.residentBytes += bytes;
    this.stats.peakResidentBytes = Math.max(this.stats.peakResidentBytes, this.stats.residentBytes);
    return values;
  }

  private evict(unit: Unit): void {
    // frozen parameters only: nothing is dirty, the store already holds the values
    unit.buffer = null;
    this.lru.delete(unit);
    this.stats.residentBytes -= unit.count * 4;
    this.stats.evictions++;
    if (!unit.rows) unit.tensor.release();
    noteGarbage(unit.count * 4);
  }

  /** Release everything resident (between steps or before measuring). */
  evictAll(): void {
    for (const u of [...this.lru.keys()]) this.evict(u);
  }

  close(): void {
    this.store.close();
  }
}
