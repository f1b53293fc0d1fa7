// The unit cache's arena: loads reuse the arena's memory (no buffer per load), fp16 is decoded in
// place exactly as a separate decode, a fragmented arena evicts more (never what is in use) or gives
// a unit a buffer of its own, and pinned units (activations) stay put inside the budget.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../../device-agent/io/float16.js';
import { decodeFloat16Into, MemoryShardStore } from '../../../device-agent/memory/shard-store.js';
import { newUnit, UnitCache, type Unit } from '../../../device-agent/memory/unit-cache.js';

beforeAll(() => initCpuWasmBackend());

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 100);

function cacheWith(budget: number, units: [string, number, boolean?][], opts: { poison?: boolean } = {}) {
  const store = new MemoryShardStore();
  const cache = new UnitCache(store, budget, { poisonReleased: opts.poison ?? true });
  const us: Record<string, Unit> = {};
  units.forEach(([key, n, fp16], i) => {
    us[key] = newUnit(key, n, fp16 ?? false, false);
    cache.write(us[key], values(n, i));
  });
  return { cache, us };
}

describe('fp16 decoding in place', () => {
  it('decodes bytes in the upper half of the output exactly as a separate decode (kernel and JS loop)', () => {
    const n = 300_001; // several kernel slices, and an odd tail
    const bits = float32ToFloat16Bits(values(n, 1));
    const want = float16BitsToFloat32(bits);
    const slot = new Float32Array(n);
    const upper = new Uint8Array(slot.buffer, 2 * n, 2 * n);
    upper.set(new Uint8Array(bits.buffer));
    expect(decodeFloat16Into(slot, upper)).toEqual(want);
    const js = new Float32Array(n);
    new Uint8Array(js.buffer, 2 * n, 2 * n).set(new Uint8Array(bits.buffer));
    expect(float16BitsToFloat32(new Uint16Array(js.buffer, 2 * n, n), js)).toEqual(want);
  });
});

