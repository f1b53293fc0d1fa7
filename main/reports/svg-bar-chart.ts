// svgBarChart: a horizontal bar chart as an inline SVG string: one bar per run, runs in labelled
// groups (e.g. "baseline" / "sharded 128 MB"), optional whiskers (p10-p90), the value printed at
// the bar's end, and "not measured" in place of a bar whose value is null, so a missing
// measurement never reads as zero. The x axis has ticks and a title with the unit.
import { escapeHtml as esc } from './escape-html';
import { axisColor, fontFamily, gridColor, mutedColor, niceTicks, r2, textWidth, tickLabel } from './svg-axis';

export interface Bar {
  label: string;
  value: number | null;
  color: string;
  /** Whisker range, e.g. [p10, p90]. */
  range?: [number, number] | null;
  /** Extra text after the value, e.g. "charging". */
  note?: string | null;
}

export interface BarGroup {
  label: string | null;
  bars: readonly Bar[];
}

export interface BarChartSpec {
  title: string;
  xLabel: string;
  groups: readonly BarGroup[];
  format: (v: number) => string;
  width?: number;
  /** Text shown for a null value. */
  missing?: string;
}

const ROW = 24;
const GROUP_HEAD = 22;

export function svgBarChart(spec: BarChartSpec): string {
  const width = spec.width ?? 900;
  const missing = spec.missing ?? 'not measured';
  const bars = spec.groups.flatMap((g) => g.bars);
  const showGroups = spec.groups.filter((g) => g.bars.length && g.label).length > 1; // one group needs no heading
  const labelW = Math.min(Math.max(60, ...bars.map((b) => textWidth(b.label, 12))) + 20, 340);
  const valueTexts = bars.map((b) => (b.value == null ? missing : `${spec.format(b.value)}${b.note ? ` (${b.note})` : ''}`));
  const valueW = Math.min(Math.max(40, ...valueTexts.map((t) => textWidth(t, 12))) + 14, 240);
  const m = { left: labelW, right: valueW, top: 8, bottom: 44 };
  const pw = Math.max(width - m.left - m.right, 120);

  const values = bars.flatMap((b) => [b.value, ...(b.range ?? [])]).filter((v): v is number => v != null && Number.isFinite(v));
  const xt = niceTicks(0, values.length ? Math.max(0, ...values) : 1, Math.max(2, Math.round(pw / 100)));
  const X = (v: number) => m.left + ((v - xt.lo) / (xt.hi - xt.lo || 1)) * pw;

  const rows: string[] = [];
  let y = m.top;
  spec.groups.forEach((g, gi) => {
    if (!g.bars.length) return;
    if (showGroups) {
      if (gi > 0) rows.push(`<line x1="8" y1="${y + 4}" x2="${width - 8}" y2="${y + 4}" stroke="${gridColor}"/>`);
      rows.push(`<text x="8" y="${y + 17}" font-weight="600" fill="#222">${esc(g.label ?? '')}</text>`);
      y += GROUP_HEAD;
    }
    for (const b of g.bars) {
      const cy = y + ROW / 2;
      const shown = fit(b.label, labelW - 20);
      rows.push(`<text x="${m.left - 8}" y="${cy}" dy="0.32em" text-anchor="end" fill="#222">${esc(shown)}${shown !== b.label ? `<title>${esc(b.label)}</title>` : ''}</text>`);
      if (b.value == null || !Number.isFinite(b.value)) {
        rows.push(`<text x="${m.left + 6}" y="${cy}" dy="0.32em" fill="${mutedColor}" font-style="italic">${esc(missing)}</text>`);
      } else {
        const x1 = X(Math.max(b.value, 0));
        rows.push(`<rect x="${m.left}" y="${y + 4}" width="${r2(Math.max(x1 - m.left, 1))}" height="${ROW - 8}" fill="${b.color}" rx="2"><title>${esc(`${b.label}: ${spec.format(b.value)}`)}</title></rect>`);
        let textX = x1;
        if (b.range) {
          const [lo, hi] = b.range.map(X);
          rows.push(`<path d="M${r2(lo)} ${cy}H${r2(hi)}M${r2(lo)} ${cy - 5}V${cy + 5}M${r2(hi)} ${cy - 5}V${cy + 5}" stroke="#222" stroke-width="1.2" fill="none"/>`);
          textX = Math.max(textX, hi);
        }
        rows.push(`<text x="${r2(textX + 6)}" y="${cy}" dy="0.32em" fill="#222">${esc(spec.format(b.value))}${b.note ? `<tspan fill="${mutedColor}"> (${esc(b.note)})</tspan>` : ''}</text>`);
      }
      y += ROW;
    }
  });
  const plotTop = m.top;
  const plotBottom = y + 2;
  const height = plotBottom + m.bottom;

  const out: string[] = [];
  out.push(`<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(spec.title)}" font-family="${esc(fontFamily)}" font-size="12">`);
  out.push(`<title>${esc(spec.title)}</title>`);
  for (const v of xt.values) {
    const x = r2(X(v));
    out.push(`<line x1="${x}" y1="${plotTop}" x2="${x}" y2="${plotBottom}" stroke="${gridColor}"/>`);
    out.push(`<text x="${x}" y="${plotBottom + 16}" text-anchor="middle" fill="${axisColor}">${esc(tickLabel(v, xt.step))}</text>`);
  }
  out.push(`<line x1="${m.left}" y1="${plotTop}" x2="${m.left}" y2="${plotBottom}" stroke="${axisColor}"/>`);
  out.push(`<line x1="${m.left}" y1="${plotBottom}" x2="${m.left + pw}" y2="${plotBottom}" stroke="${axisColor}"/>`);
  out.push(...rows);
  out.push(`<text x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle" fill="#222">${esc(spec.xLabel)}</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/** `label` cut with an ellipsis to fit `px` (estimated), so a long run name cannot run off the chart. */
function fit(label: string, px: number): string {
  const max = Math.max(Math.floor(px / (12 * 0.56)), 4);
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}
