// Read-ahead (prefetch) of shards: the worker thread reads exactly what a synchronous read gives,
// the unit cache counts reads in flight against the budget (never over it, a read that does not fit
// is not started), changed units are written back and clean ones just dropped, and training with
// read-ahead on a real file-system store is bit-identical to unsharded training.
import { beforeAll, describe, expect, it } from 'vitest';
import { model, shardCfg, trainRun } from './lora-train-fixture.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { ParameterSharder } from '../../../device-agent/memory/parameter-sharder.js';
import { FsShardStore } from '../../../device-agent/memory/shard-store.js';
import { newUnit, UnitCache } from '../../../device-agent/memory/unit-cache.js';

let dir: string;

beforeAll(async () => {
  await initCpuWasmBackend();
  dir = mkdtempSync(path.join(tmpdir(), 'fleettune-prefetch-'));
});

const bytesOf = (a: Float32Array | Uint16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('read-ahead worker', () => {
  it('returns the stored bytes verbatim, reads finishing in any order of use, and null for a missing file', async () => {
    const store = await FsShardStore.open(dir);
    const half = Uint16Array.from({ length: 65536 }, (_, i) => i);
    store.write('half', bytesOf(half));
    const f32 = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e3);
    store.write('full', bytesOf(f32));
    const h = store.readAhead!('half', 2 * 65536);
    const f = store.readAhead!('full', 4000);
    expect(new Float32Array(f.wait()!.buffer)).toEqual(f32); // taken before the read started first
    expect(h.ready()).toBe(true);
    expect(new Uint16Array(h.wait()!.buffer)).toEqual(half);
    // a missing file: no bytes (the caller then reads synchronously, which says what is wrong)
    expect(store.readAhead!('absent', 10).wait()).toBeNull();
    store.close();
  });

  it('reads into a slot of a shared arena in place: the bytes land there, nothing else is touched', async () => {
    const store = await FsShardStore.open(dir);
    const f32 = Float32Array.from({ length: 1000 }, (_, i) => i - 500.25);
    store.write('full', bytesOf(f32));
    const sab = new SharedArrayBuffer(8192);
    new Uint8Array(sab).fill(7);
    const dst = new Uint8Array(sab, 1024, 4000);
    const r = store.readAheadInto!('full', dst);
    expect(r.wait()).toBe(dst);
    expect(new Float32Array(sab, 1024, 1000)).toEqual(f32);
    expect(new Uint8Array(sab, 0, 1024).every((b) => b === 7) && new Uint8Array(sab, 5024).every((b) => b === 7)).toBe(true);
    expect(store.readAheadInto!('absent', new Uint8Array(sab, 0, 10)).wait()).toBeNull();
    expect(() => store.readAheadInto!('full', new Uint8Array(4000))).toThrow(/SharedArrayBuffer/);
    store.close();
  });
});

describe('UnitCache with read-ahead', () => {
  it('counts reads in flight against the budget, starts none that does not fit, protects what is in use', async () => {
    const store = await FsShardStore.open(dir);
    const cache = new UnitCache(store, 12_000); // room for three 1000-float units
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((k) => newUnit(k, 1000, false, false));
    for (const [i, u] of [a, b, c, d].entries()) cache.write(u, new Float32Array(1000).fill(i + 1));
    cache.load(a);
    cache.prefetch([b, c], [a]);
    expect(cache.stats).toMatchObject({ residentBytes: 12_000, prefetches: 2 });
    cache.prefetch([d], [a]); // would need to evict a (in use) or a read in flight: not started
    expect(cache.stats.prefetches).toBe(2);
    expect(d.pending).toBeNull();
    expect(cache.load(b)[0]).toBe(2); // taken from the read-ahead
    expect(cache.load(d)[0]).toBe(4); // on demand: evicts a (least recently used); c is still in flight
    expect(a.buffer).toBeNull();
    expect(cache.load(c)[0]).toBe(3);
    expect(cache.stats.peakResidentBytes).toBe(12_000);
    expect(cache.stats.reads).toBe(4);
    // dirty tracking: a changed unit is written back when dropped, a clean one is not
    const writes = cache.stats.writes;
    cache.load(b)[0] = 42;
    cache.markDirty(b);
    cache.evictAll();
    expect(cache.stats.writes).toBe(writes + 1);
    expect(new Float32Array(store.read('b', 4000).buffer)[0]).toBe(42);
    expect(cache.load(b)[0]).toBe(42);
    expect(cache.stats.residentBytes).toBe(4000);
    cache.close();
  });
});


async function shardedModel(budget: number, readAhead: boolean, recompute: boolean) {
  const m = model({ dropout: 0.1, recompute });
  const sharder = new ParameterSharder(await FsShardStore.open(dir, { readAhead }), shardCfg(budget));
  sharder.shard(m.params.entries.filter((p) => !p.tensor.requiresGrad));
  m.prefetch = (next, now, backward) => sharder.prefetch(next, now, backward);
  return { m, sharder };
}

describe('training with read-ahead', () => {
  it('is bit-identical to unsharded and to read-ahead off, and resident + in-flight bytes stay within the budget', async () => {
    const reference = trainRun(model({ dropout: 0.1 }), 4);
    // 8 KB: the two largest units (the two MLP weights) and nothing else; 24 KB: about two blocks
    for (const budget of [8 * 1024, 24 * 1024]) {
      for (const recompute of [true, false]) {
        const on = await shardedModel(budget, true, recompute);
        expect(trainRun(on.m, 4)).toEqual(reference);
        const s = on.sharder.getStats();
        expect(s.prefetches).toBeGreaterThan(0);
        expect(s.peakResidentBytes).toBeLessThanOrEqual(budget);
        expect(s.rangeReads).toBeGreaterThan(0); // embedding lookups read single rows
        on.sharder.close();
      }
    }
    const off = await shardedModel(24 * 1024, false, true);
    expect(trainRun(off.m, 4)).toEqual(reference);
    expect(off.sharder.getStats().prefetches).toBe(0);
    off.sharder.close();
  });

  it('with a budget for two blocks, the next block is read ahead rather than on demand', async () => {
    const { m, sharder } = await shardedModel(32 * 1024, true, true);
    trainRun(m, 3);
    const s = sharder.getStats();
    expect(s.prefetches).toBeGreaterThan(s.reads / 2); // most loads came from read-ahead
    expect(s.prefetchWasted).toBe(0);
    expect(s.peakResidentBytes).toBeLessThanOrEqual(32 * 1024);
    sharder.close();
  });
});
