// Turns a TrainSpec (the protocol's hyper-parameter block, also built from CLI flags) plus a model
// and datasets into what the train loop needs: LoRA or full-FT parameters, the TrainConfig, the
// seeded batch stream and the evaluation batches. Shared by the CLI and the agent runtime, so both
// train identically. Not I/O: callers load files (fs, or fetch from the hub).
import { Rng } from './core/rng.js';
import type { ShardingSpec, TrainSpec } from './protocol.js';
import { ParameterSharder, type ShardingConfig } from './memory/parameter-sharder.js';
import { MemoryShardStore, type ShardStore } from './memory/shard-store.js';
import type { Param } from './core/parameter-table.js';
import { LM_HEAD_CHUNK } from './nn/functional.js';
import { gpt2NameFromHf, gpt2Parameters, gpt2Trainable, initGpt2, type Gpt2, type Gpt2Config } from './models/gpt2.js';
import { loadWeightsFrom } from './io/weights.js';
import { bytesSource, type ByteSource } from './io/byte-source.js';
import { addLora } from './nn/lora.js';
import type { TextDataset } from './text/text-dataset.js';
import { defaultTrainConfig, validateTrainConfig, type Trainable, type TrainConfig } from './train.js';

/**
 * Where a model's weights come from: seeded random init, or a Hugging Face safetensors file, as
 * bytes or as a random-access source (a file read tensor by tensor, never whole).
 */
export type Gpt2Weights =
  | { kind: 'random'; seed: number }
  | { kind: 'safetensors'; bytes: Uint8Array; source: string }
  | { kind: 'safetensors-source'; src: ByteSource; source: string };

/**
 * Build a frozen GPT-2 (the CLI and the agent runtime share this). With `shardWith`, the table is
 * lazy and each tensor goes to the sharder right after it is initialised or loaded, so the whole
 * model never sits in memory at once; a file source is then read one tensor at a time into it.
 */
export async function buildGpt2(config: Gpt2Config, weights: Gpt2Weights, shardWith?: (params: Param[]) => Promise<ParameterSharder>): Promise<{ model: Gpt2; sharder: ParameterSharder | null }> {
  const params = gpt2Parameters(config, shardWith !== undefined);
  const sharder = shardWith ? await shardWith(params.entries) : null;
  if (weights.kind === 'random') initGpt2(params, config, weights.seed, sharder ?? undefined);
  else {
    const src = weights.kind === 'safetensors' ? bytesSource(weights.bytes, weights.source) : weights.src;
    await loadWeightsFrom(params, src, weights.source, gpt2NameFromHf, { sink: sharder ?? undefined });
  }
  params.setTrainable(() => false);
  const model: Gpt2 = { config, params, lora: null };
  if (sharder) attachSharder(model, sharder);
  return { model, sharder };
}

/** The model tells the sharder which block comes next (read-ahead), and keeps its activations in the sharder's store where it can. */
function attachSharder(model: Gpt2, sharder: ParameterSharder): void {
  model.prefetch = (next, now, backward) => sharder.prefetch(next, now, backward);
  if (!sharder.offloadsActivations) return;
  model.activations = {
    offload: (key, t) => sharder.offloadActivation(key, t),
    save: (key, v) => sharder.saveActivation(key, v),
    load: (key, n) => sharder.loadActivation(key, n),
    release: (keep) => sharder.releaseActivations(keep),
  };
}

export interface PreparedRun {
  trainable: Trainable;
  /** The sharder when sharding is on (its stats go into memory messages; close() it at the end). */
  sharder: ParameterSharder | null;
  cfg: TrainConfig;
  nextBatch: () => Int32Array;
  evalBatches?: () => Int32Array[];
  trainableParams: number;
  totalParams: number;
}

export function trainConfigFromSpec(spec: TrainSpec): TrainConfig {
  const cfg: TrainConfig = {
    ...defaultTrainConfig, steps: spec.steps, batchSize: spec.batchSize, seqLen: spec.seqLen, gradAccum: spec.gradAccum, lr: spec.lr,
    warmupSteps: spec.warmupSteps, schedule: spec.schedule, minLrRatio: spec.minLrRatio, clipGradNorm: spec.clipGradNorm,
    adamw: { ...defaultTrainConfig.adamw, weightDecay: spec.weightDecay }, evalInterval: spec.evalInterval,
  };
  validateTrainConfig(cfg);
  return cfg;
}

