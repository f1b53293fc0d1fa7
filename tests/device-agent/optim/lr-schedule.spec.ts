// Learning-rate schedules: known values at the warmup edge, the middle and the end.
import { describe, expect, it } from 'vitest';
import { learningRate, validateSchedule, type ScheduleConfig } from '../../../device-agent/optim/lr-schedule.js';

const base: ScheduleConfig = { lr: 1e-3, warmupSteps: 4, totalSteps: 14, kind: 'cosine', minLrRatio: 0.1 };

describe('learningRate', () => {
  it('warms up linearly from lr/W at step 0 to lr at step W-1', () => {
    expect(learningRate(0, base)).toBeCloseTo(2.5e-4, 12);
    expect(learningRate(3, base)).toBeCloseTo(1e-3, 12);
  });
  it('cosine: peak right after warmup, midpoint halfway, floor approached at the end', () => {
    expect(learningRate(4, base)).toBeCloseTo(1e-3, 12);
    expect(learningRate(9, base)).toBeCloseTo(1e-4 + 0.9e-3 * 0.5, 12);
    expect(learningRate(13, base)).toBeGreaterThan(1e-4);
    expect(learningRate(14, base)).toBeCloseTo(1e-4, 12);
  });
  it('linear and constant', () => {
    expect(learningRate(9, { ...base, kind: 'linear' })).toBeCloseTo(1e-4 + 0.9e-3 * 0.5, 12);
    expect(learningRate(12, { ...base, kind: 'constant' })).toBe(1e-3);
  });
  it('rejects bad settings naming the flag', () => {
    expect(() => validateSchedule({ ...base, lr: 0 })).toThrow(/--lr/);
    expect(() => validateSchedule({ ...base, kind: 'step' as never })).toThrow(/--schedule/);
    expect(() => validateSchedule({ ...base, warmupSteps: -1 })).toThrow(/--warmup_steps/);
  });
});
