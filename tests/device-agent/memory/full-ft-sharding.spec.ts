// Sharding with full fine-tuning on the tiny GPT-2 of the test fixture: parameters, gradients and
// AdamW moments live on the store under a budget that forces evictions (dirty ones written back),
// training through the real train loop (accumulation, clipping, AdamW) is bit-identical to the
// unsharded run with fp32 storage, resident bytes never exceed the budget, a checkpoint written and
// read tensor by tensor resumes exactly, and a too-small budget is refused with the minimum.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { gpt2Parameters, gpt2Trainable, initGpt2, type Gpt2 } from '../../../device-agent/models/gpt2.js';
import { tinyGpt2Config as cfg } from '../../../device-agent/fixtures/tiny-gpt2.js';
import { Rng } from '../../../device-agent/core/rng.js';
import { AdamW } from '../../../device-agent/optim/adamw.js';
import { defaultTrainConfig, train, type TrainConfig } from '../../../device-agent/train.js';
import { ParameterSharder, type ShardingConfig } from '../../../device-agent/memory/parameter-sharder.js';
import { FsShardStore, MemoryShardStore, type ShardStore } from '../../../device-agent/memory/shard-store.js';
import { loadCheckpointFrom, saveCheckpoint, writeCheckpoint } from '../../../device-agent/io/checkpoint.js';
import { fileSource } from '../../../device-agent/io/byte-source.js';

const B = 2;
const T = 16;
const trainCfg = (steps: number): TrainConfig => ({
  ...defaultTrainConfig, steps, batchSize: B, seqLen: T, gradAccum: 2, lr: 3e-3, warmupSteps: 1, clipGradNorm: 0.5, // small: clipping really scales
  adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
});
const batches = (() => {
  const rng = new Rng(3);
  return Array.from({ length: 16 }, () => Int32Array.from({ length: B * (T + 1) }, () => rng.int(cfg.vocabSize)));
})();
const shardCfg = (budgetBytes: number, extra: Partial<ShardingConfig> = {}): ShardingConfig => ({
  budgetBytes, fp16: false, rowChunk: 128, chunkAboveBytes: 16 * 1024, trains: () => true, momentChunk: 4096, poisonEvicted: true, ...extra,
});
/** Two weight units + two gradients + one moment chunk pair of the tiny model (wte is 512 x 64). */
const MINIMUM = (512 * 64 + 64 * 256) * 4 * 2 + 2 * 4096 * 4;

function unsharded(): Gpt2 {
  const params = gpt2Parameters(cfg);
  initGpt2(params, cfg, 11);
  params.setTrainable(() => true);
  return { config: cfg, params, lora: null, recompute: true };
}

/** The same model built lazily, every tensor stored as it is initialised, trainable. */
function sharded(store: ShardStore, config: ShardingConfig): { model: Gpt2; sharder: ParameterSharder } {
  const params = gpt2Parameters(cfg, true);
  const sharder = new ParameterSharder(store, config);
  sharder.check(params.entries);
  initGpt2(params, cfg, 11, sharder);
  params.setTrainable(() => true);
  const model: Gpt2 = { config: cfg, params, lora: null, recompute: true, prefetch: (n, c, b) => sharder.prefetch(n, c, b) };
  return { model, sharder };
}

async function run(model: Gpt2, steps: number, from = 0, resume?: { optimizer: AdamW; step: number }) {
  const losses: number[] = [];
  let i = from * 2;
  const result = await train(gpt2Trainable(model), trainCfg(steps), { nextBatch: () => batches[i++], log: (r) => r.type === 'step' && losses.push(r.loss) }, resume);
  return { losses, optimizer: result.optimizer };
}

const values = (m: Gpt2) => m.params.entries.map((p) => p.tensor.data.slice());

let dir: string;
beforeAll(async () => {
  await initCpuWasmBackend();
  dir = mkdtempSync(path.join(tmpdir(), 'fleettune-fullft-'));
});

