// One device in the Live view: the run's label, state and progress; the latest numbers (loss raw
// and smoothed, lr, tokens/s, current and peak RSS, tracked tensors, shard residency, energy,
// temperature, battery, power-monitor state); the charts, fed with the controller's ready-made
// series (runs:series), re-read at most twice a second while the run changes; the device log.
import { useEffect, useRef, useState } from 'react';
import type { LiveRun, LogLine, RunSeries } from '../../../main/ipc/api-types';
import { fmtNum, fmtUnit } from '../../components/format';
import { ErrorNote, Progress, Stat, StatusBadge } from '../../components/ui-bits';
import { errorText, useApi } from '../../hooks/use-api';
import { useSelection } from '../../hooks/use-selection';
import { LogView } from './log-view';
import { RunCharts } from './run-charts';

const REFRESH_MS = 500;

export function DeviceLivePanel({ runs, smoothing, logs }: { runs: LiveRun[]; smoothing: number; logs: LogLine[] }) {
  const api = useApi();
  // null follows the device's newest run; a click pins an earlier one
  const [pinned, setPinned] = useState<string | null>(null);
  const run = runs.find((r) => r.runId === pinned) ?? runs[0];
  const { selection, toggleRun } = useSelection();
  const [series, setSeries] = useState<RunSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  const last = useRef(0);
  useEffect(() => {
    if (!api) return;
    let live = true;
    const wait = Math.max(0, last.current + REFRESH_MS - Date.now());
    const t = setTimeout(() => {
      last.current = Date.now();
      api.invoke('runs:series', { runId: run.runId, smoothing }).then((s) => live && (setSeries(s), setError(null)), (e: unknown) => live && setError(errorText(e)));
    }, wait);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, run.runId, run.updatedAt, run.status, smoothing]);

  const l = series?.runId === run.runId ? series.latest : null;
  const smoothed = series?.runId === run.runId ? series.lossSmoothed.at(-1)?.y : undefined;
  const energy = l?.energyJ != null ? `${fmtNum(l.energyJ, 4)} J${l.powerW != null ? ` · ${fmtNum(l.powerW, 3)} W` : ''}` : 'not measured';
  return (
    <article className="card live-panel" data-testid={`live-${run.deviceId}`}>
      <header className="card-head">
        <div>
          <h3>{run.label}</h3>
          <p className="muted small">device {run.deviceId} · run {run.runId}{run.detail ? ` · ${run.detail.split('\n')[0]}` : ''}</p>
        </div>
        <div className="head-actions">
          <StatusBadge status={run.status} />
          <button type="button" onClick={() => toggleRun(run.runId)}>{selection.runIds.includes(run.runId) ? 'In comparison ✓' : 'Add to comparison'}</button>
        </div>
      </header>
      {runs.length > 1 && (
        <div className="run-chips" role="tablist" aria-label="Runs on this device">
          {runs.map((r, i) => (
            <button type="button" key={r.runId} role="tab" aria-selected={r.runId === run.runId} className={`run-chip${r.runId === run.runId ? ' on' : ''}`}
              onClick={() => setPinned(i === 0 ? null : r.runId)}>
              {r.label.replace(/^.*? · /, '')} · {r.status}
            </button>
          ))}
        </div>
      )}
      <Progress done={run.step} total={run.totalSteps} label={`step ${run.step}${run.totalSteps ? ` / ${run.totalSteps}` : ''}`} />
      <div className="stat-grid stat-grid-wide">
        <Stat label="Loss (raw · smoothed)" value={`${fmtNum(run.loss, 5, '—')} · ${fmtNum(smoothed, 5, '—')}`} />
        <Stat label="Learning rate" value={fmtNum(l?.lr, 3, '—')} />
        <Stat label="Tokens/s" value={fmtNum(run.tokensPerSec ?? l?.tokensPerSec, 4, '—')} />
        <Stat label="RSS now · peak" value={`${fmtUnit(l?.rssMiB, 'MiB', 4, '—')} · ${fmtUnit(l?.peakRssMiB ?? run.peakRssMiB, 'MiB', 4, '—')}`} title="the device's own accounting of the agent process (VmRSS / VmHWM)" />
        <Stat label="Tracked tensors now · peak" value={`${fmtUnit(l?.trackedMiB, 'MiB', 4, '—')} · ${fmtUnit(l?.peakTrackedMiB, 'MiB', 4, '—')}`} title="the agent's own tensor accounting, beside RSS" />
        <Stat label="Shard residency" value={fmtUnit(l?.shardResidentMiB, 'MiB', 4, 'no sharding')} />
        <Stat label="Energy" value={energy} title={l?.energyNote ?? undefined} note={l?.energyJ == null ? l?.energyNote : null} />
        <Stat label="Temperature" value={fmtUnit(l?.temperatureC, '°C', 3)} />
        <Stat label="Battery" value={l?.batteryPct != null ? `${fmtNum(l.batteryPct, 3)} %${l.charging ? ', charging' : ''}` : l?.charging ? 'on external power' : 'not reported'} />
        <Stat label="Power monitor" value={l?.throttleState ? `${l.throttleState}${l.throttleSleepMs ? ` · slept ${fmtNum(l.throttleSleepMs / 1000, 3)} s` : ''}` : 'no reports'} />
      </div>
      <ErrorNote what="Could not read the run's series" error={error} />
      {series && <RunCharts series={series} idPrefix={`live-${run.deviceId}`} />}
      <h4>Device log</h4>
      <LogView lines={logs} testId={`log-${run.deviceId}`} />
    </article>
  );
}
