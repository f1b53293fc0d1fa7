// summarizeRun: throughput after warm-up (median, p10/p90), peak RSS from HWM/RSS with tracked
// bytes beside it, energy from cumulative joules else integrated watts, temperature and charging;
// and null (never 0) for what was not measured.
import { describe, expect, it } from 'vitest';
import { quantile, summarizeRun } from '../../../main/store/run-summary';
import type { MemorySample, PowerSample, StepRow } from '../../../main/store/store-types';

const step = (s: number, ms: number, loss = 3): StepRow => ({ step: s, loss, lr: 1e-3, tokens: s * 100, ms, gradNorm: 1, sleepMs: s === 3 ? 50 : 0 });
const mem = (tMs: number, m: Partial<MemorySample>): MemorySample => ({ tMs, rssBytes: null, hwmBytes: null, swapBytes: null, trackedBytes: null, peakTrackedBytes: null, shardResidentBytes: null, ...m });
const pow = (tMs: number, p: Partial<PowerSample>): PowerSample => ({ tMs, energyJ: null, powerW: null, batteryPct: null, temperatureC: null, charging: null, source: 'test', sleepMs: null, state: null, ...p });

describe('summarizeRun', () => {
  it('computes throughput over timed steps after warm-up', () => {
    const steps = [step(1, 1000), step(2, 900), step(3, 100), step(4, 200), step(5, 100, 2.5)];
    const s = summarizeRun({ steps }, { warmupSteps: 2 });
    expect(s).toMatchObject({ steps: 5, finalLoss: 2.5, tokens: 500, totalMs: 2300, warmupSteps: 2, stepMsMedian: 100, sleepMsTotal: 50 });
    expect(s.tokensPerSecMedian).toBe(1000); // 100 tokens / 0.1 s, steps 3..5
    expect(s.stepMsP10).toBeCloseTo(100);
    expect(s.stepMsP90).toBeCloseTo(180);
    expect(summarizeRun({ steps: [step(1, 10), step(2, 20)] }, { warmupSteps: 5 }).warmupSteps).toBe(1); // at most half
  });

  it('peak RSS, swap, tracked, energy, power, temperature and charging', () => {
    const memory = [mem(0, { rssBytes: 100, trackedBytes: 40 }), mem(1000, { rssBytes: 150, hwmBytes: 180, swapBytes: 7, peakTrackedBytes: 60 })];
    const power = [pow(0, { energyJ: 0, temperatureC: 30, charging: false }), pow(2000, { energyJ: 8, temperatureC: 35.5, charging: true }), pow(3000, { temperatureC: 33 })];
    expect(summarizeRun({ steps: [], memory, power })).toMatchObject({
      steps: 0, finalLoss: null, tokensPerSecMedian: null, peakRssBytes: 180, peakSwapBytes: 7, peakRssSource: 'VmHWM (memory samples)', peakTrackedBytes: 60,
      energyJ: 8, avgPowerW: 4, chargingDuringRun: true, startTemperatureC: 30, maxTemperatureC: 35.5,
    });
  });

  it('integrates power when no cumulative energy was sampled', () => {
    const power = [pow(0, { powerW: 2 }), pow(1000, { powerW: 4 }), pow(3000, { powerW: 4 })];
    expect(summarizeRun({ steps: [], power })).toMatchObject({ energyJ: 3 + 8, avgPowerW: 11 / 3, energySource: expect.stringMatching(/integrated power_w/) });
  });

  it('leaves everything unmeasured as null', () => {
    expect(summarizeRun({ steps: [step(1, 10)] })).toMatchObject({ peakRssBytes: null, peakTrackedBytes: null, energyJ: null, energySource: null, avgPowerW: null, chargingDuringRun: null, startTemperatureC: null, maxTemperatureC: null, finalEvalLoss: null });
  });

  it('quantile interpolates like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([], 0.5)).toBeNull();
  });
});
