// A titled line chart for ready-made series: each line brings its own downsampled points (x, y)
// and each band its [low, high] range; this component only draws them (recharts), with the y unit
// beside the title, the x label under the axis, a legend and an empty message. It never sorts,
// smooths or resamples.
// data-points on the card counts the drawn points, for tests and for people debugging a chart.

import { Area, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { BandPoint, XY } from '../../main/ipc/api-types';
import { fmtNum, fmtTick } from './format';

export interface ChartLine {
  key: string;
  label: string;
  colour: string;
  points: XY[];
  dashed?: boolean;
  /** Thin and faint: the raw line behind its smoothed version. */
  faint?: boolean;
  hideFromLegend?: boolean;
}

export interface ChartBand {
  key: string;
  label: string;
  colour: string;
  points: BandPoint[];
}

export interface LineChartCardProps {
  title: string;
  xLabel: string;
  yLabel: string;
  lines: ChartLine[];
  bands?: ChartBand[];
  empty: string;
  testId: string;
  height?: number;
  zeroLine?: boolean;
  note?: string;
  /** Whole-number x (steps, tokens): no ticks at 2.5. */
  integerX?: boolean;
}

export function LineChartCard({ title, xLabel, yLabel, lines, bands = [], empty, testId, height = 260, zeroLine, note, integerX }: LineChartCardProps) {
  const points = lines.reduce((n, l) => n + l.points.length, 0) + bands.reduce((n, b) => n + b.points.length, 0);
  return (
    <section className="chart-card" data-testid={testId} data-points={points}>
      <h3 className="chart-title">{title} <span className="chart-unit">{yLabel}</span></h3>
      {note && <p className="chart-note">{note}</p>}
      {points === 0 ? (
        <div className="chart-empty" style={{ height }}>{empty}</div>
      ) : (
        <ComposedChart responsive style={{ width: '100%', height }} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
          <XAxis type="number" dataKey="x" domain={['auto', 'auto']} tickFormatter={fmtTick} allowDuplicatedCategory={false} allowDecimals={!integerX}
            label={{ value: xLabel, position: 'insideBottom', offset: -14, fill: 'var(--muted)' }} stroke="var(--muted)" />
          <YAxis type="number" domain={['auto', 'auto']} tickFormatter={fmtTick} width={56} stroke="var(--muted)" />
          <Tooltip formatter={(v) => (typeof v === 'number' ? fmtNum(v, 5) : Array.isArray(v) ? v.map((x) => fmtNum(Number(x), 4)).join(' – ') : String(v))}
            labelFormatter={(x) => `${xLabel}: ${fmtNum(Number(x), 6)}`} contentStyle={{ background: 'var(--card)', borderColor: 'var(--border)' }} />
          <Legend verticalAlign="top" height={28} />
          {zeroLine && <ReferenceLine y={0} stroke="var(--muted)" />}
          {bands.map((b) => (
            <Area key={b.key} data={b.points} dataKey="range" name={`${b.label} ± std`} stroke="none" fill={b.colour} fillOpacity={0.2} isAnimationActive={false} legendType="none" />
          ))}
          {bands.map((b) => (
            <Line key={`${b.key}-mean`} data={b.points} dataKey="y" name={b.label} stroke={b.colour} strokeWidth={2} dot={false} isAnimationActive={false} />
          ))}
          {lines.map((l) => (
            <Line key={l.key} data={l.points} dataKey="y" name={l.label} stroke={l.colour} dot={false} isAnimationActive={false}
              strokeWidth={l.faint ? 1 : 2} strokeOpacity={l.faint ? 0.35 : 1} strokeDasharray={l.dashed ? '6 4' : undefined}
              legendType={l.hideFromLegend ? 'none' : 'line'} />
          ))}
        </ComposedChart>
      )}
    </section>
  );
}
