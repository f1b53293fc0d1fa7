// The arena resident shard units live in: best-fit slots, freed neighbours merge, double frees and
// stale views show up.
import { describe, expect, it } from 'vitest';
import { ShardArena } from '../../../device-agent/memory/shard-arena.js';

describe('ShardArena', () => {
  it('hands out float-aligned, disjoint slots until it is full, and nothing past that', () => {
    const a = new ShardArena(1024, false);
    const s1 = a.alloc(126)!; // rounded up to 128
    const s2 = a.alloc(256)!;
    expect([s1.offset % 4, s2.offset % 4]).toEqual([0, 0]);
    expect(s2.offset).toBeGreaterThanOrEqual(s1.offset + s1.bytes);
    expect(a.used).toBe(128 + 256);
    expect(a.alloc(1024 - 384 + 1)).toBeNull();
    expect(a.alloc(1024 - 384)).not.toBeNull();
    expect(a.alloc(1)).toBeNull();
  });

  it('merges a freed slot with free neighbours on both sides, so a large unit fits again', () => {
    const a = new ShardArena(4 * 256, false);
    const s = [0, 1, 2, 3].map(() => a.alloc(256)!);
    a.release(s[1]);
    a.release(s[3]);
    expect(a.alloc(512)).toBeNull(); // 512 free, but in two pieces
    a.release(s[2]); // joins both
    const big = a.alloc(768)!;
    expect(big.offset).toBe(256);
    a.release(s[0]);
    a.release(big);
    expect(a.used).toBe(0);
    expect(a.alloc(1024)).toEqual({ offset: 0, bytes: 1024 });
  });

  it('picks the smallest free range that fits (best fit), keeping large ranges for large units', () => {
    const a = new ShardArena(2048, false);
    const [x, , y] = [a.alloc(512)!, a.alloc(64)!, a.alloc(128)!, a.alloc(64)!];
    a.release(x); // a 512 hole at 0
    a.release(y); // a 128 hole after it
    expect(a.alloc(100)!.offset).toBe(y.offset);
    expect(a.alloc(500)!.offset).toBe(0);
  });

  it('refuses a slot released twice', () => {
    const a = new ShardArena(1024, false);
    const s = a.alloc(256)!;
    a.alloc(256);
    a.release(s);
    expect(() => a.release(s)).toThrow(/released twice/);
  });

  it('poisoned: a freed slot reads NaN, so a view kept past its unit shows up', () => {
    const a = new ShardArena(1024, false, true);
    const s = a.alloc(64)!;
    const v = a.floats(s, 16).fill(3);
    a.release(s);
    expect(Number.isNaN(v[0]) && Number.isNaN(v[15])).toBe(true);
  });

  it('lays fp16 bytes in the upper half of a slot (read in place, decoded forward) and can be shared with a worker', () => {
    const a = new ShardArena(1024, true);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    const s = a.alloc(40)!;
    const tail = a.tail(s, 10, 20);
    expect(tail.byteOffset).toBe(s.offset + 20);
    expect(tail.length).toBe(20);
    expect(a.floats(s, 10).byteOffset).toBe(s.offset);
  });
});
