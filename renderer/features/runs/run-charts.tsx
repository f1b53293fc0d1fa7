// The charts of one run (live view): loss raw (faint) + EMA-smoothed, learning rate, tokens per
// second, memory (RSS, tracked tensors, shard residency; MiB over seconds), temperature and power.
// Series arrive chart-ready from the controller; this only assigns colours and labels.
import type { RunSeries } from '../../../main/ipc/api-types';
import { LineChartCard } from '../../components/line-chart-card';
import { colourAt } from '../../components/palette';

export function RunCharts({ series: s, idPrefix }: { series: RunSeries; idPrefix: string }) {
  const smoothingNote = `smoothing ${s.smoothing.toFixed(2)} (EMA, debiased)`;
  return (
    <div className="chart-grid">
      <LineChartCard title="Loss" xLabel="step" integerX yLabel="" testId={`${idPrefix}-loss`} note={smoothingNote} empty="no steps yet"
        lines={[
          { key: 'raw', label: 'raw', colour: colourAt(0), points: s.loss, faint: true },
          { key: 'smoothed', label: 'smoothed', colour: colourAt(0), points: s.lossSmoothed },
        ]} />
      <LineChartCard title="Throughput" xLabel="step" integerX yLabel="tokens/s" testId={`${idPrefix}-tps`} empty="no timed steps yet"
        lines={[{ key: 'tps', label: 'tokens/s', colour: colourAt(2), points: s.tokensPerSec }]} />
      <LineChartCard title="Memory" xLabel="time since start (s)" yLabel="MiB" testId={`${idPrefix}-memory`} empty="no memory samples (the transport has no memory probe)"
        lines={[
          { key: 'rss', label: 'RSS (device)', colour: colourAt(1), points: s.rssMiB },
          { key: 'tracked', label: 'tracked tensors', colour: colourAt(5), points: s.trackedMiB },
          { key: 'shard', label: 'shard resident', colour: colourAt(3), points: s.shardResidentMiB },
        ].filter((l) => l.points.length)} />
      <LineChartCard title="Learning rate" xLabel="step" integerX yLabel="" testId={`${idPrefix}-lr`} empty="no steps yet"
        lines={[{ key: 'lr', label: 'lr', colour: colourAt(6), points: s.lr }]} />
      <LineChartCard title="Temperature" xLabel="time since start (s)" yLabel="°C" testId={`${idPrefix}-temp`} empty="temperature not measured on this device"
        lines={[{ key: 't', label: 'temperature', colour: colourAt(4), points: s.temperatureC }]} />
      <LineChartCard title="Power" xLabel="time since start (s)" yLabel="W" testId={`${idPrefix}-power`} empty="power not measured on this device"
        lines={[{ key: 'p', label: 'power', colour: colourAt(7), points: s.powerW }]} />
    </div>
  );
}
