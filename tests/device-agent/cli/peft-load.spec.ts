// The product-level PEFT check: an adapter trained by the CLI, loaded with Hugging Face
// transformers + PEFT onto the model folder the fixture wrote, gives the same logits as our model.
// Needs a python with torch, transformers and peft (FLEETTUNE_PEFT_PYTHON; .ci/run makes one);
// skips with the reason elsewhere, fails in CI.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../device-agent/cli/train-cli.js';
import { writeTinyGpt2Fixture } from '../../../device-agent/fixtures/tiny-gpt2.js';
import { loadPretrainedGpt2 } from '../../../device-agent/cli/load-gpt2.js';
import { addLora } from '../../../device-agent/nn/lora.js';
import { importLoraAdapter } from '../../../device-agent/io/lora-files.js';
import { gpt2Logits, gpt2NameToHf } from '../../../device-agent/models/gpt2.js';
import { tape } from '../../../device-agent/core/autograd.js';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';

const PYTHON = process.env.FLEETTUNE_PEFT_PYTHON ?? '/usr/bin/python3';
const check = spawnSync(PYTHON, ['-c', 'import torch, transformers, peft'], { encoding: 'utf8' });
const missing = check.status !== 0 ? `${PYTHON} lacks torch/transformers/peft` : '';
if (missing && process.env.CI) throw new Error(`${missing}; CI must run the PEFT check (.ci/run sets FLEETTUNE_PEFT_PYTHON)`);
if (missing) console.warn(`peft-load.spec skipped: ${missing} (set FLEETTUNE_PEFT_PYTHON)`);

describe.skipIf(missing !== '')('a trained adapter in Hugging Face PEFT', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleettune-peft-'));
  });

  it('PeftModel.from_pretrained(GPT2LMHeadModel) reproduces our logits', async () => {
    const { modelDir, dataDir } = writeTinyGpt2Fixture(dir);
    const adapter = path.join(dir, 'adapter');
    const targets = 'attn.c_attn,attn.c_proj,mlp.c_fc,mlp.c_proj';
    await main(['--pretrained_dir', modelDir, '--data_dir', dataDir, '--max_steps', '5', '--batch_size', '2', '--seq_len', '16', '--lr', '1e-2', '--lora_targets', targets, '--lora_out', adapter]);
    await initCpuWasmBackend();
    const model = await loadPretrainedGpt2(modelDir);
    addLora(model, model.config.nLayer, { r: 8, alpha: 16, dropout: 0, targets: targets.split(',') as never }, 1);
    const st = path.join(adapter, 'adapter_model.safetensors');
    importLoraAdapter(model, { safetensors: new Uint8Array(readFileSync(st)), configJson: readFileSync(path.join(adapter, 'adapter_config.json'), 'utf8') }, st, gpt2NameToHf);
    model.lora!.training = false;
    const ids = Int32Array.from({ length: 12 }, (_, i) => (i * 37) % 500);
    const ours = tape.noGrad(() => gpt2Logits(model, ids, 1, 12)).data;
    const script = [
      'import json, sys, torch',
      'from transformers import GPT2LMHeadModel',
      'from peft import PeftModel',
      'base = GPT2LMHeadModel.from_pretrained(sys.argv[1])',
      'model = PeftModel.from_pretrained(base, sys.argv[2]).eval()',
      `ids = torch.tensor([[${[...ids].join(',')}]])`,
      'with torch.no_grad(): print(json.dumps(model(ids).logits.flatten().tolist()))',
    ].join('\n');
    const run = spawnSync(PYTHON, ['-c', script, modelDir, adapter], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(run.status, run.stderr).toBe(0);
    const theirs = JSON.parse(run.stdout.trim().split('\n').pop()!) as number[];
    expect(theirs.length).toBe(ours.length);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    // the adapter matters: without it the logits differ
    model.lora!.merged = true; // skip the adapter path (weights unmerged: this is the base model)
    const base = tape.noGrad(() => gpt2Logits(model, ids, 1, 12)).data;
    let baseDiff = 0;
    for (let i = 0; i < ours.length; i++) baseDiff = Math.max(baseDiff, Math.abs(base[i] - theirs[i]));
    expect(baseDiff).toBeGreaterThan(1e-3);
  });
});
