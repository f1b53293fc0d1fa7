// Tests for device-agent/io/peft-adapter.ts: round trips, PEFT's exact tensor names and config
// fields, the name variants the loader accepts, and one test per invalid adapter. When
// /usr/bin/python3 has torch, transformers and peft, PeftModel.from_pretrained loads our files into a
// tiny GPT-2 and we compare its LoRA weights with ours; otherwise that test skips with the reason.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../device-agent/core/rng.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../../device-agent/io/float16.js';
import { loadPeftAdapter, savePeftAdapter, type LoraModule, type PeftLoraConfig } from '../../../device-agent/io/peft-adapter.js';
import { parseSafetensors, serializeSafetensors } from '../../../device-agent/io/safetensors.js';

const C = 8; // tiny GPT-2: n_embd 8
const R = 4;

function makeModule(module: string, inFeatures: number, outFeatures: number, rng: Rng, r = R): LoraModule {
  const A = new Float32Array(r * inFeatures);
  const B = new Float32Array(outFeatures * r);
  rng.fillNormal(A, 0.5);
  rng.fillNormal(B, 0.5);
  return { module, A, B, inFeatures, outFeatures };
}

function gpt2Modules(layers: number[], seed = 7): LoraModule[] {
  const rng = new Rng(seed);
  const out: LoraModule[] = [];
  for (const l of layers) {
    out.push(makeModule(`transformer.h.${l}.attn.c_attn`, C, 3 * C, rng));
    out.push(makeModule(`transformer.h.${l}.attn.c_proj`, C, C, rng));
  }
  return out;
}

const CONFIG: PeftLoraConfig = {
  r: R,
  alpha: 16,
  dropout: 0.05,
  targetModules: ['c_attn', 'c_proj'],
  baseModelName: 'gpt2',
  fanInFanOut: true,
  taskType: 'CAUSAL_LM',
};

const load = (files: { 'adapter_model.safetensors': Uint8Array; 'adapter_config.json': string }) =>
  loadPeftAdapter({ safetensors: files['adapter_model.safetensors'], configJson: files['adapter_config.json'] }, 'runs/lora-1');

describe('savePeftAdapter', () => {
  it('names tensors exactly as PEFT saves them, with (r, in) and (out, r) shapes and format=pt', () => {
    const files = savePeftAdapter(gpt2Modules([0]), CONFIG);
    const st = parseSafetensors(files['adapter_model.safetensors'], 'adapter_model.safetensors');
    expect(st.metadata).toEqual({ format: 'pt' });
    const shapes = Object.fromEntries([...st.tensors].map(([name, t]) => [name, [t.dtype, ...t.shape]]));
    expect(shapes).toEqual({
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight': ['F32', R, C],
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight': ['F32', 3 * C, R],
      'base_model.model.transformer.h.0.attn.c_proj.lora_A.weight': ['F32', R, C],
      'base_model.model.transformer.h.0.attn.c_proj.lora_B.weight': ['F32', C, R],
    });
  });

  it('writes the LoraConfig fields peft 0.13+ reads, and none it would reject', () => {
    const cfg = JSON.parse(savePeftAdapter(gpt2Modules([0]), CONFIG)['adapter_config.json']);
    expect(cfg).toEqual({
      alpha_pattern: {},
      auto_mapping: null,
      base_model_name_or_path: 'gpt2',
      bias: 'none',
      fan_in_fan_out: true,
      inference_mode: true,
      init_lora_weights: true,
      layer_replication: null,
      layers_pattern: null,
      layers_to_transform: null,
      loftq_config: {},
      lora_alpha: 16,
      lora_dropout: 0.05,
      megatron_config: null,
      megatron_core: 'megatron.core',
      modules_to_save: null,
      peft_type: 'LORA',
      r: R,
      rank_pattern: {},
      revision: null,
      target_modules: ['c_attn', 'c_proj'],
      task_type: 'CAUSAL_LM',
      use_dora: false,
      use_rslora: false,
    });
  });

  it('can store F16 weights, rounded to nearest even', () => {
    const modules = gpt2Modules([0]);
    const back = load(savePeftAdapter(modules, CONFIG, { dtype: 'F16' }));
    const st = parseSafetensors(savePeftAdapter(modules, CONFIG, { dtype: 'F16' })['adapter_model.safetensors'], 'x');
    expect([...st.tensors.values()].every((t) => t.dtype === 'F16')).toBe(true);
    expect(back.modules[0].A).toEqual(float16BitsToFloat32(float32ToFloat16Bits(modules[0].A)));
  });

  it.each([
    ['A of the wrong size', (m: LoraModule) => ({ ...m, A: new Float32Array(3) }), /module "transformer\.h\.0\.attn\.c_attn": A has 3 values but \(r, in\) = \(4, 8\) needs 32/],
    ['B of the wrong size', (m: LoraModule) => ({ ...m, B: new Float32Array(3) }), /module "transformer\.h\.0\.attn\.c_attn": B has 3 values but \(out, r\) = \(24, 4\) needs 96/],
    ['a module outside targetModules', (m: LoraModule) => ({ ...m, module: 'transformer.h.0.mlp.c_fc' }), /module "transformer\.h\.0\.mlp\.c_fc" is not matched by targetModules \["c_attn","c_proj"\], so PEFT would ignore its weights/],
  ])('rejects %s', (_label, change, message) => {
    const modules = gpt2Modules([0]);
    modules[0] = change(modules[0]);
    expect(() => savePeftAdapter(modules, CONFIG)).toThrow(message);
  });

  it('rejects a module listed twice and a bad r', () => {
    const modules = gpt2Modules([0]);
    expect(() => savePeftAdapter([...modules, modules[0]], CONFIG)).toThrow(/is listed twice/);
    expect(() => savePeftAdapter(modules, { ...CONFIG, r: 0 })).toThrow(/r is 0; it must be a positive integer/);
  });
});

