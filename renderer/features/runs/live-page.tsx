// The Live view: one panel per device with its current (or a chosen earlier) run: progress, the latest
// numbers and chart-ready series (loss raw + smoothed, lr, tokens/s, memory, temperature, power),
// and the device's log. Live state arrives as ~8 Hz batches (live:batch); series are re-read from
// the controller, downsampled, at most about once a second per run.
import { useMemo, useState } from 'react';
import type { LiveRun, LogLine } from '../../../main/ipc/api-types';
import { EmptyState, ErrorNote } from '../../components/ui-bits';
import { useEvent, useInvoke } from '../../hooks/use-api';
import { useSelection } from '../../hooks/use-selection';
import { DeviceLivePanel } from './device-live-panel';
import { LogView } from './log-view';

const MAX_LOGS = 2000;

export function LivePage() {
  const snapshot = useInvoke('live:snapshot');
  const [runs, setRuns] = useState<Map<string, LiveRun>>(new Map());
  const [logs, setLogs] = useState<LogLine[]>([]);
  const { selection, update } = useSelection();
  useEvent('live:batch', (b) => {
    setRuns((m) => {
      const next = new Map(m);
      for (const r of b.runs) next.set(r.runId, r);
      return next;
    });
    setLogs((l) => [...l, ...b.logs].slice(-MAX_LOGS));
  });
  const allRuns = useMemo(() => {
    const m = new Map((snapshot.data?.runs ?? []).map((r) => [r.runId, r]));
    for (const [k, v] of runs) m.set(k, v);
    return [...m.values()];
  }, [snapshot.data, runs]);
  const allLogs = useMemo(() => [...(snapshot.data?.logs ?? []), ...logs].slice(-MAX_LOGS), [snapshot.data, logs]);
  // every device's runs, newest first (by when each run first appeared, so a run does not jump)
  const perDevice = useMemo(() => {
    const m = new Map<string, LiveRun[]>();
    for (const r of allRuns) m.set(r.deviceId, [...(m.get(r.deviceId) ?? []), r]);
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([deviceId, rs]) => ({ deviceId, runs: rs.reverse() }));
  }, [allRuns]);

  return (
    <div className="page" data-testid="live-page">
      <header className="page-head">
        <h2>Live runs</h2>
        <label className="inline-control">
          Smoothing <input type="range" min={0} max={0.99} step={0.01} value={selection.smoothing} onChange={(e) => update({ smoothing: Number(e.target.value) })} />
          <span className="mono">{selection.smoothing.toFixed(2)}</span>
        </label>
      </header>
      <ErrorNote what="Could not read the live state" error={snapshot.error} />
      {perDevice.length === 0 && !snapshot.loading && (
        <EmptyState title="Nothing is running.">
          Start a suite on the <a href="#/suites">Suites</a> page; every device's run shows up here live. Finished runs are on the <a href="#/compare">Compare</a> page.
        </EmptyState>
      )}
      {perDevice.map((d) => (
        <DeviceLivePanel key={d.deviceId} runs={d.runs} smoothing={selection.smoothing} logs={allLogs.filter((l) => l.deviceId === d.deviceId)} />
      ))}
      {allLogs.some((l) => l.deviceId === null) && (
        <details className="card">
          <summary>Controller log (hub, reference runs)</summary>
          <LogView lines={allLogs.filter((l) => l.deviceId === null)} />
        </details>
      )}
    </div>
  );
}
