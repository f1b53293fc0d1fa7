// Tests of main/api/series-math.ts (EMA with debiasing, alignment by step / tokens / wall time,
// tokens per second, interpolation, mean ± std bands, difference to a reference, repeat groups)
// against hand-computed values, plus the downsampling the charts rely on (main/reports/downsample.ts)
// on a 100k-point series.
import { describe, expect, it } from 'vitest';
import {
  alignX, differenceTo, emaSmooth, interpolate, lossPoints, meanStdBand, repeatGroupKey, tokensPerSecond, type StepLike,
} from '../../../main/api/series-math';
import { downsample } from '../../../main/reports/downsample';

const xy = (ys: number[]) => ys.map((y, i) => ({ x: i + 1, y }));

describe('emaSmooth', () => {
  it('debiases: a constant series stays constant from the first point', () => {
    for (const w of [0.1, 0.6, 0.99]) for (const p of emaSmooth(xy([5, 5, 5, 5]), w)) expect(p.y).toBeCloseTo(5, 12);
  });

  it('matches the hand-computed debiased EMA', () => {
    // w = 0.5: acc 1 -> 0.5, /0.5 = 1; acc 0.5*0.5+0.5*3 = 1.75, /0.75 = 2.3333; acc 0.875+0.5*2 = 1.875, /0.875 = 2.142857
    const s = emaSmooth(xy([1, 3, 2]), 0.5).map((p) => p.y);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(7 / 3, 12);
    expect(s[2]).toBeCloseTo(15 / 7, 12);
  });

  it('weight 0 is the identity; non-finite values pass through without moving the average', () => {
    expect(emaSmooth(xy([1, 2, 3]), 0)).toEqual(xy([1, 2, 3]));
    const s = emaSmooth(xy([1, Number.NaN, 3]), 0.5);
    expect(s[1].y).toBeNaN();
    expect(s[2].y).toBeCloseTo(emaSmooth(xy([1, 3]), 0.5)[1].y, 12);
  });

  it('rejects a weight outside [0, 1)', () => {
    expect(() => emaSmooth(xy([1]), 1)).toThrow(/weight/);
    expect(() => emaSmooth(xy([1]), -0.1)).toThrow(/weight/);
  });
});

const steps: StepLike[] = [
  { step: 1, loss: 4, tokens: 64, ms: 100, sleepMs: 0 },
  { step: 2, loss: 3, tokens: 128, ms: 200, sleepMs: 50 },
  { step: 3, loss: null, tokens: 192, ms: 100 },
  { step: 4, loss: 2, tokens: null, ms: null },
];

describe('alignment', () => {
  it('puts steps on the step, token and wall-time axes', () => {
    expect(alignX(steps, 'step')).toEqual([1, 2, 3, 4]);
    expect(alignX(steps, 'tokens')).toEqual([64, 128, 192, null]);
    expect(alignX(steps, 'wall')).toEqual([0.1, 0.35, 0.45, null]);
  });

  it('leaves out steps without a finite loss or an x', () => {
    expect(lossPoints(steps, 'step')).toEqual([{ x: 1, y: 4 }, { x: 2, y: 3 }, { x: 4, y: 2 }]);
    expect(lossPoints(steps, 'tokens')).toEqual([{ x: 64, y: 4 }, { x: 128, y: 3 }]);
  });

  it('computes tokens per second per step and skips a row without a predecessor', () => {
    expect(tokensPerSecond(steps)).toEqual([{ x: 1, y: 640 }, { x: 2, y: 320 }, { x: 3, y: 640 }]);
    // a resumed run starting at step 5 has no token count before its first row
    expect(tokensPerSecond([{ step: 5, loss: 1, tokens: 320, ms: 100 }, { step: 6, loss: 1, tokens: 384, ms: 100 }])).toEqual([{ x: 6, y: 640 }]);
  });
});