describe('loadPeftAdapter', () => {
  it('round-trips config and modules, modules in natural layer order', () => {
    const modules = gpt2Modules([10, 2, 0]);
    const back = load(savePeftAdapter(modules, CONFIG));
    expect(back.config).toEqual(CONFIG);
    expect(back.modules.map((m) => m.module)).toEqual([
      'transformer.h.0.attn.c_attn',
      'transformer.h.0.attn.c_proj',
      'transformer.h.2.attn.c_attn',
      'transformer.h.2.attn.c_proj',
      'transformer.h.10.attn.c_attn',
      'transformer.h.10.attn.c_proj',
    ]);
    for (const m of back.modules) expect(m).toEqual(modules.find((x) => x.module === m.module));
  });

  it('keeps optional config fields optional', () => {
    const minimal = { peft_type: 'LORA', r: R, lora_alpha: 8, target_modules: ['c_attn'] };
    const files = savePeftAdapter(gpt2Modules([0]).filter((m) => m.module.endsWith('c_attn')), CONFIG);
    const back = loadPeftAdapter({ safetensors: files['adapter_model.safetensors'], configJson: JSON.stringify(minimal) }, 'x');
    expect(back.config).toEqual({ r: R, alpha: 8, dropout: 0, targetModules: ['c_attn'], fanInFanOut: false });
    const rs = loadPeftAdapter({ safetensors: files['adapter_model.safetensors'], configJson: JSON.stringify({ ...minimal, use_rslora: true }) }, 'x');
    expect(rs.config.useRslora).toBe(true);
  });

  it.each([
    ['without the base_model.model. prefix', (n: string) => n.replace('base_model.model.', '')],
    ['with the adapter name (.lora_A.default.weight)', (n: string) => n.replace(/\.lora_([AB])\.weight$/, '.lora_$1.default.weight')],
    ['with both changes', (n: string) => n.replace('base_model.model.', '').replace(/\.lora_([AB])\.weight$/, '.lora_$1.my_adapter.weight')],
  ])('accepts tensor names %s', (_label, rename) => {
    const modules = gpt2Modules([0, 1]);
    const files = savePeftAdapter(modules, CONFIG);
    const renamed = serializeSafetensors(
      modules.flatMap((m) => [
        { name: rename(`base_model.model.${m.module}.lora_A.weight`), dtype: 'F32' as const, shape: [R, m.inFeatures], data: m.A },
        { name: rename(`base_model.model.${m.module}.lora_B.weight`), dtype: 'F32' as const, shape: [m.outFeatures, R], data: m.B },
      ]),
    );
    const back = loadPeftAdapter({ safetensors: renamed, configJson: files['adapter_config.json'] }, 'x');
    expect(back.modules).toEqual(load(files).modules);
  });
});

