// `npm run bench:memory`: peak RSS of LoRA fine-tuning a GPT-2-small-shaped model (batch 4 x seq 128)
// unsharded and sharded at 512/256/128/64 MB budgets, fp32 and fp16 storage, each configuration in
// its own process (memory-run.ts), measured by the OS (VmHWM). Checks first that fp32 sharding trains
// bit-identically to the baseline. Prints the JSON line and appends to benchmarks/results/memory.jsonl.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const steps = Number(process.env.BENCH_STEPS ?? 3);
const budgets = (process.env.BENCH_BUDGETS ?? '512,256,128,64').split(',').map(Number);

interface Result { budgetMb: number; fp16: boolean; peakRssMb: number; losses: number[]; stepMs: number[]; shard: { peakResidentBytes: number } | null }

function run(budget: number, fp16: boolean): Result {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'benchmarks/memory/memory-run.ts'), '--budget', String(budget), '--fp16', fp16 ? '1' : '0', '--steps', String(steps)], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`memory-run --budget ${budget} --fp16 ${fp16} failed:\n${r.stderr}`);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
  console.error(`budget ${budget || 'none'} ${fp16 ? 'fp16' : 'fp32'}: peak RSS ${res.peakRssMb.toFixed(0)} MB, step ms ${res.stepMs.map((m) => m.toFixed(0)).join(' ')}, losses ${res.losses.map((l) => l.toFixed(5)).join(' ')}`);
  return res;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Timed steps exclude the first (warm-up: page-cache fill, JIT). */
const timed = (r: Result) => median(r.stepMs.slice(1).length ? r.stepMs.slice(1) : r.stepMs);

const baseline = run(0, false);
const fp32: Record<string, Result> = {};
const fp16: Record<string, Result> = {};
for (const b of budgets) {
  fp32[b] = run(b, false);
  if (JSON.stringify(fp32[b].losses) !== JSON.stringify(baseline.losses)) throw new Error(`correctness: fp32 sharding at ${b} MB changed the losses (${fp32[b].losses} vs ${baseline.losses})`);
  fp16[b] = run(b, true);
}
const ref = budgets.includes(128) ? 128 : budgets[budgets.length - 1];
const line = {
  bench: 'memory',
  baseline_peak_mb: Math.round(baseline.peakRssMb),
  sharded_peak_mb: Object.fromEntries(budgets.map((b) => [String(b), Math.round(fp16[b].peakRssMb)])),
  sharded_fp32_peak_mb: Object.fromEntries(budgets.map((b) => [String(b), Math.round(fp32[b].peakRssMb)])),
  fp16_loss_delta: Math.max(...fp16[ref].losses.map((l, i) => Math.abs(l - baseline.losses[i]))),
  fp32_losses_identical: true,
  [`slowdown_${ref}`]: timed(fp16[ref]) / timed(baseline),
};
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
} catch {}
mkdirSync(path.join(root, 'benchmarks/results'), { recursive: true });
appendFileSync(path.join(root, 'benchmarks/results/memory.jsonl'), JSON.stringify({ ...line, at: new Date().toISOString(), commit, machine: `${os.cpus()[0]?.model} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GB`, node: process.version, steps, batch: 4, seq: 128 }) + '\n');
console.log(JSON.stringify(line));
