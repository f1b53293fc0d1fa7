// Axis helpers for the report's inline SVG charts: "nice" tick values (1-2-5 steps, as d3's
// ticks), tick labels with as many decimals as the step needs, a text-width estimate for layout
// (no DOM to measure with), and the shared palette and font. Not a chart: see svg-line-chart.ts
// and svg-bar-chart.ts.

/** Tableau 10: distinct hues that stay apart for common colour-vision deficiencies and in print. */
export const palette = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac'];
export const referenceColor = '#555555';
export const axisColor = '#555555';
export const gridColor = '#e3e3e3';
export const mutedColor = '#777777';
export const fontFamily = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';

export interface Ticks {
  lo: number;
  hi: number;
  step: number;
  values: number[];
}

/** About `count` round tick values covering [min, max]; the domain is widened to whole steps. */
export function niceTicks(min: number, max: number, count = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return niceTicks(0, 1, count);
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceTicks(min - pad, max + pad, count);
  }
  if (min > max) [min, max] = [max, min];
  const raw = (max - min) / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm >= 7.5 ? 10 : norm >= 3.5 ? 5 : norm >= 1.5 ? 2 : 1) * mag;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const values: number[] = [];
  for (let v = lo; v <= hi + step * 1e-6; v += step) values.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return { lo, hi, step, values };
}

/** A tick label: enough decimals for the step, thousands grouped, k/M for large round values. */
export function tickLabel(v: number, step: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6 && step >= 1e5) return `${+(v / 1e6).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1e6))))}M`;
  if (abs >= 1e4 && step >= 1e3) return `${+(v / 1e3).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1e3))))}k`;
  // tiny steps (loss differences of 1e-7) read better as 2e-7 than as 0.0000002
  if (step < 1e-3) return v === 0 ? '0' : v.toExponential(Math.max(0, Math.floor(Math.log10(abs) + 1e-9) - Math.floor(Math.log10(step) + 1e-9)));
  const decimals = Math.min(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)), 8);
  return v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Approximate rendered width of `text` in px at `fontSize` (average glyph ~0.56 em). */
export function textWidth(text: string, fontSize = 12): number {
  return text.length * fontSize * 0.56;
}

/** Coordinates with at most 2 decimals keep the SVG small. */
export function r2(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}