/** Opens the shard store for a run: the caller picks the kind its runtime supports. */
export type OpenShardStore = (spec: ShardingSpec, keys: string[]) => Promise<ShardStore>;

/** The sharding settings of a job: with full fine-tuning every base weight trains. */
export function shardingConfig(spec: Pick<TrainSpec, 'mode' | 'sharding'>): ShardingConfig {
  if (!spec.sharding?.enabled) throw new Error('openSharder: the job has sharding off');
  const full = spec.mode === 'full';
  // fp16 storage applies to frozen weights only: a trainable weight (and its gradient and moments)
  // would be rounded at every write-back, so with full fine-tuning nothing is stored fp16
  return { budgetBytes: spec.sharding.budgetMb * 2 ** 20, fp16: spec.sharding.fp16, rowChunk: LM_HEAD_CHUNK, chunkAboveBytes: 16 * 2 ** 20, trains: () => full };
}

/** The sharder a job asks for (check its budget against `params` first); its store comes from the runtime. */
export async function openSharder(spec: Pick<TrainSpec, 'mode' | 'sharding'>, params: Param[], openStore?: OpenShardStore): Promise<ParameterSharder> {
  const config = shardingConfig(spec);
  if (!openStore) throw new Error('this runtime has no shard store; turn sharding off');
  const probe = new ParameterSharder(new MemoryShardStore(), config);
  probe.check(params); // refuse a too-small budget before creating any files
  return new ParameterSharder(await openStore(spec.sharding!, ParameterSharder.plan(params, config)), config);
}

export async function prepareRun(model: Gpt2, spec: TrainSpec, trainSet: TextDataset, valid: TextDataset | null, opts: { openStore?: OpenShardStore; sharder?: ParameterSharder | null } = {}): Promise<PreparedRun> {
  if (spec.seqLen > model.config.nPositions) throw new Error(`--seq_len ${spec.seqLen} exceeds the model's ${model.config.nPositions} positions`);
  if (opts.sharder && spec.mode === 'full' && model.params.entries.some((p) => !opts.sharder!.trains(p.tensor))) {
    throw new Error('the model was sharded for LoRA (its weights stored as frozen); build it with the full fine-tuning job\'s sharding settings (openSharder with mode "full")');
  }
  if (spec.mode === 'full') model.params.setTrainable(() => true);
  else {
    if (!spec.lora) throw new Error('LoRA mode needs a lora block (r, alpha, dropout, targets)');
    addLora(model, model.config.nLayer, spec.lora, spec.seed);
  }
  const cfg = trainConfigFromSpec(spec);
  model.recompute = spec.recompute ?? spec.sharding?.enabled ?? false;
  let sharder = opts.sharder ?? null;
  if (spec.sharding?.enabled && !sharder) {
    // the model was built whole: move its weights out now (a lazily built one was sharded while initialised);
    // LoRA adapters stay resident, base weights go (trainable ones too, with full fine-tuning)
    const base = model.params.entries.filter((p) => p.kind !== 'lora_A' && p.kind !== 'lora_B');
    sharder = await openSharder(spec, base, opts.openStore);
    sharder.shard(base);
    attachSharder(model, sharder);
  }
  const batches = trainSet.batches(spec.batchSize, new Rng(spec.seed));
  return {
    trainable: gpt2Trainable(model),
    sharder,
    cfg,
    nextBatch: () => batches.next().value as Int32Array,
    evalBatches: valid ? () => [...valid.batches(spec.batchSize, 0, { shuffle: false, epochs: 1 })].slice(0, spec.evalBatches) : undefined,
    trainableParams: model.params.numel((p) => p.tensor.requiresGrad),
    totalParams: model.params.numel(),
  };
}

/**
 * The exact token batches a run will consume, (steps * gradAccum, B, seqLen + 1) int32 little-endian,
 * drawn from a second stream with the same seed; the PyTorch reference trains on this file.
 */
export function exportBatches(trainSet: TextDataset, spec: TrainSpec): Uint8Array {
  const all = trainSet.batches(spec.batchSize, new Rng(spec.seed));
  const size = spec.batchSize * (spec.seqLen + 1);
  const out = new Int32Array(spec.steps * spec.gradAccum * size);
  for (let i = 0; i < spec.steps * spec.gradAccum; i++) out.set(all.next().value as Int32Array, i * size);
  return new Uint8Array(out.buffer);
}
