// GPT-2: Hugging Face weight loading (with/without the transformer. prefix, mask buffers, tied
// lm_head), the bad-file errors, save/load round trip, and full fine-tuning reaching every parameter.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { gpt2ConfigFromHf, gpt2Loss, gpt2NameFromHf, gpt2NameToHf, gpt2Parameters, initGpt2, type Gpt2, type Gpt2Config } from '../../../device-agent/models/gpt2.js';
import { loadWeights, saveWeights } from '../../../device-agent/io/weights.js';
import { serializeSafetensors } from '../../../device-agent/io/safetensors.js';
import { tape } from '../../../device-agent/core/autograd.js';
import { Rng } from '../../../device-agent/core/rng.js';

const cfg: Gpt2Config = { vocabSize: 40, nPositions: 16, nEmbd: 8, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5 };

function model(seed = 1): Gpt2 {
  const params = gpt2Parameters(cfg);
  initGpt2(params, cfg, seed);
  return { config: cfg, params, lora: null };
}

function tokens(B: number, T: number, seed = 3): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: B * (T + 1) }, () => rng.int(cfg.vocabSize));
}

beforeAll(() => initCpuWasmBackend());

describe('gpt2 weights', () => {
  it('loads HF names with and without the transformer. prefix, ignoring mask buffers and lm_head', () => {
    const src = model(1);
    const bare = src.params.entries.map((p) => ({ name: p.name, dtype: 'F32' as const, shape: [...p.tensor.shape], data: p.tensor.data }));
    const extras = [
      { name: 'h.0.attn.bias', dtype: 'F32' as const, shape: [1, 1, 16, 16], data: new Float32Array(256) },
      { name: 'lm_head.weight', dtype: 'F32' as const, shape: [40, 8], data: new Float32Array(320) },
    ];
    for (const bytes of [serializeSafetensors([...bare, ...extras]), saveWeights(src.params, gpt2NameToHf)]) {
      const dst = model(2);
      const report = loadWeights(dst.params, bytes, 'model.safetensors', gpt2NameFromHf);
      expect(report.loaded).toBe(src.params.entries.length);
      expect(report.unused).toEqual([]);
      for (const p of src.params.entries) expect(dst.params.tensor(p.name).data).toEqual(p.tensor.data);
    }
  });

  it('names the file and tensor for a missing tensor, a shape mismatch and a truncated file', () => {
    const src = model(1);
    const without = serializeSafetensors(src.params.entries.filter((p) => p.name !== 'h.1.mlp.c_fc.bias').map((p) => ({ name: p.name, dtype: 'F32' as const, shape: [...p.tensor.shape], data: p.tensor.data })));
    expect(() => loadWeights(model().params, without, 'x/model.safetensors', gpt2NameFromHf)).toThrow(/x\/model\.safetensors: tensor "h\.1\.mlp\.c_fc\.bias".*missing/);
    const bigger = gpt2Parameters({ ...cfg, nEmbd: 12, nHead: 3 });
    expect(() => loadWeights(bigger, saveWeights(src.params, gpt2NameToHf), 'm.safetensors', gpt2NameFromHf)).toThrow(/m\.safetensors: tensor "transformer\.wte\.weight" has shape \[40, 8\] but the model config needs \[40, 12\]/);
    const full = saveWeights(src.params, gpt2NameToHf);
    expect(() => loadWeights(model().params, full.subarray(0, full.length - 100), 'cut.safetensors', gpt2NameFromHf)).toThrow(/cut\.safetensors/);
  });

  it('reads config.json fields, with n_ctx overriding n_positions, and rejects bad ones', () => {
    expect(gpt2ConfigFromHf({ vocab_size: 50257, n_positions: 1024, n_ctx: 512, n_embd: 768, n_layer: 12, n_head: 12 })).toMatchObject({ nPositions: 512, layerNormEpsilon: 1e-5 });
    expect(() => gpt2ConfigFromHf({ vocab_size: 10, n_positions: 8, n_embd: 10, n_layer: 1, n_head: 3 }, 'c.json')).toThrow(/c\.json: n_embd 10 is not divisible by n_head 3/);
    expect(() => gpt2ConfigFromHf({ n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2 }, 'c.json')).toThrow(/"vocab_size" must be a positive number/);
  });
});

describe('gpt2 training', () => {
  it('full fine-tuning sends a gradient to every parameter, including wpe, ln_1 and c_attn', () => {
    const m = model();
    m.params.setTrainable(() => true);
    tape.backward(gpt2Loss(m, tokens(2, 6), 2, 6));
    for (const p of m.params.entries) {
      const g = p.tensor.grad;
      expect(g, p.name).not.toBeNull();
      expect(g!.some((v) => v !== 0), `${p.name} gradient is all zero`).toBe(true);
    }
  });

  it('a random model predicts about uniformly: initial loss near ln(V)', () => {
    const loss = tape.noGrad(() => gpt2Loss(model(), tokens(2, 8), 2, 8).item());
    expect(Math.abs(loss - Math.log(cfg.vocabSize))).toBeLessThan(0.2);
  });

  it('rejects a sequence longer than the model has positions', () => {
    expect(() => gpt2Loss(model(), tokens(1, 20), 1, 20)).toThrow(/exceeds the model's 16 positions/);
  });
});
