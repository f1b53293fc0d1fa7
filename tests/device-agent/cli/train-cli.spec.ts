// The trainer CLI end to end on a tiny offline GPT-2: a run log with decreasing loss, a PEFT
// adapter, resume from a checkpoint reproducing the uninterrupted run, and clear errors for bad
// flags, an empty dataset and a truncated weights file.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../device-agent/cli/train-cli.js';
import { setCpuWasmThreads } from '../../../device-agent/backends/cpu-wasm/index.js';
import { writeTinyGpt2Fixture } from '../../../device-agent/fixtures/tiny-gpt2.js';
import { parseRunLog, type StepRecord } from '../../../device-agent/run-log.js';

let dir: string;
let modelDir: string;
let dataDir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleettune-cli-'));
  ({ modelDir, dataDir } = writeTinyGpt2Fixture(dir));
});

const common = () => ['--pretrained_dir', modelDir, '--data_dir', dataDir, '--batch_size', '2', '--seq_len', '16', '--grad_accum_steps', '2', '--lr', '3e-3', '--warmup_steps', '2', '--seed', '7', '--log_interval', '100'];
const stepsOf = (file: string) => parseRunLog(readFileSync(file, 'utf8'), file).filter((r): r is StepRecord => r.type === 'step');

describe('train-cli', () => {
  it('trains LoRA, logs every step, evaluates and writes a PEFT adapter', async () => {
    const log = path.join(dir, 'a.jsonl');
    expect(await main([...common(), '--max_steps', '8', '--log', log, '--lora_out', path.join(dir, 'adapter')])).toBe(0);
    const records = parseRunLog(readFileSync(log, 'utf8'), log);
    expect(records[0]).toMatchObject({ type: 'run', impl: 'fleettune', mode: 'lora' });
    const steps = stepsOf(log);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps[7].loss).toBeLessThan(steps[0].loss);
    expect(steps[7].tokens).toBe(8 * 2 * 2 * 16);
    expect(records.some((r) => r.type === 'eval' && r.ppl > 1)).toBe(true);
    expect(records.at(-1)).toMatchObject({ type: 'done', steps: 8 });
    expect(existsSync(path.join(dir, 'adapter', 'adapter_model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'adapter', 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16 });
  });

  it('resuming from a checkpoint continues exactly where the uninterrupted run went', async () => {
    const full = path.join(dir, 'full.jsonl');
    const ckpt = path.join(dir, 'ckpt.safetensors');
    await main([...common(), '--max_steps', '6', '--log', full, '--save_every', '3', '--checkpoint', ckpt]);
    expect(existsSync(path.join(dir, 'ckpt_step3.safetensors'))).toBe(true);
    const resumed = path.join(dir, 'resumed.jsonl');
    await main([...common(), '--max_steps', '6', '--log', resumed, '--resume_from', path.join(dir, 'ckpt_step3.safetensors')]);
    const a = stepsOf(full);
    const b = stepsOf(resumed);
    expect(b.map((s) => s.step)).toEqual([4, 5, 6]);
    expect(b.map((s) => s.loss)).toEqual(a.slice(3).map((s) => s.loss)); // bit-identical: same data order, weights and moments
    await expect(main([...common(), '--max_steps', '7', '--resume_from', ckpt])).rejects.toThrow(/different settings/);
  });

  it('bad input: unknown flag, bad number, no model, no steps, empty data, truncated weights', async () => {
    await expect(main(['--max_step', '3'])).rejects.toThrow(/unknown flag --max_step/);
    await expect(main(['--lr', 'fast'])).rejects.toThrow(/--lr expects a number, got "fast"/);
    await expect(main(['--data_dir', dataDir])).rejects.toThrow(/no model: pass --pretrained_dir/);
    await expect(main([...common()])).rejects.toThrow(/nothing to train: set --max_steps N or --epochs N/);
    const empty = path.join(dir, 'empty.txt');
    writeFileSync(empty, '\n\n');
    await expect(main(['--pretrained_dir', modelDir, '--data_file', empty, '--max_steps', '1', '--seq_len', '16'])).rejects.toThrow(/empty\.txt.*empty/);
    const broken = path.join(dir, 'broken');
    mkdirSync(broken);
    for (const f of ['config.json', 'vocab.json', 'merges.txt']) copyFileSync(path.join(modelDir, f), path.join(broken, f));
    const weights = readFileSync(path.join(modelDir, 'model.safetensors'));
    writeFileSync(path.join(broken, 'model.safetensors'), weights.subarray(0, weights.length >> 1));
    await expect(main(['--pretrained_dir', broken, '--data_dir', dataDir, '--max_steps', '1'])).rejects.toThrow(/broken\/model\.safetensors/);
  });
});

describe('train-cli flag validation', () => {
  it('--threads sets the compute threads and the run log records them', async () => {
    const log = path.join(dir, 'threads.jsonl');
    try {
      expect(await main([...common(), '--max_steps', '1', '--threads', '1', '--log', log])).toBe(0);
      expect(parseRunLog(readFileSync(log, 'utf8'), log)[0]).toMatchObject({ type: 'run', config: { kernels: { threads: 1 } } });
      await expect(main([...common(), '--max_steps', '1', '--threads', '0'])).rejects.toThrow(/--threads must be at least 1/);
    } finally {
      await setCpuWasmThreads(2);
    }
  });

  it('names the flag for out-of-range hyper-parameters', async () => {
    const base = ['--pretrained_dir', modelDir, '--data_dir', dataDir, '--max_steps', '1', '--seq_len', '16'];
    await expect(main([...base, '--lora_targets', 'attn.c_attn,attn.q_proj'])).rejects.toThrow(/--lora_targets/);
    await expect(main([...base, '--lora_dropout', '1.5'])).rejects.toThrow(/--lora_dropout/);
    await expect(main([...base, '--schedule', 'step'])).rejects.toThrow(/--schedule/);
  });
});
