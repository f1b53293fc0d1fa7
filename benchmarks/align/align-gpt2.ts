// `npm run align`: proves the TypeScript GPT-2 trainer equals PyTorch. Builds a tiny random GPT-2
// with its own BPE tokenizer and WikiText-style data, runs the real trainer CLI (which exports its
// LoRA init and the exact token batches it consumes) and the PyTorch reference script on the same
// inputs, for LoRA and for full fine-tuning, and compares every step's loss and the final adapter.
// Prints one JSON line at the end; exits 1 when a goal is missed. Needs torch under /usr/bin/python3.
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeTinyGpt2Fixture } from '../../device-agent/fixtures/tiny-gpt2.js';
import { parseRunLog, type StepRecord } from '../../device-agent/run-log.js';
import { parseSafetensors, toFloat32 } from '../../device-agent/io/safetensors.js';
import { agentNodeFlags, scriptArgs } from '../../device-agent/cli/node-flags.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PYTHON = process.env.FLEETTUNE_PYTHON ?? '/usr/bin/python3';

// The job both implementations run (the spec: 30 steps, accum 2, clip 1.0, warmup + cosine).
const job = { steps: 30, grad_accum: 2, batch_size: 2, seq_len: 32, warmup_steps: 5, schedule: 'cosine', min_lr_ratio: 0.1, clip_grad_norm: 1.0, weight_decay: 0.01, betas: [0.9, 0.999], eps: 1e-8 };
const lora = { r: 8, alpha: 16, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] };
const lrs = { lora: 1e-2, full: 1e-3 };

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

function steps(file: string): StepRecord[] {
  return parseRunLog(readFileSync(file, 'utf8'), file).filter((r): r is StepRecord => r.type === 'step');
}

function maxRelLossDiff(a: StepRecord[], b: StepRecord[]): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`step counts differ: ${a.length} vs ${b.length}`);
  return Math.max(...a.map((r, i) => Math.abs(r.loss - b[i].loss) / Math.abs(b[i].loss)));
}

function maxAbsTensorDiff(fileA: string, fileB: string): number {
  const a = parseSafetensors(new Uint8Array(readFileSync(fileA)), fileA);
  const b = parseSafetensors(new Uint8Array(readFileSync(fileB)), fileB);
  let max = 0;
  for (const [name, ta] of a.tensors) {
    const tb = b.tensors.get(name);
    if (!tb) throw new Error(`${fileB} has no tensor ${name}`);
    const x = toFloat32(ta);
    const y = toFloat32(tb);
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  }
  return max;
}

export interface AlignResult {
  align: 'gpt2';
  lora_max_rel_loss_diff: number;
  full_max_rel_loss_diff: number;
  lora_max_abs_adapter_diff: number;
  full_max_abs_weight_diff: number;
  lora_loss_first_last: [number, number];
  full_loss_first_last: [number, number];
}

export function alignGpt2(dir: string): AlignResult {
  const { modelDir, dataDir } = writeTinyGpt2Fixture(dir);
  const logs: Record<string, { ts: StepRecord[]; py: StepRecord[] }> = {};
  for (const mode of ['lora', 'full'] as const) {
    const out = (f: string) => path.join(dir, `${mode}-${f}`);
    const cli = [
      // the flags `npm run train` and the agent run with (relaxed SIMD on Node 20), so the kernels proven here are the ones they use
      ...agentNodeFlags(), ...scriptArgs('device-agent/cli/train-cli.ts'), '--pretrained_dir', modelDir, '--data_dir', dataDir,
      '--max_steps', String(job.steps), '--batch_size', String(job.batch_size), '--grad_accum_steps', String(job.grad_accum),
      '--seq_len', String(job.seq_len), '--lr', String(lrs[mode]), '--warmup_steps', String(job.warmup_steps), '--schedule', job.schedule,
      '--min_lr_ratio', String(job.min_lr_ratio), '--clip_grad_norm', String(job.clip_grad_norm), '--weight_decay', String(job.weight_decay),
      '--seed', '42', '--log', out('ts.jsonl'), '--export_batches', out('batches.bin'), '--log_interval', '10',
      ...(mode === 'lora'
        ? ['--rank', String(lora.r), '--alpha', String(lora.alpha), '--lora_targets', lora.targets.join(','), '--lora_init_out', out('init'), '--lora_out', out('adapter')]
        : ['--full_ft', '--model_out', out('model')]),
    ];
    run(process.execPath, cli, `TypeScript trainer (${mode})`);
    const jobFile = out('job.json');
    writeFileSync(jobFile, JSON.stringify({
      model_dir: modelDir, mode, batches: out('batches.bin'), log: out('py.jsonl'), lr: lrs[mode], ...job,
      ...(mode === 'lora'
        ? { lora, lora_init: path.join(out('init'), 'adapter_model.safetensors'), adapter_out: out('py-adapter.safetensors') }
        : { weights_out: out('py-model.safetensors') }),
    }, null, 2));
    run(PYTHON, ['benchmarks/pytorch/gpt2_reference.py', '--job', jobFile, '--threads', '1'], `PyTorch reference (${mode})`);
    logs[mode] = { ts: steps(out('ts.jsonl')), py: steps(out('py.jsonl')) };
  }
  const firstLast = (s: StepRecord[]): [number, number] => [s[0].loss, s[s.length - 1].loss];
  return {
    align: 'gpt2',
    lora_max_rel_loss_diff: maxRelLossDiff(logs.lora.ts, logs.lora.py),
    full_max_rel_loss_diff: maxRelLossDiff(logs.full.ts, logs.full.py),
    lora_max_abs_adapter_diff: maxAbsTensorDiff(path.join(dir, 'lora-adapter', 'adapter_model.safetensors'), path.join(dir, 'lora-py-adapter.safetensors')),
    full_max_abs_weight_diff: maxAbsTensorDiff(path.join(dir, 'full-model', 'model.safetensors'), path.join(dir, 'full-py-model.safetensors')),
    lora_loss_first_last: firstLast(logs.lora.ts),
    full_loss_first_last: firstLast(logs.full.ts),
  };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleettune-align-'));
  try {
    const r = alignGpt2(dir);
    const ok = r.lora_max_rel_loss_diff <= 1e-4 && r.full_max_rel_loss_diff <= 1e-4 && r.lora_max_abs_adapter_diff <= 1e-4;
    console.log(JSON.stringify({ align: r.align, lora_max_rel_loss_diff: r.lora_max_rel_loss_diff, full_max_rel_loss_diff: r.full_max_rel_loss_diff, lora_max_abs_adapter_diff: r.lora_max_abs_adapter_diff }));
    if (!ok) {
      console.error(`alignment goal missed (1e-4): ${JSON.stringify(r)}`);
      process.exitCode = 1;
    }
  } finally {
    if (!process.env.FLEETTUNE_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}
