// The seeded PRNG: reproducible streams, uniform range, sane moments, shuffle is a permutation.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../device-agent/core/rng.js';

describe('Rng', () => {
  it('same seed, same stream; different seed, different stream', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(xs);
  });
  it('uniform in [0,1) with mean 1/2, normal with mean 0 and variance 1', () => {
    const r = new Rng(1);
    let su = 0, sn = 0, sn2 = 0, outside = 0;
    const n = 100000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(outside).toBe(0);
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });
  it('shuffle permutes', () => {
    const arr = Array.from({ length: 50 }, (_, i) => i);
    new Rng(5).shuffle(arr);
    expect([...arr].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(arr).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
