// One run's series for the live view and the run page, read from the store and made chart-ready:
// loss raw + EMA-smoothed (debiased), lr and tokens/s by step; RSS, tracked and shard-resident MiB,
// power, energy and temperature by seconds since the start; the power monitor's state changes; and
// the latest value of each (computed before downsampling, so the numbers beside a chart are exact).
// Every line has at most `maxPoints` points (main/reports/downsample.ts). Writes nothing.
import type { RunLatest, RunSeries, XY } from '../ipc/api-types';
import { downsample } from '../reports/downsample';
import type { ResultsStore } from '../store/results-store';
import { emaSmooth, lossPoints, tokensPerSecond } from './series-math';

const MiB = 1024 * 1024;

export interface RunSeriesOptions {
  smoothing?: number;
  maxPoints?: number;
}

/** Points (x, y) of rows whose y is a finite number. */
function pointsOf<T>(rows: readonly T[], x: (r: T) => number, y: (r: T) => number | null | undefined): XY[] {
  const out: XY[] = [];
  for (const r of rows) {
    const v = y(r);
    if (v != null && Number.isFinite(v)) out.push({ x: x(r), y: v });
  }
  return out;
}

const last = (pts: readonly XY[]): number | null => pts.at(-1)?.y ?? null;
const max = (pts: readonly XY[]): number | null => (pts.length ? pts.reduce((m, p) => Math.max(m, p.y), -Infinity) : null);

export function buildRunSeries(store: ResultsStore, runId: string, opts: RunSeriesOptions = {}): RunSeries {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no run "${runId}" in the results database; it may have been deleted`);
  const smoothing = opts.smoothing ?? 0.6;
  const maxPoints = opts.maxPoints ?? 2000;
  const steps = store.getSteps(runId);
  const memory = store.getMemorySamples(runId);
  const power = store.getPowerSamples(runId);
  const sec = (tMs: number) => tMs / 1000;

  const loss = lossPoints(steps, 'step');
  const lr = pointsOf(steps, (s) => s.step, (s) => s.lr);
  const tps = tokensPerSecond(steps);
  const rss = pointsOf(memory, (m) => sec(m.tMs), (m) => (m.rssBytes ?? m.hwmBytes) == null ? null : (m.rssBytes ?? m.hwmBytes)! / MiB);
  const hwm = pointsOf(memory, (m) => sec(m.tMs), (m) => (m.hwmBytes == null ? null : m.hwmBytes / MiB));
  const tracked = pointsOf(memory, (m) => sec(m.tMs), (m) => (m.trackedBytes == null ? null : m.trackedBytes / MiB));
  const peakTracked = pointsOf(memory, (m) => sec(m.tMs), (m) => (m.peakTrackedBytes == null ? null : m.peakTrackedBytes / MiB));
  const shard = pointsOf(memory, (m) => sec(m.tMs), (m) => (m.shardResidentBytes == null ? null : m.shardResidentBytes / MiB));
  const powerW = pointsOf(power, (p) => sec(p.tMs), (p) => p.powerW);
  const energyJ = pointsOf(power, (p) => sec(p.tMs), (p) => p.energyJ);
  const temperatureC = pointsOf(power, (p) => sec(p.tMs), (p) => p.temperatureC);

  const throttleChanges: RunSeries['throttleChanges'] = [];
  for (const p of power) if (p.state && p.state !== throttleChanges.at(-1)?.state) throttleChanges.push({ tS: sec(p.tMs), state: p.state });
  const lastBattery = [...power].reverse().find((p) => p.batteryPct != null);
  const lastCharging = [...power].reverse().find((p) => p.charging != null);
  const sleepMs = steps.reduce((a, s) => a + (s.sleepMs ?? 0), 0);
  const energy = run.conditions.energy as { note?: string | null } | undefined;
  const summary = run.summary ?? {};

  const latest: RunLatest = {
    step: steps.at(-1)?.step ?? null,
    loss: last(loss),
    lr: last(lr),
    tokensPerSec: last(tps),
    rssMiB: last(rss),
    peakRssMiB: max(hwm) ?? max(rss) ?? (typeof summary.peakRssBytes === 'number' ? summary.peakRssBytes / MiB : null),
    trackedMiB: last(tracked),
    peakTrackedMiB: max(peakTracked) ?? max(tracked),
    shardResidentMiB: last(shard),
    energyJ: last(energyJ),
    powerW: last(powerW),
    temperatureC: last(temperatureC),
    batteryPct: lastBattery?.batteryPct ?? null,
    charging: lastCharging?.charging ?? (typeof run.conditions.charging === 'boolean' ? run.conditions.charging : null),
    throttleState: throttleChanges.at(-1)?.state ?? null,
    throttleSleepMs: sleepMs || null,
    energyNote: energyJ.length ? null : (energy?.note ?? (run.kind === 'reference' ? 'not measured for imported runs' : 'not measured')),
  };

  const ds = (pts: XY[]) => downsample(pts, maxPoints);
  return {
    runId, label: run.name ?? runId, status: run.status, smoothing,
    loss: ds(loss),
    lossSmoothed: ds(emaSmooth(loss, smoothing)),
    lr: ds(lr),
    tokensPerSec: ds(tps),
    rssMiB: ds(rss),
    trackedMiB: ds(tracked),
    shardResidentMiB: ds(shard),
    powerW: ds(powerW),
    energyJ: ds(energyJ),
    temperatureC: ds(temperatureC),
    throttleChanges: throttleChanges.slice(-200),
    latest,
    counts: { steps: steps.length, memorySamples: memory.length, powerSamples: power.length },
  };
}
