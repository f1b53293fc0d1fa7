// Learning-rate schedules: linear warmup, then cosine / linear decay to min_lr_ratio * lr, or
// constant. s is the 0-based optimizer step. The cosine form is the C++ original's
// (lr_min = 0.1 * lr by default), the warmup is (s+1)/W so step 0 already trains.

export type ScheduleKind = 'cosine' | 'linear' | 'constant';

export interface ScheduleConfig {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  kind: ScheduleKind;
  minLrRatio: number;
}

export function learningRate(s: number, c: ScheduleConfig): number {
  if (s < c.warmupSteps) return (c.lr * (s + 1)) / c.warmupSteps;
  if (c.kind === 'constant') return c.lr;
  const min = c.minLrRatio * c.lr;
  const p = (s - c.warmupSteps) / Math.max(1, c.totalSteps - c.warmupSteps);
  if (c.kind === 'linear') return min + (c.lr - min) * (1 - p);
  return min + (c.lr - min) * 0.5 * (1 + Math.cos(Math.PI * p));
}

export function validateSchedule(c: ScheduleConfig): void {
  if (!(c.lr > 0)) throw new Error(`learning rate must be positive, got ${c.lr} (--lr)`);
  if (!Number.isInteger(c.warmupSteps) || c.warmupSteps < 0) throw new Error(`warmup steps must be a non-negative integer, got ${c.warmupSteps} (--warmup_steps)`);
  if (!['cosine', 'linear', 'constant'].includes(c.kind)) throw new Error(`unknown schedule "${c.kind}"; use cosine, linear or constant (--schedule)`);
  if (!(c.minLrRatio >= 0 && c.minLrRatio <= 1)) throw new Error(`min_lr_ratio must be in [0, 1], got ${c.minLrRatio} (--min_lr_ratio)`);
}
