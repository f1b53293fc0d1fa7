// downsample: shrink a line series to at most `maxPoints` points for charting, keeping its shape.
// 'minmax' (default) keeps the first and last point and each bucket's minimum and maximum, so
// spikes and the global extremes always survive (a loss spike must not vanish from a chart);
// 'lttb' is Largest-Triangle-Three-Buckets (Steinarsson 2013), smoother for dense noisy series.
// Pure and dependency-free: the reports and the renderer's charts share it. Not a resampler.

export interface Point {
  x: number;
  y: number;
}

export type DownsampleMethod = 'minmax' | 'lttb';

/** Points in x order; returns a new array (a copy when already small enough). */
export function downsample<P extends Point>(points: readonly P[], maxPoints = 2000, method: DownsampleMethod = 'minmax'): P[] {
  const n = points.length;
  if (maxPoints < 2) throw new Error(`downsample: maxPoints must be at least 2, got ${maxPoints}`);
  if (n <= maxPoints) return points.slice();
  return method === 'lttb' ? lttb(points, Math.floor(maxPoints)) : minMax(points, Math.floor(maxPoints));
}

function minMax<P extends Point>(points: readonly P[], maxPoints: number): P[] {
  const n = points.length;
  const buckets = Math.floor((maxPoints - 2) / 2); // each bucket emits <= 2 points, plus first and last
  const out: P[] = [points[0]];
  const inner = n - 2;
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets);
    const end = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (points[i].y < points[lo].y) lo = i;
      if (points[i].y > points[hi].y) hi = i;
    }
    if (lo === hi) out.push(points[lo]);
    else if (lo < hi) out.push(points[lo], points[hi]);
    else out.push(points[hi], points[lo]);
  }
  out.push(points[n - 1]);
  return out;
}

function lttb<P extends Point>(points: readonly P[], maxPoints: number): P[] {
  const n = points.length;
  const out: P[] = [points[0]];
  const every = (n - 2) / (maxPoints - 2);
  let a = 0;
  for (let b = 0; b < maxPoints - 2; b++) {
    // average of the next bucket: the third corner of the triangle
    const nextStart = Math.floor((b + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((b + 2) * every) + 1, n);
    let ax = 0;
    let ay = 0;
    for (let i = nextStart; i < nextEnd; i++) {
      ax += points[i].x;
      ay += points[i].y;
    }
    const cnt = Math.max(nextEnd - nextStart, 1);
    ax /= cnt;
    ay /= cnt;
    if (nextEnd <= nextStart) {
      ax = points[n - 1].x;
      ay = points[n - 1].y;
    }
    const start = Math.floor(b * every) + 1;
    const end = Math.floor((b + 1) * every) + 1;
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      const area = Math.abs((points[a].x - ax) * (points[i].y - points[a].y) - (points[a].x - points[i].x) * (ay - points[a].y));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    out.push(points[best]);
    a = best;
  }
  out.push(points[n - 1]);
  return out;
}
