// Pure series maths for the charts: EMA smoothing with zero-debiasing (TensorBoard's smoothing
// slider), the x of a step by step / tokens / wall time, tokens per second, linear interpolation,
// mean ± std bands over repeated runs and the per-step difference to a reference run.
// No I/O, no store, no downsampling (main/reports/downsample.ts does that): tested in
// tests/main/api/series-math.spec.ts. Follows TensorBoard's `smoothing` (scalars dashboard).
import type { AlignAxis, XY } from '../ipc/api-types';

/** The step fields alignment reads (StepRow of the store has them). */
export interface StepLike {
  step: number;
  loss: number | null;
  /** Cumulative tokens trained after this step. */
  tokens: number | null;
  /** Wall time of the step, ms. */
  ms: number | null;
  /** Time the power monitor slept during the step, ms. */
  sleepMs?: number | null;
}

/**
 * Exponential moving average with debiasing: s_t = w*s_{t-1} + (1-w)*y_t from s_0 = 0, divided by
 * 1 - w^n (n = finite values so far), so the first points are not pulled towards zero. Non-finite
 * values pass through unchanged and do not move the average. weight 0 returns a copy.
 */
export function emaSmooth(points: readonly XY[], weight: number): XY[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`emaSmooth: weight must be in [0, 1), got ${weight}`);
  if (weight === 0) return points.map((p) => ({ x: p.x, y: p.y }));
  let acc = 0;
  let n = 0;
  return points.map((p) => {
    if (!Number.isFinite(p.y)) return { x: p.x, y: p.y };
    acc = acc * weight + (1 - weight) * p.y;
    n++;
    return { x: p.x, y: acc / (1 - weight ** n) };
  });
}

/** Label of an alignment axis, with its unit. */
export function axisLabel(axis: AlignAxis): string {
  return axis === 'step' ? 'step' : axis === 'tokens' ? 'tokens trained' : 'wall time (s)';
}

/**
 * The x of every step on the chosen axis: the step number, the cumulative tokens, or the
 * cumulative wall time in seconds (step time plus power-monitor sleep). null where the run does not
 * record what the axis needs (a log without token counts).
 */
export function alignX(steps: readonly StepLike[], axis: AlignAxis): (number | null)[] {
  if (axis === 'step') return steps.map((s) => s.step);
  if (axis === 'tokens') return steps.map((s) => (s.tokens != null && Number.isFinite(s.tokens) ? s.tokens : null));
  let t = 0;
  return steps.map((s) => {
    if (s.ms == null || !Number.isFinite(s.ms)) return null;
    t += s.ms + (s.sleepMs ?? 0);
    return t / 1000;
  });
}

/** Loss points on the chosen axis; steps without a finite loss or without an x are left out. */
export function lossPoints(steps: readonly StepLike[], axis: AlignAxis): XY[] {
  const xs = alignX(steps, axis);
  const out: XY[] = [];
  steps.forEach((s, i) => {
    const x = xs[i];
    if (x != null && s.loss != null && Number.isFinite(s.loss)) out.push({ x, y: s.loss });
  });
  return out;
}

/**
 * Tokens per second of each step: tokens trained in the step over its wall time. The first row's
 * tokens count from 0 only when it is step 1 (a resumed run's first row has no predecessor).
 */
export function tokensPerSecond(steps: readonly StepLike[]): XY[] {
  const out: XY[] = [];
  let prevTokens: number | null = null;
  let prevStep: number | null = null;
  for (const s of steps) {
    const before = prevStep != null && s.step === prevStep + 1 ? prevTokens : s.step === 1 ? 0 : null;
    if (before != null && s.tokens != null && s.ms != null && s.ms > 0) out.push({ x: s.step, y: (s.tokens - before) / (s.ms / 1000) });
    prevTokens = s.tokens;
    prevStep = s.step;
  }
  return out;
}

/** Linear interpolation of a series sorted by x; null outside its x range or for an empty series. */
export function interpolate(points: readonly XY[], x: number): number | null {
  const n = points.length;
  if (n === 0 || x < points[0].x || x > points[n - 1].x) return null;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x <= x) lo = mid;
    else hi = mid;
  }
  const a = points[lo];
  const b = points[hi];
  if (a.x === x) return a.y;
  if (b.x === x) return b.y;
  return a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
}

export interface Band {
  x: number;
  /** Mean over the runs. */
  y: number;
  /** Sample standard deviation (n - 1); 0 for a single run. */
  std: number;
  range: [number, number];
  n: number;
}

/**
 * Mean ± std over repeated runs. The grid is every x any run has, inside the range all runs cover
 * (so the band never mixes a different number of runs at its ends); each run is read at the grid
 * by linear interpolation, which is exact where the run has that x (always, when aligned by step).
 */
export function meanStdBand(series: readonly (readonly XY[])[]): Band[] {
  const live = series.filter((s) => s.length > 0);
  if (live.length === 0) return [];
  const from = Math.max(...live.map((s) => s[0].x));
  const to = Math.min(...live.map((s) => s[s.length - 1].x));
  const grid = [...new Set(live.flatMap((s) => s.map((p) => p.x)))].filter((x) => x >= from && x <= to).sort((a, b) => a - b);
  return grid.map((x) => {
    const ys = live.map((s) => interpolate(s, x)).filter((y): y is number => y != null);
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    const std = ys.length > 1 ? Math.sqrt(ys.reduce((a, y) => a + (y - mean) ** 2, 0) / (ys.length - 1)) : 0;
    return { x, y: mean, std, range: [mean - std, mean + std], n: ys.length };
  });
}

export interface Difference {
  points: XY[];
  maxAbs: number | null;
  meanAbs: number | null;
}

/**
 * run - reference at every x of the run that lies inside the reference's range (the reference is
 * interpolated between its points; exact when both are aligned by step and share the step).
 */
export function differenceTo(reference: readonly XY[], run: readonly XY[]): Difference {
  const points: XY[] = [];
  for (const p of run) {
    const r = interpolate(reference, p.x);
    if (r != null && Number.isFinite(p.y)) points.push({ x: p.x, y: p.y - r });
  }
  if (!points.length) return { points, maxAbs: null, meanAbs: null };
  const abs = points.map((p) => Math.abs(p.y));
  return { points, maxAbs: Math.max(...abs), meanAbs: abs.reduce((a, b) => a + b, 0) / abs.length };
}

/**
 * The key that groups repeats of one job on one device: the run's job key without its `rep=N`
 * part, plus its kind. Runs without a job key are their own group.
 */
export function repeatGroupKey(run: { id: string; jobKey: string | null; kind: string }): string {
  if (!run.jobKey) return `${run.kind}:${run.id}`;
  return `${run.kind}:${run.jobKey.replace(/(^|,)rep=\d+(?=,|@|$)/, '')}`;
}
