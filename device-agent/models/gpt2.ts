// GPT-2 (Hugging Face semantics): config -> parameter table -> forward -> HF weight-name map.
// Token + position embeddings, pre-LN blocks, causal attention, GELU (tanh), tied LM head.
// Weights use HF's Conv1D layout (in, out): y = x @ W + b, so HF checkpoints load without transposes.
// Follows llm.c train_gpt2.c and nanoGPT model.py; LoRA hooks in through nn/lora.ts.
import { Tensor } from '../core/tensor.js';
import { ParameterTable, type ParamSink } from '../core/parameter-table.js';
import { Rng } from '../core/rng.js';
import { tape } from '../core/autograd.js';
import * as F from '../nn/functional.js';
import { linear, linearNeedsInputOnlyForValue, type LoraState } from '../nn/lora.js';

// ----- config -----

export interface Gpt2Config {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  layerNormEpsilon: number;
}

export const gpt2Presets: Record<'small' | 'medium' | 'large', Gpt2Config> = {
  small: { vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12, layerNormEpsilon: 1e-5 },
  medium: { vocabSize: 50257, nPositions: 1024, nEmbd: 1024, nLayer: 24, nHead: 16, layerNormEpsilon: 1e-5 },
  large: { vocabSize: 50257, nPositions: 1024, nEmbd: 1280, nLayer: 36, nHead: 20, layerNormEpsilon: 1e-5 },
};

