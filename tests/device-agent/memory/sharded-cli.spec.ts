// The trainer CLI with --shard_enable on the tiny offline GPT-2, the path a person uses: LoRA and
// full fine-tuning under a budget that forces evictions train bit-identically to the unsharded runs
// with fp32 shards, the model is loaded tensor by tensor from model.safetensors, a sharded full
// fine-tuning run resumes exactly from its (streamed) checkpoint and writes the same model, and a
// budget that cannot hold one step is refused with the minimum.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../device-agent/cli/train-cli.js';
import { writeTinyGpt2Fixture } from '../../../device-agent/fixtures/tiny-gpt2.js';
import { parseRunLog, type DoneRecord, type StepRecord } from '../../../device-agent/run-log.js';

let dir: string;
let modelDir: string;
let dataDir: string;
let shardDir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleettune-shard-cli-'));
  shardDir = path.join(dir, 'shards');
  ({ modelDir, dataDir } = writeTinyGpt2Fixture(dir));
});

const common = () => ['--pretrained_dir', modelDir, '--data_dir', dataDir, '--batch_size', '2', '--seq_len', '16', '--grad_accum_steps', '2', '--lr', '3e-3', '--warmup_steps', '2', '--seed', '7', '--log_interval', '100', '--eval_interval', '0'];
const sharded = (mb: string) => ['--shard_enable', '--shard_budget_mb', mb, '--shard_fp16_disk', '0', '--shard_dir', shardDir];
const records = (file: string) => parseRunLog(readFileSync(file, 'utf8'), file);
const losses = (file: string) => records(file).filter((r): r is StepRecord => r.type === 'step').map((r) => r.loss);
const done = (file: string) => records(file).find((r): r is DoneRecord => r.type === 'done')!;

describe('train-cli with sharding', () => {
  it('LoRA: bit-identical with fp32 shards, resident bytes within the budget', async () => {
    const base = path.join(dir, 'lora.jsonl');
    const shard = path.join(dir, 'lora-shard.jsonl');
    await main([...common(), '--max_steps', '3', '--log', base]);
    await main([...common(), '--max_steps', '3', '--log', shard, ...sharded('0.2')]);
    expect(losses(shard)).toEqual(losses(base));
    const s = (done(shard) as DoneRecord & { shard: { peakResidentBytes: number; evictions: number } }).shard;
    expect(s.peakResidentBytes).toBeLessThanOrEqual(0.2 * 2 ** 20);
    expect(s.evictions).toBeGreaterThan(0);
    expect(readdirSync(shardDir)).toEqual([]); // shard files removed at the end
  });

  it('full fine-tuning: bit-identical, resumes exactly from a sharded checkpoint, writes the same model', async () => {
    const base = path.join(dir, 'full.jsonl');
    await main([...common(), '--full_ft', '--max_steps', '4', '--log', base, '--model_out', path.join(dir, 'full-model')]);
    const shard = path.join(dir, 'full-shard.jsonl');
    const ckpt = path.join(dir, 'full.ckpt.safetensors');
    const budget = '0.65'; // the minimum for this model is 640 KB: constant eviction
    await main([...common(), '--full_ft', '--max_steps', '4', '--log', shard, ...sharded(budget), '--checkpoint', ckpt, '--save_every', '2', '--model_out', path.join(dir, 'full-shard-model')]);
    expect(losses(shard)).toEqual(losses(base));
    const s = (done(shard) as DoneRecord & { shard: { peakResidentBytes: number; writes: number } }).shard;
    expect(s.peakResidentBytes).toBeLessThanOrEqual(0.65 * 2 ** 20);
    expect(readFileSync(path.join(dir, 'full-shard-model', 'model.safetensors')).equals(readFileSync(path.join(dir, 'full-model', 'model.safetensors')))).toBe(true);

    const resumed = path.join(dir, 'full-resumed.jsonl');
    await main([...common(), '--full_ft', '--max_steps', '4', '--log', resumed, ...sharded(budget), '--resume_from', ckpt.replace('.safetensors', '_step2.safetensors')]);
    expect([...losses(shard).slice(0, 2), ...losses(resumed)]).toEqual(losses(base));
  });

  it('refuses a budget below what one step needs, naming the minimum', async () => {
    await expect(main([...common(), '--full_ft', '--max_steps', '1', ...sharded('0.1')])).rejects.toThrow(/--shard_budget_mb 0\.1 is too small: one step needs at least 0\.7 MB resident .*their gradients/);
    await expect(main([...common(), '--max_steps', '1', ...sharded('-1')])).rejects.toThrow(/--shard_budget_mb: /);
  });
});