describe('sharded full fine-tuning', () => {
  it('fp32 storage: bit-identical to unsharded, never over budget, changed units written back', async () => {
    const ref = unsharded();
    const expected = await run(ref, 4);
    for (const [store, budget] of [
      [await FsShardStore.open(dir), MINIMUM], // the least that works: constant eviction, with read-ahead
      [await FsShardStore.open(dir), 3 * MINIMUM],
      [new MemoryShardStore(), MINIMUM + 4096],
    ] as const) {
      const { model, sharder } = sharded(store, shardCfg(budget));
      const got = await run(model, 4);
      expect(got.losses).toEqual(expected.losses);
      expect(values(model)).toEqual(values(ref));
      const s = sharder.getStats();
      expect(s.peakResidentBytes).toBeLessThanOrEqual(budget);
      expect(s.evictions).toBeGreaterThan(0);
      const initialWrites = ParameterSharder.plan(model.params.entries, shardCfg(budget)).filter((k) => !k.includes('@')).length;
      expect(s.writes).toBeGreaterThan(initialWrites); // gradients, moments and updated weights went back to the store
      sharder.close();
    }
  });

  it('keeps trainable weights fp32 even with fp16 storage on (only frozen weights are stored fp16)', async () => {
    const expected = await run(unsharded(), 2);
    const { model, sharder } = sharded(new MemoryShardStore(), shardCfg(MINIMUM, { fp16: true }));
    expect((await run(model, 2)).losses).toEqual(expected.losses);
    sharder.close();
  });

  it('refuses a budget below the minimum, naming it with gradients and moments', () => {
    const params = gpt2Parameters(cfg, true);
    expect(() => new ParameterSharder(new MemoryShardStore(), shardCfg(MINIMUM - 1)).check(params.entries)).toThrow(
      /--shard_budget_mb 0\.41 is too small: one step needs at least 0\.5 MB resident \(the two largest weight blocks, 0\.1 \+ 0\.1 MB; their gradients, 0\.1 \+ 0\.1 MB; one AdamW moment chunk pair, 0\.0 MB\)/,
    );
    expect(() => new ParameterSharder(new MemoryShardStore(), shardCfg(MINIMUM)).check(params.entries)).not.toThrow();
  });

  it('a parameter sharded as frozen refuses to train, saying what to do', () => {
    const params = gpt2Parameters(cfg, true);
    const sharder = new ParameterSharder(new MemoryShardStore(), shardCfg(1 << 20, { trains: () => false }));
    initGpt2(params, cfg, 11, sharder);
    const w = params.tensor('h.0.mlp.c_fc.weight');
    w.requiresGrad = true;
    expect(() => w.ensureGrad()).toThrow(/sharded as a frozen weight and cannot train; make it trainable before sharding/);
    expect(() => params.tensor('wte.weight').data).toThrow(/row chunks; read it through its rows/);
  });

  it('a checkpoint written and read tensor by tensor resumes a sharded run exactly', async () => {
    const expected = await run(unsharded(), 4);
    const first = sharded(await FsShardStore.open(dir), shardCfg(MINIMUM));
    const half = await run(first.model, 2);
    const file = path.join(dir, 'ckpt.safetensors');
    writeFileSync(file, new Uint8Array(0));
    const info = { step: 2, fingerprint: 'tiny-full' };
    writeCheckpoint(first.model.params, half.optimizer, info, (bytes) => appendFileSync(file, bytes));
    expect(first.sharder.getStats().peakResidentBytes).toBeLessThanOrEqual(MINIMUM);
    // the streamed file is the same as the in-memory one
    expect(Buffer.compare(Buffer.from(saveCheckpoint(first.model.params, half.optimizer, info)), (await import('node:fs')).readFileSync(file))).toBe(0);
    first.sharder.close();

    const second = sharded(await FsShardStore.open(dir), shardCfg(MINIMUM));
    const optimizer = new AdamW(second.model.params, trainCfg(4).adamw);
    const src = await fileSource(file);
    const step = await loadCheckpointFrom(second.model.params, optimizer, src, file, info.fingerprint);
    await src.close();
    expect(step).toBe(2);
    const rest = await run(second.model, 4, 2, { optimizer, step });
    expect([...half.losses, ...rest.losses]).toEqual(expected.losses);
    expect(second.sharder.getStats().peakResidentBytes).toBeLessThanOrEqual(MINIMUM);
    second.sharder.close();
  });
});
