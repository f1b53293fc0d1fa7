// The PyTorch reference for one device run: replays the job with benchmarks/pytorch/gpt2_reference.py
// on the exact inputs the agent exported (batches.bin, the LoRA init, the initial weights of a
// random model), on this computer, and returns the JSONL log it wrote. Torch missing is not a
// failure of the suite: the caller records "no reference" with the reason.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrainSpec } from '../../device-agent/protocol.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const referencePython = process.env.FLEETTUNE_PYTHON ?? '/usr/bin/python3';

/** null when torch can be imported, else why not. */
export function torchMissing(): string | null {
  const r = spawnSync(referencePython, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${referencePython} cannot import torch (apt-get install -y python3-torch libopenblas0-pthread)`;
}

export interface ReferenceInput {
  /** Folder with the run's uploaded artifacts (batches.bin, lora_init.safetensors, model_init.safetensors). */
  artifactDir: string;
  /** HF folder of the model (config.json + model.safetensors), or null for random weights (model_init is used). */
  modelDir: string | null;
  /** HF config object, needed with random weights. */
  modelConfig?: Record<string, unknown>;
  train: TrainSpec;
  threads: number;
  timeoutMs: number;
}

export async function runReference(input: ReferenceInput): Promise<string> {
  const dir = path.join(input.artifactDir, 'reference');
  mkdirSync(dir, { recursive: true });
  const batches = path.join(input.artifactDir, 'batches.bin');
  if (!existsSync(batches)) throw new Error(`no exported batches in ${input.artifactDir}: the agent did not upload its inputs`);
  let modelDir = input.modelDir;
  if (!modelDir) {
    modelDir = path.join(dir, 'model');
    mkdirSync(modelDir, { recursive: true });
    copyFileSync(path.join(input.artifactDir, 'model_init.safetensors'), path.join(modelDir, 'model.safetensors'));
    writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify(input.modelConfig ?? {}));
  }
  const t = input.train;
  const log = path.join(dir, 'pytorch.jsonl');
  const job = {
    model_dir: modelDir, mode: t.mode, batches, log, steps: t.steps, grad_accum: t.gradAccum, batch_size: t.batchSize, seq_len: t.seqLen,
    lr: t.lr, weight_decay: t.weightDecay, betas: [0.9, 0.999], eps: 1e-8, warmup_steps: t.warmupSteps, schedule: t.schedule,
    min_lr_ratio: t.minLrRatio, clip_grad_norm: t.clipGradNorm,
    ...(t.mode === 'lora' ? { lora: t.lora, lora_init: path.join(input.artifactDir, 'lora_init.safetensors') } : {}),
  };
  const jobFile = path.join(dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify(job, null, 2));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(referencePython, [path.join(root, 'benchmarks/pytorch/gpt2_reference.py'), '--job', jobFile, '--threads', String(input.threads)], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(input.threads) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out = (out + d).slice(-4000)));
    child.stderr.on('data', (d) => (out = (out + d).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), input.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`PyTorch reference failed (code ${code}, signal ${signal}):\n${out}`));
    });
  });
  return log;
}