/** Read a Hugging Face GPT-2 config.json object (n_ctx overrides n_positions, as the original does). */
export function gpt2ConfigFromHf(json: Record<string, unknown>, source = 'config.json'): Gpt2Config {
  const num = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${source}: "${key}" must be a positive number, got ${JSON.stringify(json[key])}`);
    return v;
  };
  const cfg: Gpt2Config = {
    vocabSize: num('vocab_size'),
    nPositions: num('n_ctx', typeof json.n_positions === 'number' ? json.n_positions : undefined),
    nEmbd: num('n_embd'),
    nLayer: num('n_layer'),
    nHead: num('n_head'),
    layerNormEpsilon: num('layer_norm_epsilon', 1e-5),
  };
  if (cfg.nEmbd % cfg.nHead !== 0) throw new Error(`${source}: n_embd ${cfg.nEmbd} is not divisible by n_head ${cfg.nHead}`);
  return cfg;
}

export function gpt2ConfigToHf(cfg: Gpt2Config): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: cfg.vocabSize, n_positions: cfg.nPositions, n_ctx: cfg.nPositions,
    n_embd: cfg.nEmbd, n_layer: cfg.nLayer, n_head: cfg.nHead, layer_norm_epsilon: cfg.layerNormEpsilon, activation_function: 'gelu_new',
    resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, tie_word_embeddings: true, bos_token_id: 50256, eos_token_id: 50256,
  };
}

// ----- parameter table -----

export function gpt2Parameters(cfg: Gpt2Config, lazy = false): ParameterTable {
  const C = cfg.nEmbd;
  const t = new ParameterTable(lazy);
  t.add('wte.weight', [cfg.vocabSize, C], 'embedding');
  t.add('wpe.weight', [cfg.nPositions, C], 'embedding');
  for (let i = 0; i < cfg.nLayer; i++) {
    const h = `h.${i}`;
    t.add(`${h}.ln_1.weight`, [C], 'norm');
    t.add(`${h}.ln_1.bias`, [C], 'norm');
    t.add(`${h}.attn.c_attn.weight`, [C, 3 * C], 'matrix');
    t.add(`${h}.attn.c_attn.bias`, [3 * C], 'bias');
    t.add(`${h}.attn.c_proj.weight`, [C, C], 'matrix');
    t.add(`${h}.attn.c_proj.bias`, [C], 'bias');
    t.add(`${h}.ln_2.weight`, [C], 'norm');
    t.add(`${h}.ln_2.bias`, [C], 'norm');
    t.add(`${h}.mlp.c_fc.weight`, [C, 4 * C], 'matrix');
    t.add(`${h}.mlp.c_fc.bias`, [4 * C], 'bias');
    t.add(`${h}.mlp.c_proj.weight`, [4 * C, C], 'matrix');
    t.add(`${h}.mlp.c_proj.bias`, [C], 'bias');
  }
  t.add('ln_f.weight', [C], 'norm');
  t.add('ln_f.bias', [C], 'norm');
  return t;
}

export type { ParamSink } from '../core/parameter-table.js';

/**
 * Hugging Face's GPT-2 init: N(0, 0.02), residual projections N(0, 0.02/sqrt(2*n_layer)), norms 1,
 * biases 0. With a sink (sharding), each parameter is produced in pieces and handed over at once;
 * the values are the same either way (one sequential random stream).
 */
export function initGpt2(params: ParameterTable, cfg: Gpt2Config, seed: number, sink?: ParamSink): void {
  const rng = new Rng(seed);
  for (const p of params.entries) {
    if (p.kind === 'lora_A' || p.kind === 'lora_B') continue;
    let fill: (out: Float32Array) => void;
    if (p.kind === 'norm') fill = (out) => out.fill(p.name.endsWith('.weight') ? 1 : 0);
    else if (p.kind === 'bias') fill = (out) => out.fill(0);
    else {
      const std = p.name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * cfg.nLayer) : 0.02;
      fill = (out) => rng.fillNormal(out, std);
    }
    if (sink) sink.adoptFrom(p, fill);
    else fill(p.tensor.data);
  }
}

// ----- forward -----

export interface Gpt2 {
  config: Gpt2Config;
  params: ParameterTable;
  lora: LoraState | null;
  /** Recompute each block's activations in backward instead of keeping them (memory for compute). */
  recompute?: boolean;
  /**
   * Told at each block which parameters come next and which are in use now, in forward and in
   * backward (a parameter sharder reads the next block ahead while this one computes).
   */
  prefetch?: (next: Tensor[], now: Tensor[], backward: boolean) => void;
  /** With recompute: where a training step keeps activations out of memory until backward (a parameter sharder's store). */
  activations?: ActivationStore;
}

/** Activations kept outside memory by a recomputing training step; keys are rewritten every step. */
export interface ActivationStore {
  /**
   * A block's input will not be read again until the block is recomputed in backward: move it out
   * (reading t.data brings it back), so block checkpoints do not stay in memory (18 MB for GPT-2
   * small at B4 T128).
   */
  offload(key: string, t: Tensor): void;
  /**
   * The block outputs that cost the most to recompute (c_attn, attn.c_proj and c_fc, ~97% of a
   * replay's FLOPs): the training forward saves them, the replay in backward loads them instead of
   * running those matmuls (page-cache I/O instead of compute).
   */
  save(key: string, values: Float32Array): void;
  load(key: string, count: number): Float32Array;
  /**
   * The loaded values of finished replays are no longer read: all of them, or all but those whose
   * keys start with `keep` (the block whose replay is starting: its input was loaded just before).
   */
  release?(keep?: string): void;
}

/** A block run: plain, the checkpointed forward of a training step (saves), or its replay in backward. */
type BlockRun = 'plain' | 'save' | 'replay';

const blockCache = new WeakMap<ParameterTable, Tensor[][]>();

/** The parameters block i uses (-1: the embeddings, nLayer: the final norm and the tied LM head). */
function blockTensors(model: Gpt2, i: number): Tensor[] {
  const p = model.params;
  if (i < 0) return [p.tensor('wte.weight'), p.tensor('wpe.weight')];
  if (i >= model.config.nLayer) return [p.tensor('ln_f.weight'), p.tensor('ln_f.bias'), p.tensor('wte.weight')];
  let blocks = blockCache.get(p);
  if (!blocks) blockCache.set(p, (blocks = []));
  return (blocks[i] ??= p.entries.filter((e) => e.name.startsWith(`h.${i}.`)).map((e) => e.tensor));
}

/**
 * One pre-LN transformer block: x (B, T, C) -> (B, T, C). replay: this is an activation-checkpoint
 * recomputation in backward, whose output only carries gradients, so the last linear records its
 * backward without computing its values (a third of the block's forward FLOPs), and, when that
 * linear is frozen, the GELU before it does not compute its output either (6 MB at B4 T128).
 */
function gpt2Block(model: Gpt2, i: number, x: Tensor, B: number, T: number, run: BlockRun = 'plain'): Tensor {
  const { config: cfg, params: p } = model;
  const h = `h.${i}`;
  const replay = run === 'replay';
  const acts = run === 'plain' ? null : model.activations ?? null;
  const rows = B * T;
  // a linear whose output the training forward saved (run 'save') and its replay loads (run 'replay')
  const kept = (name: string, width: number, input: Tensor) => {
    const key = `${h}.${name}`;
    const out = linear(model, `${h}.${name}`, input, false, replay && acts ? acts.load(key, rows * width) : undefined);
    if (run === 'save' && acts) acts.save(key, out.data);
    return out;
  };
  const ln1 = F.layerNorm(x, p.tensor(`${h}.ln_1.weight`), p.tensor(`${h}.ln_1.bias`), cfg.layerNormEpsilon); // (B, T, C)
  const qkv = kept('attn.c_attn', 3 * cfg.nEmbd, ln1); // qkv: (B, T, 3C)
  const att = F.attention(qkv, B, T, cfg.nHead); // (B, T, C)
  x = F.add(x, kept('attn.c_proj', cfg.nEmbd, att)); // residual: (B, T, C)
  const ln2 = F.layerNorm(x, p.tensor(`${h}.ln_2.weight`), p.tensor(`${h}.ln_2.bias`), cfg.layerNormEpsilon);
  // replaying, c_proj's output is not computed; if c_proj is frozen (LoRA elsewhere), neither is its input
  const fc = F.gelu(kept('mlp.c_fc', 4 * cfg.nEmbd, ln2), { valueUnused: replay && linearNeedsInputOnlyForValue(model, `${h}.mlp.c_proj`) }); // fc: (B, T, 4C)
  return F.add(x, linear(model, `${h}.mlp.c_proj`, fc, replay)); // (B, T, C)
}

/** Final hidden states (B, T, C) for token ids (B, T). With model.recompute, blocks are checkpointed. */
export function gpt2Hidden(model: Gpt2, ids: Int32Array, B: number, T: number): Tensor {
  const { config: cfg, params: p } = model;
  const prefetch = model.prefetch;
  prefetch?.(blockTensors(model, 0), blockTensors(model, -1), false);
  let x = F.embedding(ids, p.tensor('wte.weight'), p.tensor('wpe.weight'), B, T); // x: (B, T, C)
  const rng = model.lora?.dropoutRng;
  const state = rng && { save: () => rng.getState(), restore: (s: unknown) => rng.setState(s as number) };
  let backward = false; // a checkpointed block called after the forward loop is its recomputation in backward
  // the checkpointed forward of a step that will be back-propagated saves what its replay will load
  const saving = model.recompute === true && tape.recording;
  const block = (i: number, xi: Tensor) => {
    // backward: the replay of block i + 1 and its backward are done (checkpoints run in reverse order)
    model.activations?.release?.(backward ? `h.${i}.` : undefined);
    prefetch?.(blockTensors(model, backward ? i - 1 : i + 1), blockTensors(model, i), backward);
    return gpt2Block(model, i, xi, B, T, backward ? 'replay' : saving ? 'save' : 'plain');
  };
  for (let i = 0; i < cfg.nLayer; i++) {
    if (model.recompute) {
      const input = x;
      x = tape.checkpoint([x], ([xi]) => block(i, xi), state);
      if (saving) model.activations?.offload(`h.${i}.input`, input);
    }
    else {
      x = block(i, x);
      // runs in backward just before this block's own backward entries
      if (prefetch) tape.record('prefetch', [x], () => prefetch(blockTensors(model, i - 1), blockTensors(model, i), true));
    }
  }
  backward = true;
  return F.layerNorm(x, p.tensor('ln_f.weight'), p.tensor('ln_f.bias'), cfg.layerNormEpsilon);
}

/** Logits (B, T, V) through the tied LM head: x @ wte^T. */
export function gpt2Logits(model: Gpt2, ids: Int32Array, B: number, T: number): Tensor {
  return F.matmul(gpt2Hidden(model, ids, B, T), model.params.tensor('wte.weight'), { transW: true });
}

/**
 * Mean next-token cross-entropy for a batch of windows tokens (B, T+1): inputs are the first T
 * tokens of each row, targets the last T (shifted by one).
 */
export function gpt2Loss(model: Gpt2, tokens: Int32Array, B: number, T: number): Tensor {
  if (tokens.length !== B * (T + 1)) throw new Error(`gpt2Loss: expected ${B} x ${T + 1} tokens, got ${tokens.length}`);
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    ids.set(tokens.subarray(b * (T + 1), b * (T + 1) + T), b * T);
    targets.set(tokens.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
  }
  return F.lmHeadCrossEntropy(gpt2Hidden(model, ids, B, T), model.params.tensor('wte.weight'), targets); // chunked: no (B*T, V) logits
}

/** Loss without recording a tape (evaluation). */
export function gpt2EvalLoss(model: Gpt2, tokens: Int32Array, B: number, T: number): number {
  return tape.noGrad(() => gpt2Loss(model, tokens, B, T).item());
}

// ----- Hugging Face weight-name map -----

/** HF tensor name -> table name, or null for tensors GPT-2 does not use (tied lm_head, mask buffers). */
export function gpt2NameFromHf(hfName: string): string | null {
  const name = hfName.startsWith('transformer.') ? hfName.slice('transformer.'.length) : hfName;
  if (name === 'lm_head.weight') return null; // tied to wte
  if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(name)) return null; // causal-mask buffers in older checkpoints
  return name;
}

/** Table name -> the HF name GPT2LMHeadModel.save_pretrained writes. */
export function gpt2NameToHf(name: string): string {
  return `transformer.${name}`;
}

// ----- training adapter -----

/** The train loop's view of a GPT-2 model. */
export function gpt2Trainable(model: Gpt2): import('../train.js').Trainable {
  return {
    params: model.params,
    loss: (tokens, B, T) => gpt2Loss(model, tokens, B, T),
    evalLoss: (tokens, B, T) => gpt2EvalLoss(model, tokens, B, T),
    setTraining: (on) => {
      if (model.lora) model.lora.training = on;
    },
  };
}
