// The tiny LoRA model and seeded AdamW training loop that the sharding specs (parameter-sharder,
// prefetch) compare sharded and unsharded runs with: same config, same batches, same optimizer.
import { gpt2Loss, gpt2Parameters, initGpt2, type Gpt2, type Gpt2Config } from '../../../device-agent/models/gpt2.js';
import { addLora, type LoraTarget } from '../../../device-agent/nn/lora.js';
import { tape } from '../../../device-agent/core/autograd.js';
import { Rng } from '../../../device-agent/core/rng.js';
import { AdamW } from '../../../device-agent/optim/adamw.js';
import type { ShardingConfig } from '../../../device-agent/memory/parameter-sharder.js';

export const cfg: Gpt2Config = { vocabSize: 96, nPositions: 16, nEmbd: 16, nLayer: 3, nHead: 2, layerNormEpsilon: 1e-5 };
export const B = 2;
export const T = 8;

/** Frozen seeded base weights with LoRA (r 4) on all four targets, or on `targets`. */
export function model(opts: { recompute?: boolean; dropout?: number; targets?: LoraTarget[] } = {}): Gpt2 {
  const params = gpt2Parameters(cfg);
  initGpt2(params, cfg, 5);
  params.setTrainable(() => false);
  const m: Gpt2 = { config: cfg, params, lora: null, recompute: opts.recompute };
  addLora(m, cfg.nLayer, { r: 4, alpha: 8, dropout: opts.dropout ?? 0, targets: opts.targets ?? ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] }, 9);
  return m;
}

/** Train `steps` AdamW steps on seeded batches; return the losses and the final LoRA values. */
export function trainRun(m: Gpt2, steps: number): { losses: number[]; lora: Float32Array[] } {
  const rng = new Rng(77);
  const opt = new AdamW(m.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    m.params.zeroGrad();
    const tokens = Int32Array.from({ length: B * (T + 1) }, () => rng.int(cfg.vocabSize));
    const loss = gpt2Loss(m, tokens, B, T);
    losses.push(loss.item());
    tape.backward(loss);
    opt.step(1e-2);
  }
  return { losses, lora: m.params.trainable().map((p) => p.tensor.data.slice()) };
}

// evicted memory reads NaN here, so a view used after its eviction changes the losses
export const shardCfg = (budgetBytes: number, extra: Partial<ShardingConfig> = {}): ShardingConfig => ({ budgetBytes, fp16: false, rowChunk: 32, chunkAboveBytes: 4096, poisonEvicted: true, ...extra });
