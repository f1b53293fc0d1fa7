// downsample (min/max buckets and LTTB): at most N points, first and last kept, identity below N;
// min/max keeps every bucket's extremes, so spikes and the global extremes survive.
import { describe, expect, it } from 'vitest';
import { downsample, type Point } from '../../../main/reports/downsample';

const series = (n: number, f: (i: number) => number): Point[] => Array.from({ length: n }, (_, i) => ({ x: i + 1, y: f(i) }));
const noisy = series(10_000, (i) => 3 * Math.exp(-i / 2000) + 0.1 * Math.sin(i * 12.9898) + (i === 4321 ? 5 : 0) - (i === 777 ? 4 : 0));

describe('downsample', () => {
  for (const method of ['minmax', 'lttb'] as const) {
    it(`${method}: at most N points, first and last kept, x order kept, points from the input`, () => {
      for (const n of [2, 3, 4, 5, 100, 2000, 9999]) {
        const out = downsample(noisy, n, method);
        expect(out.length).toBeLessThanOrEqual(n);
        expect(out[0]).toBe(noisy[0]);
        expect(out.at(-1)).toBe(noisy.at(-1));
        for (let i = 1; i < out.length; i++) expect(out[i].x).toBeGreaterThan(out[i - 1].x);
        expect(out.every((p) => noisy.includes(p))).toBe(true);
      }
      expect(downsample(noisy, 2000, method).length).toBeGreaterThan(1900); // uses its budget
    });

    it(`${method}: identity (a copy) at or below N`, () => {
      const small = series(50, (i) => i * i);
      const out = downsample(small, 50, method);
      expect(out).toEqual(small);
      expect(out).not.toBe(small);
      expect(downsample([], 10, method)).toEqual([]);
      expect(downsample(small.slice(0, 1), 10, method)).toEqual(small.slice(0, 1));
    });
  }

  it('minmax keeps the global extremes and isolated spikes', () => {
    for (const n of [4, 10, 500, 2000]) {
      const out = downsample(noisy, n);
      const ys = out.map((p) => p.y);
      expect(Math.max(...ys)).toBe(Math.max(...noisy.map((p) => p.y)));
      expect(Math.min(...ys)).toBe(Math.min(...noisy.map((p) => p.y)));
      expect(out).toContain(noisy[4321]);
      expect(out).toContain(noisy[777]);
    }
  });

  it('minmax keeps each bucket minimum and maximum (a constant series collapses)', () => {
    const flat = series(1000, () => 1);
    expect(downsample(flat, 100).length).toBeLessThanOrEqual(100);
    const saw = series(1000, (i) => (i % 2 ? 1 : -1));
    const out = downsample(saw, 100);
    expect(new Set(out.map((p) => p.y))).toEqual(new Set([1, -1]));
  });

  it('rejects a budget below 2', () => {
    expect(() => downsample(noisy, 1)).toThrow(/at least 2/);
  });
});
