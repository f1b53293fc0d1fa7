// The compare view's charts: the loss overlay (each run's raw line faint behind its smoothed
// line, references dashed, repeat groups as a band with their mean), the difference to the
// reference, and the peak-RSS bars per device and sharding group. Colours follow the run order.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import type { Comparison } from '../../../main/ipc/api-types';
import { fmtNum, fmtTick } from '../../components/format';
import { LineChartCard, type ChartBand, type ChartLine } from '../../components/line-chart-card';
import { colourAt, coloursFor } from '../../components/palette';

export function CompareCharts({ comparison: c }: { comparison: Comparison }) {
  const colour = coloursFor(c.lines.map((l) => l.runId));
  const lines: ChartLine[] = c.lines.filter((l) => !l.band).flatMap((l) => [
    ...(c.smoothing > 0 ? [{ key: `${l.runId}-raw`, label: `${l.label} (raw)`, colour: colour.get(l.runId)!, points: l.raw, faint: true, hideFromLegend: true, dashed: l.kind === 'reference' }] : []),
    { key: l.runId, label: l.label, colour: colour.get(l.runId)!, points: l.smoothed, dashed: l.kind === 'reference' },
  ]);
  const bands: ChartBand[] = c.bands.map((b) => ({ key: b.key, label: b.label, colour: colour.get(b.runIds[0])!, points: b.points }));
  const smoothing = c.smoothing > 0 ? `smoothed (EMA ${c.smoothing.toFixed(2)}, debiased), raw lines faint` : 'raw, no smoothing';
  const ref = c.lines.find((l) => l.runId === c.referenceRunId);
  const hasBudget = c.bars.some((b) => b.budgetMb != null);
  return (
    <div className="compare-charts">
      <LineChartCard title="Loss" xLabel={c.xLabel} integerX={c.align !== 'wall'} yLabel="" testId="compare-loss" lines={lines} bands={bands} height={340}
        note={`${smoothing}; references dashed`} empty="no loss values on this axis for the selected runs" />
      {ref && (
        <LineChartCard title={`Per-step loss difference to the reference: ${ref.label}`} xLabel={c.xLabel} integerX={c.align !== 'wall'} yLabel="run − reference" testId="compare-diff" zeroLine
          note={c.diffs.map((d) => `${d.label}: max |Δ| ${fmtNum(d.maxAbs, 3, '—')}, mean |Δ| ${fmtNum(d.meanAbs, 3, '—')} over ${d.common} points`).join(' · ')}
          lines={c.diffs.filter((d) => d.points.length).map((d) => ({ key: d.runId, label: d.label, colour: colour.get(d.runId)!, points: d.points }))} empty="no common points with the reference" />
      )}
      <section className="chart-card" data-testid="compare-memory" data-points={c.bars.length}>
        <h3 className="chart-title">Peak memory per device and sharding budget <span className="chart-unit">MiB</span></h3>
        <p className="chart-note">Peak RSS is the device's own accounting of the agent process; tracked tensors are the agent's own count, shown beside it.</p>
        {c.bars.every((b) => b.peakRssMiB == null && b.peakTrackedMiB == null) ? (
          <div className="chart-empty">no memory measured for the selected runs</div>
        ) : (
          <BarChart responsive data={c.bars} style={{ width: '100%', height: 280 }} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis dataKey="category" stroke="var(--muted)" interval={0} tick={{ fontSize: 12 }} />
            <YAxis tickFormatter={fmtTick} width={56} stroke="var(--muted)" />
            <Tooltip formatter={(v) => (typeof v === 'number' ? `${fmtNum(v, 4)} MiB` : 'not measured')} contentStyle={{ background: 'var(--card)', borderColor: 'var(--border)' }} />
            <Legend verticalAlign="top" height={28} />
            <Bar dataKey="peakRssMiB" name="peak RSS (MiB)" fill={colourAt(1)} isAnimationActive={false} />
            <Bar dataKey="peakTrackedMiB" name="peak tracked tensors (MiB)" fill={colourAt(5)} isAnimationActive={false} />
            {hasBudget && <Bar dataKey="budgetMb" name="sharding budget (MB)" fill={colourAt(7)} isAnimationActive={false} />}
          </BarChart>
        )}
      </section>
    </div>
  );
}