describe('interpolate', () => {
  const line = [{ x: 0, y: 0 }, { x: 10, y: 10 }, { x: 20, y: 0 }];
  it('is exact at points, linear between them and null outside', () => {
    expect(interpolate(line, 10)).toBe(10);
    expect(interpolate(line, 5)).toBe(5);
    expect(interpolate(line, 15)).toBe(5);
    expect(interpolate(line, -1)).toBeNull();
    expect(interpolate(line, 21)).toBeNull();
    expect(interpolate([], 0)).toBeNull();
  });
});

describe('meanStdBand', () => {
  it('gives mean and sample std per step over repeats', () => {
    const band = meanStdBand([xy([1, 2, 3]), xy([3, 4, 5])]);
    expect(band.map((b) => b.y)).toEqual([2, 3, 4]);
    for (const b of band) {
      expect(b.std).toBeCloseTo(Math.SQRT2, 12);
      expect(b.range[0]).toBeCloseTo(b.y - Math.SQRT2, 12);
      expect(b.n).toBe(2);
    }
  });

  it('covers only the range every run covers and interpolates unaligned x', () => {
    const a = [{ x: 0, y: 0 }, { x: 2, y: 2 }, { x: 4, y: 4 }];
    const b = [{ x: 1, y: 3 }, { x: 3, y: 5 }];
    const band = meanStdBand([a, b]);
    expect(band.map((p) => p.x)).toEqual([1, 2, 3]);
    expect(band.map((p) => p.y)).toEqual([2, 3, 4]); // a at 1 = 1, b at 2 = 4 -> means 2, 3, 4
  });

  it('is empty for no runs and has std 0 for one', () => {
    expect(meanStdBand([])).toEqual([]);
    expect(meanStdBand([xy([1, 2])]).every((p) => p.std === 0)).toBe(true);
  });
});

describe('differenceTo', () => {
  it('subtracts the reference step by step, inside its range only', () => {
    const d = differenceTo(xy([4, 3, 2]), xy([4.5, 2.5, 2, 1]));
    expect(d.points).toEqual([{ x: 1, y: 0.5 }, { x: 2, y: -0.5 }, { x: 3, y: 0 }]);
    expect(d.maxAbs).toBe(0.5);
    expect(d.meanAbs).toBeCloseTo(1 / 3, 12);
  });

  it('has no statistics without common points', () => {
    expect(differenceTo(xy([1]), [{ x: 5, y: 1 }])).toEqual({ points: [], maxAbs: null, meanAbs: null });
  });
});

describe('repeatGroupKey', () => {
  it('groups repeats of one job on one device, not across devices or kinds', () => {
    const k = (jobKey: string | null, kind = 'device', id = 'x') => repeatGroupKey({ id, jobKey, kind });
    expect(k('model=a,mode="lora",rep=0@local')).toBe(k('model=a,mode="lora",rep=2@local'));
    expect(k('model=a,rep=0@local')).not.toBe(k('model=a,rep=0@pixel'));
    expect(k('model=a,rep=0@local')).not.toBe(k('model=a,rep=0@local', 'reference'));
    expect(k(null, 'device', 'a')).not.toBe(k(null, 'device', 'b'));
  });
});

describe('downsampling a 100k-point series for a chart', () => {
  it('keeps at most 2000 points, the extremes and the ends', () => {
    const n = 100_000;
    const series = Array.from({ length: n }, (_, i) => ({ x: i, y: Math.sin(i / 500) + (i === 54_321 ? 9 : 0) }));
    const t0 = performance.now();
    const out = downsample(emaSmooth(series, 0.6), 2000);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(out.length).toBeLessThanOrEqual(2000);
    expect(out[0].x).toBe(0);
    expect(out.at(-1)!.x).toBe(n - 1);
    expect(Math.max(...out.map((p) => p.y))).toBe(Math.max(...emaSmooth(series, 0.6).map((p) => p.y)));
  });
});