describe('loadPeftAdapter rejects invalid adapters', () => {
  const good = savePeftAdapter(gpt2Modules([0]), CONFIG);
  const goodCfg = JSON.parse(good['adapter_config.json']) as Record<string, unknown>;
  const withConfig = (cfg: Record<string, unknown>) => () =>
    loadPeftAdapter({ safetensors: good['adapter_model.safetensors'], configJson: JSON.stringify(cfg) }, 'runs/lora-1');
  const without = (field: string) => {
    const c = { ...goodCfg };
    delete c[field];
    return c;
  };

  it.each([
    ['missing r', without('r'), /^runs\/lora-1\/adapter_config\.json: "r" is missing; it must be a positive integer$/],
    ['missing lora_alpha', without('lora_alpha'), /"lora_alpha" is missing; it must be a number/],
    ['missing target_modules', without('target_modules'), /"target_modules" is missing; it must be a non-empty list/],
    ['missing peft_type', without('peft_type'), /"peft_type" is missing; it must be "LORA"/],
    ['another peft_type', { ...goodCfg, peft_type: 'IA3' }, /"peft_type" is "IA3"; it must be "LORA"/],
    ['a regex target_modules', { ...goodCfg, target_modules: '.*c_attn' }, /"target_modules" is ".\*c_attn"; .*a regex string is not supported/],
    ['DoRA', { ...goodCfg, use_dora: true }, /"use_dora" is true; it must be false \(DoRA adapters are not supported\)/],
    ['trained biases', { ...goodCfg, bias: 'all' }, /"bias" is "all"; it must be "none"/],
    ['a rank_pattern', { ...goodCfg, rank_pattern: { c_attn: 8 } }, /"rank_pattern" is \{"c_attn":8\}/],
    ['modules_to_save', { ...goodCfg, modules_to_save: ['lm_head'] }, /"modules_to_save" is \["lm_head"\]/],
    ['another task_type', { ...goodCfg, task_type: 'SEQ_CLS' }, /"task_type" is "SEQ_CLS"/],
    ['a bad dropout', { ...goodCfg, lora_dropout: 1.5 }, /"lora_dropout" is 1\.5; it must be a number in \[0, 1\)/],
  ])('config with %s', (_label, cfg, message) => {
    expect(withConfig(cfg)).toThrow(message);
  });

  it('config that is not JSON', () => {
    expect(() => loadPeftAdapter({ safetensors: good['adapter_model.safetensors'], configJson: '{r: 4' }, 'runs/lora-1')).toThrow(
      /^runs\/lora-1\/adapter_config\.json: not valid JSON/,
    );
  });

  const W = 'runs/lora-1/adapter_model\\.safetensors';
  const tensorsFile = (tensors: Array<{ name: string; shape: number[] }>) =>
    serializeSafetensors(tensors.map((t) => ({ ...t, dtype: 'F32' as const, data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)) })));
  const A0 = 'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight';
  const B0 = 'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight';

  it.each([
    ['lora_A without lora_B', [{ name: A0, shape: [R, C] }], new RegExp(`^${W}: module "transformer\\.h\\.0\\.attn\\.c_attn" has "${A0.replace(/\./g, '\\.')}" but no lora_B weight`)],
    ['lora_B without lora_A', [{ name: B0, shape: [3 * C, R] }], /module "transformer\.h\.0\.attn\.c_attn" has ".*lora_B\.weight" but no lora_A weight/],
    ['an A whose rows disagree with r', [{ name: A0, shape: [R + 1, C] }, { name: B0, shape: [3 * C, R] }], new RegExp(`^${W}: tensor ".*lora_A\\.weight" has shape \\[5,8\\] but runs/lora-1/adapter_config\\.json says r = 4`)],
    ['a B whose columns disagree with r', [{ name: A0, shape: [R, C] }, { name: B0, shape: [3 * C, 2] }], /tensor ".*c_attn\.lora_B\.weight" has shape \[24,2\] but .* says r = 4; the two files do not belong together/],
    ['a 1-D LoRA tensor', [{ name: A0, shape: [R * C] }], /tensor ".*lora_A\.weight" has shape \[32\]; LoRA weights are 2-D/],
    ['a tensor that is not a LoRA weight', [{ name: 'base_model.model.transformer.h.0.attn.c_attn.lora_magnitude_vector', shape: [24] }], /tensor ".*lora_magnitude_vector" is not a LoRA A\/B weight/],
    ['two adapters for one module', [{ name: A0, shape: [R, C] }, { name: A0.replace('lora_A.weight', 'lora_A.other.weight'), shape: [R, C] }], /duplicates lora_A of module "transformer\.h\.0\.attn\.c_attn"/],
    [
      'a module outside target_modules',
      [{ name: A0.replace('attn.c_attn', 'mlp.c_fc'), shape: [R, C] }, { name: B0.replace('attn.c_attn', 'mlp.c_fc'), shape: [4 * C, R] }],
      /module "transformer\.h\.0\.mlp\.c_fc" is not matched by target_modules \["c_attn","c_proj"\]/,
    ],
  ])('weights with %s', (_label, tensors, message) => {
    expect(() => loadPeftAdapter({ safetensors: tensorsFile(tensors), configJson: good['adapter_config.json'] }, 'runs/lora-1')).toThrow(message);
  });

  it('a truncated weights file, naming it', () => {
    const bytes = good['adapter_model.safetensors'];
    expect(() => loadPeftAdapter({ safetensors: bytes.subarray(0, bytes.length - 4), configJson: good['adapter_config.json'] }, 'runs/lora-1')).toThrow(
      /^runs\/lora-1\/adapter_model\.safetensors: tensor ".*" has data_offsets .* past the end of the data/,
    );
  });
});

