// summarizeRun: a run's summary computed from its stored series, with the measurement definitions of
// ARCHITECTURE.md ("Measurements"): throughput over timed steps after warm-up (median, p10/p90 of
// step ms), peak RSS from the device's own accounting (VmHWM / RSS) with tracked bytes beside it,
// energy from the cumulative joules (else integrated power), temperature where measured. Anything
// not measured stays null: this never fills a gap with a guess. Pure; no database access.
import type { EvalRow, MemorySample, PowerSample, RunSummary, StepRow } from './store-types';

export interface SummaryInput {
  steps: readonly StepRow[];
  evals?: readonly EvalRow[];
  memory?: readonly MemorySample[];
  power?: readonly PowerSample[];
}

/** Steps left out of the throughput numbers: `warmupSteps`, at most half the steps. Default 2. */
export function summarizeRun(input: SummaryInput, opts: { warmupSteps?: number } = {}): RunSummary {
  const steps = [...input.steps].sort((a, b) => a.step - b.step);
  const last = steps.at(-1);
  const warmup = Math.min(opts.warmupSteps ?? 2, Math.floor(steps.length / 2));
  const stepMs: number[] = [];
  const tokPerSec: number[] = [];
  steps.forEach((s, i) => {
    if (i < warmup || s.ms == null || !(s.ms > 0)) return;
    stepMs.push(s.ms);
    const prev = i > 0 ? steps[i - 1].tokens : 0;
    if (s.tokens != null && prev != null) tokPerSec.push((s.tokens - prev) / (s.ms / 1000));
  });
  const msVals = steps.map((s) => s.ms).filter(isNum);
  const sleepVals = steps.map((s) => s.sleepMs).filter(isNum);

  const mem = input.memory ?? [];
  const rssPeak = maxOf(mem.flatMap((m) => [m.hwmBytes, m.rssBytes]));
  const hasHwm = mem.some((m) => m.hwmBytes != null);

  const power = [...(input.power ?? [])].sort((a, b) => a.tMs - b.tMs);
  const energy = energyOf(power);
  const temps = power.map((p) => p.temperatureC).filter(isNum);
  const chargingSeen = power.filter((p) => p.charging != null);

  const evals = [...(input.evals ?? [])].sort((a, b) => a.step - b.step);
  const lastEval = evals.at(-1);
  return {
    steps: last ? last.step : 0,
    finalLoss: last?.loss ?? null,
    tokens: last?.tokens ?? null,
    totalMs: msVals.length ? msVals.reduce((a, b) => a + b, 0) : null,
    warmupSteps: warmup,
    tokensPerSecMedian: quantile(tokPerSec, 0.5),
    stepMsMedian: quantile(stepMs, 0.5),
    stepMsP10: quantile(stepMs, 0.1),
    stepMsP90: quantile(stepMs, 0.9),
    peakRssBytes: rssPeak,
    peakSwapBytes: maxOf(mem.map((m) => m.swapBytes)),
    peakRssSource: rssPeak == null ? null : hasHwm ? 'VmHWM (memory samples)' : 'max RSS sample',
    peakTrackedBytes: maxOf(mem.flatMap((m) => [m.peakTrackedBytes, m.trackedBytes])),
    energyJ: energy?.joules ?? null,
    energySource: energy?.source ?? null,
    avgPowerW: energy && energy.seconds > 0 ? energy.joules / energy.seconds : null,
    chargingDuringRun: chargingSeen.length ? chargingSeen.some((p) => p.charging) : null,
    startTemperatureC: temps.length ? temps[0] : null,
    maxTemperatureC: maxOf(temps),
    sleepMsTotal: sleepVals.length ? sleepVals.reduce((a, b) => a + b, 0) : null,
    finalEvalLoss: lastEval?.loss ?? null,
    finalEvalPpl: lastEval?.ppl ?? null,
  };
}

/** Linear-interpolated quantile (numpy's default); null for no values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

function energyOf(power: readonly PowerSample[]): { joules: number; seconds: number; source: string } | null {
  const withJ = power.filter((p) => isNum(p.energyJ));
  if (withJ.length) {
    const last = withJ[withJ.length - 1];
    const sources = [...new Set(withJ.map((p) => p.source))].join(', ');
    return { joules: last.energyJ as number, seconds: last.tMs / 1000, source: `cumulative energy_j (${sources})` };
  }
  const withW = power.filter((p) => isNum(p.powerW));
  if (withW.length < 2) return null;
  let joules = 0;
  for (let i = 1; i < withW.length; i++) {
    const dt = (withW[i].tMs - withW[i - 1].tMs) / 1000;
    joules += ((withW[i].powerW as number) + (withW[i - 1].powerW as number)) / 2 * dt;
  }
  const seconds = (withW[withW.length - 1].tMs - withW[0].tMs) / 1000;
  return { joules, seconds, source: `integrated power_w, ${withW.length} samples (${[...new Set(withW.map((p) => p.source))].join(', ')})` };
}

function maxOf(values: readonly (number | null | undefined)[]): number | null {
  let max: number | null = null; // a loop, not Math.max(...v): series can exceed the argument limit
  for (const v of values) if (isNum(v) && (max === null || v > max)) max = v;
  return max;
}

function isNum(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
