// The training loop: gradient accumulation, global-norm clipping, AdamW with a warmup schedule,
// periodic evaluation, one run-log record per optimizer step. Model-agnostic: it sees a parameter
// table and a loss function. Data, files and logging are the caller's (CLI, agent runtime).
// Reads like llm.c's train_gpt2.c main loop: defaults first, one commented line per step.
import { tape } from './core/autograd.js';
import type { ParameterTable } from './core/parameter-table.js';
import type { Tensor } from './core/tensor.js';
import * as F from './nn/functional.js';
import { AdamW, defaultAdamW, type AdamWConfig } from './optim/adamw.js';
import { clipScale, gradNorm as globalGradNorm } from './optim/clip-grad-norm.js';
import { learningRate, validateSchedule, type ScheduleKind } from './optim/lr-schedule.js';
import type { EvalRecord, LogRecord, StepRecord } from './run-log.js';

export interface TrainConfig {
  steps: number;
  batchSize: number;
  seqLen: number;
  gradAccum: number;
  lr: number;
  warmupSteps: number;
  schedule: ScheduleKind;
  minLrRatio: number;
  clipGradNorm: number;
  adamw: AdamWConfig;
  evalInterval: number;
}

export const defaultTrainConfig: TrainConfig = {
  steps: 0,
  batchSize: 1, // micro-batch size
  seqLen: 128,
  gradAccum: 1,
  lr: 1e-4,
  warmupSteps: 0,
  schedule: 'cosine',
  minLrRatio: 0.1, // cosine floor, as the C++ original
  clipGradNorm: 1.0, // <= 0 disables clipping
  adamw: defaultAdamW,
  evalInterval: 0, // 0: evaluate only at the end when an eval set is given
};

export interface Trainable {
  params: ParameterTable;
  /** Scalar mean loss of a batch of windows tokens (B, T+1), recorded on the tape. */
  loss(tokens: Int32Array, B: number, T: number): Tensor;
  /** Loss without a tape. */
  evalLoss(tokens: Int32Array, B: number, T: number): number;
  /** Switch training-only behaviour (dropout) on or off. */
  setTraining(on: boolean): void;
}

export interface TrainIo {
  nextBatch(): Int32Array;
  /** Validation batches (B, T+1) for perplexity, or none. */
  evalBatches?(): Iterable<Int32Array>;
  log(record: LogRecord): void;
  /** Polled between steps: a cancel request ends the loop after the current step. */
  shouldStop?(): boolean;
  /** Called after each step (checkpoints, telemetry). */
  afterStep?(step: number, optimizer: AdamW): void | Promise<void>;
}

export interface TrainResult {
  steps: number;
  finalLoss: number | null;
  tokens: number;
  ms: number;
  optimizer: AdamW;
}

export function validateTrainConfig(c: TrainConfig): void {
  const posInt = (v: number, flag: string) => {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${flag} must be a positive integer, got ${v}`);
  };
  if (!Number.isInteger(c.steps) || c.steps < 0) throw new Error(`--max_steps must be a non-negative integer, got ${c.steps}`);
  posInt(c.batchSize, '--batch_size');
  posInt(c.seqLen, '--seq_len');
  posInt(c.gradAccum, '--grad_accum_steps');
  validateSchedule({ lr: c.lr, warmupSteps: c.warmupSteps, totalSteps: c.steps, kind: c.schedule, minLrRatio: c.minLrRatio });
}

export function evaluate(model: Trainable, batches: Iterable<Int32Array>, B: number, T: number, step: number): EvalRecord {
  model.setTraining(false);
  let sum = 0;
  let n = 0;
  for (const batch of batches) {
    sum += model.evalLoss(batch, B, T);
    n++;
  }
  model.setTraining(true);
  if (n === 0) throw new Error('evaluation set is empty: it has fewer tokens than one batch of --seq_len + 1');
  const loss = sum / n;
  return { type: 'eval', step, split: 'valid', loss, ppl: Math.exp(loss), tokens: n * B * T };
}

export async function train(model: Trainable, cfg: TrainConfig, io: TrainIo, resume?: { optimizer: AdamW; step: number }): Promise<TrainResult> {
  validateTrainConfig(cfg);
  const { batchSize: B, seqLen: T, gradAccum } = cfg;
  const optimizer = resume?.optimizer ?? new AdamW(model.params, cfg.adamw);
  const schedule = { lr: cfg.lr, warmupSteps: cfg.warmupSteps, totalSteps: cfg.steps, kind: cfg.schedule, minLrRatio: cfg.minLrRatio };
  const tokensPerStep = gradAccum * B * T;
  const start = resume?.step ?? 0;
  let finalLoss: number | null = null;
  let totalMs = 0;
  let s = start;
  model.setTraining(true);
  for (; s < cfg.steps; s++) {
    if (io.shouldStop?.()) break;
    const t0 = performance.now();
    model.params.zeroGrad(); // gradients accumulate over the micro-batches of this step only
    let lossSum = 0;
    for (let a = 0; a < gradAccum; a++) {
      const loss = model.loss(io.nextBatch(), B, T); // forward: mean token loss of one micro-batch
      lossSum += loss.item();
      tape.backward(F.scale(loss, 1 / gradAccum)); // backward of loss / accum, so gradients average
    }
    const gradNorm = globalGradNorm(model.params); // global norm before clipping
    const lr = learningRate(s, schedule); // warmup then decay
    optimizer.step(lr, clipScale(gradNorm, cfg.clipGradNorm)); // AdamW update of the clipped gradients
    const ms = performance.now() - t0;
    totalMs += ms;
    finalLoss = lossSum / gradAccum;
    const rec: StepRecord = { type: 'step', step: s + 1, loss: finalLoss, lr, tokens: (s + 1) * tokensPerStep, ms, grad_norm: gradNorm };
    io.log(rec);
    if (cfg.evalInterval > 0 && io.evalBatches && (s + 1) % cfg.evalInterval === 0) io.log(evaluate(model, io.evalBatches(), B, T, s + 1));
    await io.afterStep?.(s + 1, optimizer); // the caller's turn: checkpoints, telemetry, cancel messages
  }
  return { steps: s, finalLoss, tokens: s * tokensPerStep, ms: totalMs, optimizer };
}
