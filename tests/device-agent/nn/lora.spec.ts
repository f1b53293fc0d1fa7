// LoRA: every part of the fused c_attn adapter (q, k and v rows of B, and A) receives gradients,
// which is exactly what the C++ original got wrong; PEFT init; merge/unmerge; frozen base weights.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { gpt2Logits, gpt2Loss, gpt2Parameters, initGpt2, type Gpt2, type Gpt2Config } from '../../../device-agent/models/gpt2.js';
import { addLora, mergeLora, unmergeLora } from '../../../device-agent/nn/lora.js';
import { tape } from '../../../device-agent/core/autograd.js';
import { Rng } from '../../../device-agent/core/rng.js';
import { tolerances } from '../tolerances.js';

const cfg: Gpt2Config = { vocabSize: 30, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5 };
const B = 2;
const T = 5;

function model(): Gpt2 {
  const params = gpt2Parameters(cfg);
  initGpt2(params, cfg, 7);
  return { config: cfg, params, lora: null };
}
const rng = new Rng(11);
const tokens = Int32Array.from({ length: B * (T + 1) }, () => rng.int(cfg.vocabSize));

beforeAll(() => initCpuWasmBackend());

describe('lora', () => {
  it('q, k and v all learn: one step moves every third of c_attn.lora_B and its A', () => {
    const m = model();
    addLora(m, cfg.nLayer, { r: 2, alpha: 4, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj'] }, 1);
    tape.backward(gpt2Loss(m, tokens, B, T)); // B = 0 at init: A's gradient is zero, B's is not
    const C = cfg.nEmbd;
    for (let l = 0; l < cfg.nLayer; l++) {
      const dB = m.params.tensor(`h.${l}.attn.c_attn.lora_B`).grad!; // (3C, r): rows [0,C) q, [C,2C) k, [2C,3C) v
      for (const [part, lo] of [['q', 0], ['k', C], ['v', 2 * C]] as const) {
        const slice = dB.subarray(lo * 2, (lo + C) * 2);
        expect(slice.some((v) => v !== 0), `layer ${l} ${part} rows of lora_B got no gradient`).toBe(true);
      }
    }
    // after B moves off zero, A receives gradients too
    for (const p of m.params.trainable()) if (p.kind === 'lora_B') p.tensor.data.fill(0.1);
    m.params.zeroGrad();
    tape.backward(gpt2Loss(m, tokens, B, T));
    for (const p of m.params.trainable()) expect(p.tensor.grad!.some((v) => v !== 0), `${p.name} got no gradient`).toBe(true);
  });

  it('freezes the base model: only adapters train, A is PEFT kaiming-uniform, B is zero', () => {
    const m = model();
    const state = addLora(m, cfg.nLayer, { r: 4, alpha: 8, dropout: 0, targets: ['attn.c_attn', 'mlp.c_fc'] }, 3);
    expect(state.modules).toEqual(['h.0.attn.c_attn', 'h.0.mlp.c_fc', 'h.1.attn.c_attn', 'h.1.mlp.c_fc']);
    expect(m.params.trainable().map((p) => p.kind).every((k) => k === 'lora_A' || k === 'lora_B')).toBe(true);
    const A = m.params.tensor('h.0.attn.c_attn.lora_A');
    expect(A.shape).toEqual([4, 8]);
    const bound = 1 / Math.sqrt(8);
    expect(Math.max(...A.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...A.data.map(Math.abs))).toBeGreaterThan(bound / 2);
    expect(m.params.tensor('h.0.attn.c_attn.lora_B').data.every((v) => v === 0)).toBe(true);
    tape.backward(gpt2Loss(m, tokens, B, T));
    expect(m.params.tensor('h.0.attn.c_attn.weight').grad).toBeNull(); // no weight-gradient work for frozen matrices
  });

  it('merge gives the same logits as the adapter path, unmerge restores the weights', () => {
    const m = model();
    addLora(m, cfg.nLayer, { r: 2, alpha: 4, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] }, 5);
    const r = new Rng(9);
    for (const p of m.params.trainable()) for (let i = 0; i < p.tensor.size; i++) p.tensor.data[i] = 0.3 * r.normal();
    const ids = tokens.subarray(0, B * T);
    const before = tape.noGrad(() => gpt2Logits(m, ids, B, T)).data;
    const w0 = m.params.tensor('h.1.mlp.c_proj.weight').data.slice();
    mergeLora(m);
    const merged = tape.noGrad(() => gpt2Logits(m, ids, B, T)).data;
    let maxDiff = 0;
    for (let i = 0; i < before.length; i++) maxDiff = Math.max(maxDiff, Math.abs(before[i] - merged[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(m.params.tensor('h.1.mlp.c_proj.weight').data).not.toEqual(w0);
    unmergeLora(m);
    const w1 = m.params.tensor('h.1.mlp.c_proj.weight').data;
    for (let i = 0; i < w0.length; i++) expect(Math.abs(w1[i] - w0[i])).toBeLessThan(tolerances.mergeRoundTripAbs);
  });

  it('rejects bad configurations with the flag to fix', () => {
    expect(() => addLora(model(), 2, { r: 0, alpha: 1, dropout: 0, targets: ['attn.c_attn'] }, 1)).toThrow(/--rank/);
    expect(() => addLora(model(), 2, { r: 2, alpha: 1, dropout: 1, targets: ['attn.c_attn'] }, 1)).toThrow(/--lora_dropout/);
    expect(() => addLora(model(), 2, { r: 2, alpha: 1, dropout: 0, targets: ['attn.q_proj' as never] }, 1)).toThrow(/unknown LoRA target "attn.q_proj"/);
  });

  it('dropout is seeded and only active while training', () => {
    const m = model();
    const state = addLora(m, cfg.nLayer, { r: 2, alpha: 4, dropout: 0.5, targets: ['attn.c_attn'] }, 1);
    for (const p of m.params.trainable()) p.tensor.data.fill(0.2);
    const ids = tokens.subarray(0, B * T);
    const a = tape.noGrad(() => gpt2Logits(m, ids, B, T)).data;
    const b = tape.noGrad(() => gpt2Logits(m, ids, B, T)).data;
    expect(a).not.toEqual(b); // a fresh mask each call
    state.training = false;
    const c = tape.noGrad(() => gpt2Logits(m, ids, B, T)).data;
    const d = tape.noGrad(() => gpt2Logits(m, ids, B, T)).data;
    expect(c).toEqual(d);
  });
});