describe('UnitCache arena', () => {
  it('loads into one arena of the budget, reusing its memory; values are the stored ones', () => {
    const { cache, us } = cacheWith(3 * 4000, [['a', 1000], ['b', 1000], ['c', 1000], ['d', 1000]]);
    const seen = new Set<ArrayBufferLike>();
    for (let round = 0; round < 3; round++) {
      for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) {
        const v = cache.load(us[k]);
        expect(v).toEqual(values(1000, i));
        seen.add(v.buffer);
      }
    }
    expect(seen.size).toBe(1); // every load landed in the same arena
    expect(cache.stats.arenaBytes).toBe(12_000);
    expect(cache.stats.arenaOverflows).toBe(0);
    expect(cache.stats.peakResidentBytes).toBeLessThanOrEqual(12_000);
  });

  it('fp16 units come back decoded from the arena (rounded as stored)', () => {
    const { cache, us } = cacheWith(8000, [['h', 1000, true], ['g', 1000, true], ['x', 1000, true]]);
    for (const [i, k] of ['h', 'g', 'x', 'h'].entries()) {
      const want = float16BitsToFloat32(float32ToFloat16Bits(values(1000, i === 3 ? 0 : i)));
      expect(cache.load(us[k])).toEqual(want);
    }
  });

  it('a fragmented arena evicts more for a contiguous slot, never the units in use (most recent)', () => {
    // 7 slots of 1000 floats; a 2000-float unit needs two adjacent ones
    const { cache, us } = cacheWith(7 * 4000, [['a', 1000], ['b', 1000], ['c', 1000], ['d', 1000], ['e', 1000], ['f', 1000], ['g', 1000], ['big', 2000]]);
    const first = cache.load(us.a);
    for (const k of 'bcdefg') cache.load(us[k]);
    for (const k of 'bdefg') cache.touch(us[k]); // least recent first: a, c, b, d, e, f, g
    const big = cache.load(us.big);
    // the budget made room by evicting a and c, which are not adjacent (b lies between): b went too
    expect([us.a.buffer, us.b.buffer, us.c.buffer]).toEqual([null, null, null]);
    expect(big).toEqual(values(2000, 7));
    expect(big.buffer).toBe(first.buffer);
    expect(big.byteOffset).toBe(0);
    for (const [i, k] of [...'defg'].entries()) expect(cache.load(us[k])).toEqual(values(1000, i + 3));
    expect(cache.stats.residentBytes).toBe(24_000);
    expect(cache.stats.arenaOverflows).toBe(0);
  });

  it('when only the units in use could make a contiguous slot, the new unit gets a buffer of its own instead', () => {
    const { cache, us } = cacheWith(3 * 4000, [['a', 1000], ['b', 1000], ['c', 1000], ['big', 2000]]);
    for (const k of 'abc') cache.load(us[k]);
    const b = cache.load(us.b); // in use, in the middle: least recent a, c, b
    const big = cache.load(us.big); // the budget evicts a and c, whose slots b separates
    expect(big).toEqual(values(2000, 3));
    expect(big.buffer).not.toBe(b.buffer);
    expect(cache.stats.arenaOverflows).toBe(1); // b is among the most recent units, so it stayed
    expect(b).toEqual(values(1000, 1));
    expect(cache.stats.peakResidentBytes).toBeLessThanOrEqual(12_000);
  });

  it('a unit larger than the arena gets a buffer of its own, counted, and is still within the budget books', () => {
    const store = new MemoryShardStore();
    const cache = new UnitCache(store, 40_000, { unitBytes: () => 8000 }); // the arena: 8000 bytes
    const small = newUnit('s', 1000, false, false);
    const large = newUnit('l', 5000, false, false);
    cache.write(small, values(1000, 0));
    cache.write(large, values(5000, 1));
    expect(cache.load(small)).toEqual(values(1000, 0));
    const v = cache.load(large);
    expect(v).toEqual(values(5000, 1));
    expect(v.buffer).not.toBe(small.buffer!.buffer);
    expect(cache.stats.arenaBytes).toBe(8000);
    expect(cache.stats.arenaOverflows).toBe(1);
  });

  it('a budget larger than the engine can allocate at once: no arena, every unit gets its own buffer', () => {
    const { cache, us } = cacheWith(2 ** 52, [['a', 1000], ['b', 1000]]);
    expect(cache.load(us.a)).toEqual(values(1000, 0));
    expect(cache.load(us.b)).toEqual(values(1000, 1));
    expect(us.a.buffer!.buffer).not.toBe(us.b.buffer!.buffer);
    expect(cache.stats.arenaBytes).toBe(0);
  });

  it('pinned units stay put while others come and go, leave the reserve to them, and free() gives their room back', () => {
    const { cache, us } = cacheWith(5 * 4000, [['w1', 1000], ['w2', 1000], ['w3', 1000], ['act1', 1000], ['act2', 1000], ['act3', 1000]]);
    cache.pinReserve = 3 * 4000; // what one operation needs of unpinned units
    const a1 = cache.loadPinned(us.act1)!;
    const a2 = cache.loadPinned(us.act2)!;
    expect(a1).toEqual(values(1000, 3));
    expect(cache.loadPinned(us.act3)).toBeNull(); // would cut into the reserve: the caller reads it outside
    expect(() => cache.loadPinned(us.act1)).toThrow(/already loaded/);
    for (let round = 0; round < 3; round++) for (const [i, k] of ['w1', 'w2', 'w3'].entries()) expect(cache.load(us[k])).toEqual(values(1000, i));
    expect([a1, a2]).toEqual([values(1000, 3), values(1000, 4)]); // never evicted
    expect(cache.stats.peakResidentBytes).toBeLessThanOrEqual(20_000);
    cache.free(us.act1);
    expect(Number.isNaN(a1[0])).toBe(true); // its memory is free (poisoned in tests)
    expect(us.act1.stored).toBe(true); // still in the store
    expect(cache.loadPinned(us.act3)).toEqual(values(1000, 5));
  });
});