// PEFT itself as the oracle. Needs torch, transformers and peft in /usr/bin/python3; CI installs them.
const PYTHON = process.env.FLEETTUNE_PEFT_PYTHON ?? '/usr/bin/python3';
const peftCheck = spawnSync(PYTHON, ['-c', 'import torch, transformers, peft, safetensors'], { encoding: 'utf8' });
const peftMissing = peftCheck.status !== 0 ? `${PYTHON} lacks torch/transformers/peft/safetensors (${peftCheck.error?.message ?? peftCheck.stderr.trim().split('\n').pop()})` : '';
if (peftMissing && process.env.CI) throw new Error(`${peftMissing}; CI must run the PEFT check (.ci/run sets FLEETTUNE_PEFT_PYTHON)`);
if (peftMissing) console.log(`peft-adapter.spec: skipping the PeftModel.from_pretrained test: ${peftMissing} (set FLEETTUNE_PEFT_PYTHON to a python with them)`);

describe('PEFT loads our adapter', () => {
  it.skipIf(peftMissing !== '')('PeftModel.from_pretrained puts our A and B into a tiny GPT-2', () => {
    const modules = gpt2Modules([0, 1], 3);
    // 'c_proj' alone would also match mlp.c_proj in PEFT (suffix rule) and add adapters we did not
    // save; the trainer writes dotted targets for exactly this reason
    const files = savePeftAdapter(modules, { ...CONFIG, targetModules: ['attn.c_attn', 'attn.c_proj'], baseModelName: undefined });
    const dir = mkdtempSync(join(tmpdir(), 'fleettune-peft-'));
    try {
      writeFileSync(join(dir, 'adapter_model.safetensors'), files['adapter_model.safetensors']);
      writeFileSync(join(dir, 'adapter_config.json'), files['adapter_config.json']);
      const script = [
        'import json, sys, torch',
        'from transformers import GPT2Config, GPT2LMHeadModel',
        'from peft import PeftModel',
        'torch.manual_seed(0)',
        `base = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=${C}, n_head=2, vocab_size=16, n_positions=8))`,
        'model = PeftModel.from_pretrained(base, sys.argv[1])',
        "out = {k: v.detach().float().flatten().tolist() for k, v in model.state_dict().items() if 'lora_' in k}",
        'print(json.dumps(out))',
      ].join('\n');
      const run = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(run.status, run.stderr).toBe(0);
      const got = JSON.parse(run.stdout) as Record<string, number[]>;
      expect(Object.keys(got).length).toBe(2 * modules.length);
      for (const m of modules) {
        expect(got[`base_model.model.${m.module}.lora_A.default.weight`]).toEqual([...m.A]);
        expect(got[`base_model.model.${m.module}.lora_B.default.weight`]).toEqual([...m.B]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
