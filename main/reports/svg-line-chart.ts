// svgLineChart: one inline SVG line chart (several series, shared axes) as a string: gridlines,
// ticks, axis titles with units, a legend above the plot, an optional zero line, and a "no data"
// note for an empty chart. Series should already be downsampled (downsample.ts). No library and no
// DOM: plain string building, every text escaped. Not interactive; the renderer has recharts.
import type { Point } from './downsample';
import { escapeHtml as esc } from './escape-html';
import { axisColor, fontFamily, gridColor, mutedColor, niceTicks, r2, textWidth, tickLabel } from './svg-axis';

export interface LineSeries {
  name: string;
  points: readonly Point[];
  color: string;
  /** SVG stroke-dasharray, e.g. "6 4" for a reference run. */
  dash?: string;
  width?: number;
}

export interface LineChartSpec {
  /** Accessible name of the chart (also its SVG <title>). */
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  width?: number;
  height?: number;
  /** Draw y = 0 in a darker line (difference charts). */
  zeroLine?: boolean;
  /** Always include 0 on the y axis (bars of the same quantity elsewhere start at 0). */
  includeZero?: boolean;
}

export function svgLineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 560;
  const plotH = spec.height ?? 240;
  const series = spec.series.filter((s) => s.points.length > 0);

  // legend rows, wrapped to the chart width
  const items: { s: LineSeries; x: number; row: number }[] = [];
  let lx = 60;
  let row = 0;
  for (const s of spec.series) {
    const w = 24 + textWidth(s.name, 12) + 18;
    if (lx + w > width - 8 && lx > 60) {
      row++;
      lx = 60;
    }
    items.push({ s, x: lx, row });
    lx += w;
  }
  const legendH = spec.series.length ? (row + 1) * 18 + 6 : 0;
  const m = { left: 64, right: 16, top: legendH + 10, bottom: 46 };
  const height = m.top + plotH + m.bottom;
  const pw = width - m.left - m.right;

  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const min = (v: number[]) => v.reduce((a, b) => Math.min(a, b), Infinity);
  const max = (v: number[]) => v.reduce((a, b) => Math.max(a, b), -Infinity);
  const xt = niceTicks(xs.length ? min(xs) : 0, xs.length ? max(xs) : 1, Math.max(2, Math.round(pw / 90)));
  let yMin = ys.length ? min(ys) : 0;
  let yMax = ys.length ? max(ys) : 1;
  if (spec.includeZero || spec.zeroLine) {
    yMin = Math.min(yMin, 0);
    yMax = Math.max(yMax, 0);
  }
  const yt = niceTicks(yMin, yMax, Math.max(2, Math.round(plotH / 45)));
  const X = (x: number) => m.left + ((x - xt.lo) / (xt.hi - xt.lo || 1)) * pw;
  const Y = (y: number) => m.top + plotH - ((y - yt.lo) / (yt.hi - yt.lo || 1)) * plotH;

  const out: string[] = [];
  out.push(`<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(spec.title)}" font-family="${esc(fontFamily)}" font-size="12">`);
  out.push(`<title>${esc(spec.title)}</title>`);
  for (const it of items) {
    const y = 12 + it.row * 18;
    out.push(`<line x1="${it.x}" y1="${y}" x2="${it.x + 18}" y2="${y}" stroke="${it.s.color}" stroke-width="${Math.max(it.s.width ?? 2, 2.5)}"${it.s.dash ? ` stroke-dasharray="${it.s.dash}"` : ''}/>`);
    out.push(`<text x="${it.x + 24}" y="${y + 4}" fill="#222">${esc(it.s.name)}</text>`);
  }
  // grid and ticks
  for (const v of yt.values) {
    const y = r2(Y(v));
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="${gridColor}"/>`);
    out.push(`<text x="${m.left - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="${axisColor}">${esc(tickLabel(v, yt.step))}</text>`);
  }
  for (const v of xt.values) {
    const x = r2(X(v));
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + plotH}" stroke="${gridColor}"/>`);
    out.push(`<text x="${x}" y="${m.top + plotH + 16}" text-anchor="middle" fill="${axisColor}">${esc(tickLabel(v, xt.step))}</text>`);
  }
  if (spec.zeroLine && yt.lo <= 0 && yt.hi >= 0) {
    out.push(`<line x1="${m.left}" y1="${r2(Y(0))}" x2="${m.left + pw}" y2="${r2(Y(0))}" stroke="${axisColor}" stroke-width="1"/>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${plotH}" fill="none" stroke="${axisColor}"/>`);
  // axis titles
  out.push(`<text x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle" fill="#222">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(spec.yLabel)}</text>`);
  // series
  for (const s of series) {
    const attrs = `stroke="${s.color}" stroke-width="${s.width ?? 1.8}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}`;
    if (s.points.length === 1) {
      out.push(`<circle cx="${r2(X(s.points[0].x))}" cy="${r2(Y(s.points[0].y))}" r="3" fill="${s.color}"/>`);
      continue;
    }
    const pts = s.points.map((p) => `${r2(X(p.x))},${r2(Y(p.y))}`).join(' ');
    out.push(`<polyline fill="none" ${attrs} stroke-linejoin="round" points="${pts}"><title>${esc(s.name)}</title></polyline>`);
  }
  if (!series.length) {
    out.push(`<text x="${m.left + pw / 2}" y="${m.top + plotH / 2}" text-anchor="middle" fill="${mutedColor}" font-style="italic">no data recorded</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
