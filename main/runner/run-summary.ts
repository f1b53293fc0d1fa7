// The numbers a run is judged by, computed once from its stored series (ARCHITECTURE.md,
// "Measurements"): throughput over timed steps after warm-up (median and spread of step ms),
// peak RSS from the device's own accounting, energy from the integrated counter, final loss.
// Pure functions: the runner stores the result, reports and the UI only read it.

export interface StepRow {
  step: number;
  loss: number;
  tokens: number;
  ms: number;
}

export interface RunSummary {
  steps: number;
  finalLoss: number | null;
  firstLoss: number | null;
  tokensPerStep: number | null;
  /** Median over steps after warm-up (the first `warmup` steps are excluded when there are enough). */
  tokensPerSecond: number | null;
  stepMsMedian: number | null;
  stepMsP10: number | null;
  stepMsP90: number | null;
  warmupStepsExcluded: number;
  peakRssMb: number | null;
  peakTrackedMb: number | null;
  energyJ: number | null;
  energyNote: string | null;
  startTemperatureC: number | null;
  endTemperatureC: number | null;
  wallSeconds: number;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarizeSteps(steps: StepRow[], warmup = 2): Pick<RunSummary, 'steps' | 'finalLoss' | 'firstLoss' | 'tokensPerStep' | 'tokensPerSecond' | 'stepMsMedian' | 'stepMsP10' | 'stepMsP90' | 'warmupStepsExcluded'> {
  if (steps.length === 0) return { steps: 0, finalLoss: null, firstLoss: null, tokensPerStep: null, tokensPerSecond: null, stepMsMedian: null, stepMsP10: null, stepMsP90: null, warmupStepsExcluded: 0 };
  const ordered = [...steps].sort((a, b) => a.step - b.step);
  const tokensPerStep = ordered.length > 1 ? (ordered[ordered.length - 1].tokens - ordered[0].tokens) / (ordered[ordered.length - 1].step - ordered[0].step) : ordered[0].tokens / ordered[0].step;
  const excluded = ordered.length > warmup + 2 ? warmup : 0;
  const ms = ordered.slice(excluded).map((s) => s.ms).sort((a, b) => a - b);
  const median = quantile(ms, 0.5);
  return {
    steps: ordered[ordered.length - 1].step,
    finalLoss: ordered[ordered.length - 1].loss,
    firstLoss: ordered[0].loss,
    tokensPerStep,
    tokensPerSecond: median > 0 ? tokensPerStep / (median / 1000) : null,
    stepMsMedian: median,
    stepMsP10: quantile(ms, 0.1),
    stepMsP90: quantile(ms, 0.9),
    warmupStepsExcluded: excluded,
  };
}
