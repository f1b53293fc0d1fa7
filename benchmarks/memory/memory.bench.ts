// `npm run bench:memory`: peak RSS of LoRA fine-tuning a GPT-2-small-shaped model (batch 4 x seq 128)
// unsharded and sharded at 512/256/128/64 MB budgets, fp32 and fp16 storage, each configuration in
// its own process (memory-run.ts, bundled and run like the local agent: ../lib/node-child.ts),
// measured by the OS (VmHWM). Checks first that fp32 sharding trains bit-identically to the
// baseline. Prints each run's RSS phases, the JSON line last, and appends the record to
// benchmarks/results/memory.jsonl. Knobs: BENCH_STEPS, BENCH_BUDGETS, and how the children run:
// BENCH_RUNNER, BENCH_NODE_FLAGS, FLEETTUNE_MMAP_THRESHOLD (../lib/node-child.ts).
import { appendResult } from '../lib/bench-record.js';
import { benchMallocSetting, benchNodeFlags, benchNodeOptions, benchRunner, runBenchChild, startLockstepBenchChild } from '../lib/node-child.js';

const steps = Number(process.env.BENCH_STEPS ?? 3);
const budgets = (process.env.BENCH_BUDGETS ?? '512,256,128,64').split(',').map(Number);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`BENCH_STEPS must be a positive integer, got ${process.env.BENCH_STEPS}`);
if (budgets.some((b) => !Number.isFinite(b) || b <= 0)) throw new Error(`BENCH_BUDGETS must be a comma list of MB budgets > 0, got ${process.env.BENCH_BUDGETS}`);

interface Result { budgetMb: number; fp16: boolean; peakRssMb: number; losses: number[]; stepMs: number[]; stepCpuMs: number[]; stepSysMs: number[]; stepMinorFaults: number[]; phases: Record<string, number>; shard: { peakResidentBytes: number } | null }

const runs: Result[] = [];
async function run(budget: number, fp16: boolean): Promise<Result> {
  const res = await runBenchChild<Result>('memory-run', ['--budget', String(budget), '--fp16', fp16 ? '1' : '0', '--steps', String(steps)], { label: `memory-run --budget ${budget} --fp16 ${fp16 ? 1 : 0}`, boundedMemory: budget > 0 });
  const phases = Object.entries(res.phases).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  console.error(`budget ${budget || 'none'} ${fp16 ? 'fp16' : 'fp32'}: peak RSS ${res.peakRssMb.toFixed(0)} MB (VmHWM after ${phases}), step ms ${res.stepMs.map((m) => m.toFixed(0)).join(' ')}, losses ${res.losses.map((l) => l.toFixed(5)).join(' ')}`);
  runs.push(res);
  return res;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Timed steps exclude the first (warm-up: page-cache fill, JIT). */
const timed = (r: Result) => median(r.stepMs.slice(1).length ? r.stepMs.slice(1) : r.stepMs);

console.error(`memory bench: ${benchRunner()} children, node ${process.version} ${benchNodeFlags().join(' ')}, malloc: sharded ${benchMallocSetting(true)}, unsharded ${benchMallocSetting(false)}, sharded NODE_OPTIONS ${benchNodeOptions(true)}, ${steps} steps`);
const baseline = await run(0, false);
const fp32: Record<string, Result> = {};
const fp16: Record<string, Result> = {};
for (const b of budgets) {
  fp32[b] = await run(b, false);
  if (JSON.stringify(fp32[b].losses) !== JSON.stringify(baseline.losses)) throw new Error(`correctness: fp32 sharding at ${b} MB changed the losses (${fp32[b].losses} vs ${baseline.losses})`);
  fp16[b] = await run(b, true);
}
const ref = budgets.includes(128) ? 128 : budgets[budgets.length - 1];

// Slowdown, paired: the baseline and the fp16 run at the reference budget again, their steps
// alternating (which goes first alternating too), so both see the machine's load of the moment; the
// ratio of each timed pair, median. The runs above are one after the other, minutes apart, and on a
// shared machine their wall times differ by as much as the slowdown being measured.
const pairSteps = Math.max(steps, 4);
const pairArgs = (budget: number) => ['--budget', String(budget), '--fp16', '1', '--steps', String(pairSteps)];
const [base, sharded] = await Promise.all([
  startLockstepBenchChild<Result>('memory-run', pairArgs(0), { label: 'memory-run --budget 0 (paired)', echo: false, boundedMemory: false }),
  startLockstepBenchChild<Result>('memory-run', pairArgs(ref), { label: `memory-run --budget ${ref} (paired)`, echo: false, boundedMemory: true }),
]);
const pairRatios: number[] = [];
for (let i = 0; i < pairSteps; i++) {
  const ms: number[] = [0, 0];
  for (const k of i % 2 ? [1, 0] : [0, 1]) ms[k] = (await [base, sharded][k].step()).ms;
  if (i > 0) pairRatios.push(ms[1] / ms[0]); // step 1 is the warm-up
  console.error(`paired step ${i + 1}/${pairSteps}: unsharded ${ms[0].toFixed(0)} ms, ${ref} MB fp16 ${ms[1].toFixed(0)} ms${i === 0 ? ' (warm-up)' : ''}`);
}
await Promise.all([base.finish(), sharded.finish()]);
const line = {
  bench: 'memory',
  baseline_peak_mb: Math.round(baseline.peakRssMb),
  sharded_peak_mb: Object.fromEntries(budgets.map((b) => [String(b), Math.round(fp16[b].peakRssMb)])),
  sharded_fp32_peak_mb: Object.fromEntries(budgets.map((b) => [String(b), Math.round(fp32[b].peakRssMb)])),
  fp16_loss_delta: Math.max(...fp16[ref].losses.map((l, i) => Math.abs(l - baseline.losses[i]))),
  fp32_losses_identical: true,
  [`slowdown_${ref}`]: median(pairRatios),
  start_rss_mb: Math.round(baseline.phases.start),
};
const file = appendResult('memory', {
  ...line, [`slowdown_${ref}_unpaired`]: timed(fp16[ref]) / timed(baseline), [`slowdown_${ref}_pairs`]: pairRatios.map((r) => Math.round(r * 1000) / 1000), runner: benchRunner(), node_flags: benchNodeFlags(), malloc: { sharded: benchMallocSetting(true), unsharded: benchMallocSetting(false) }, node_options: { sharded: benchNodeOptions(true), unsharded: benchNodeOptions(false) }, steps, batch: 4, seq: 128,
  runs: runs.map((r) => ({ budget_mb: r.budgetMb, fp16: r.fp16, peak_rss_mb: Math.round(r.peakRssMb), phases_mb: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, Math.round(v)])), step_ms: r.stepMs.map(Math.round), step_cpu_ms: r.stepCpuMs.map(Math.round), step_sys_ms: r.stepSysMs.map(Math.round), step_minor_faults: r.stepMinorFaults })),
});
console.error(`appended to ${file}`);
console.log(JSON.stringify(line));
