// `npm run bench:train`: training-step throughput and peak RSS of our trainer against PyTorch in the
// same run. GPT-2-small-shaped model (random weights, vocab 50257), batch 4 x seq 128, 2 threads on
// both sides; LoRA r=8 alpha 16 on attn.c_attn + attn.c_proj, then full fine-tuning. Each side of
// each mode runs in its own process (ours: train-run.ts, bundled and run like the local agent;
// PyTorch: train-pytorch.py), one warm-up step then the median of BENCH_STEPS timed steps; peak
// RSS is that process's VmHWM. The two processes of a mode start together and then step in
// lockstep, ours and PyTorch's steps alternating (the first of each pair alternating too), so both
// see the same minutes of a shared machine; paired_ratio is the median over step pairs of
// PyTorch's step time / ours. Not a test: it checks that both sides trained the same thing
// (trainable-parameter counts equal, and for LoRA equal to r*(in+out) summed over the adapters;
// warm-up losses finite, near ln(50257) and near each other), then reports.
// Last stdout line: the issue's JSON; the full record is appended to benchmarks/results/train.jsonl.
// Knobs: BENCH_STEPS (timed steps, default 5), BENCH_LAYERS (default 12; fewer for development),
// BENCH_MODES (default "lora,full"), BENCH_THREADS (default 2), FLEETTUNE_PYTHON (default
// /usr/bin/python3), and BENCH_RUNNER / BENCH_NODE_FLAGS / FLEETTUNE_MMAP_THRESHOLD (../lib/node-child.ts).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { appendResult, benchRoot, gitState, machineInfo } from '../lib/bench-record.js';
import { benchMallocSetting, benchNodeFlags, benchRunner, LockstepChild, startLockstepBenchChild } from '../lib/node-child.js';

const PYTHON = process.env.FLEETTUNE_PYTHON ?? '/usr/bin/python3';
const B = 4;
const T = 128;
const V = 50257;
const C = 768;
const LORA_R = 8;

function envInt(name: string, dflt: number, min: number): number {
  const raw = process.env[name];
  const v = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return v;
}
const steps = envInt('BENCH_STEPS', 5, 1);
const layers = envInt('BENCH_LAYERS', 12, 1);
const threads = envInt('BENCH_THREADS', 2, 1);
const modes = (process.env.BENCH_MODES ?? 'lora,full').split(',').map((m) => m.trim()).filter(Boolean);
for (const m of modes) if (m !== 'lora' && m !== 'full') throw new Error(`BENCH_MODES must be a comma list of lora and full, got ${JSON.stringify(process.env.BENCH_MODES)}`);
if (modes.length === 0) throw new Error('BENCH_MODES is empty: give lora, full or lora,full');

interface Side { impl: string; mode: string; threads: number; trainable_params: number; init_ms: number; warmup_ms: number; step_ms: number[]; losses: number[]; peak_rss_mb: number; variant?: string; kernel_notes?: string[]; torch?: string }

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const tokensPerS = (s: Side) => (B * T) / (median(s.step_ms) / 1000);
const spread = (s: Side) => `${(median(s.step_ms) / 1000).toFixed(2)} s (${(Math.min(...s.step_ms) / 1000).toFixed(2)}-${(Math.max(...s.step_ms) / 1000).toFixed(2)})`;

// ---- the peer: is torch there? ------------------------------------------------------------------
const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
const torchVersion = probe.status === 0 ? probe.stdout.trim() : null;
const peerNote = torchVersion ? null : `PyTorch peer unavailable: ${PYTHON} cannot import torch (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}); apt-get install -y python3-torch libopenblas0-pthread`;

const machine = machineInfo();
const { commit, dirty } = gitState();
console.log(`train step | ${machine.cpu} x ${machine.cores} | node ${machine.node} ${benchNodeFlags().join(' ')} (${benchRunner()}, ${benchMallocSetting(false)}) | torch ${torchVersion ?? 'missing'} | commit ${commit}${dirty ? '+dirty' : ''} | load ${machine.loadavg.join(' ')}`);
console.log(`GPT-2 small shape, ${layers} layers, vocab ${V}, batch ${B} x seq ${T}, ${threads} threads, modes ${modes.join(', ')}: 1 warm-up + ${steps} timed steps per side, each side in its own process, steps alternating`);
if (peerNote) console.log(peerNote);

// ---- run: per mode, both sides started together (init overlaps), then steps in lockstep ---------
const ours: Record<string, Side> = {};
const torch: Record<string, Side> = {};
const paired: Record<string, number[]> = {}; // per timed step pair: PyTorch ms / our ms
const common = ['--mode', '', '--steps', String(steps), '--threads', String(threads), '--layers', String(layers), '--batch', String(B), '--seq', String(T)];
const withMode = (m: string) => common.map((a, i) => (i === 1 ? m : a));
for (const mode of modes) {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const [o, p] = await Promise.all([
    startLockstepBenchChild<Side>('train-run', withMode(mode), { label: `train-run --mode ${mode}`, boundedMemory: false }),
    torchVersion ? LockstepChild.start<Side>(PYTHON, [path.join(benchRoot, 'benchmarks/perf/train-pytorch.py'), ...withMode(mode)], { label: `train-pytorch.py --mode ${mode}`, env }) : null,
  ]);
  paired[mode] = [];
  for (let i = 0; i <= steps; i++) { // step 0: the warm-up
    const ms: Record<string, number> = {};
    for (const [k, c] of i % 2 ? [['p', p], ['o', o]] as const : [['o', o], ['p', p]] as const) if (c) ms[k] = (await c.step()).ms;
    if (i > 0 && p) paired[mode].push(ms.p / ms.o);
  }
  ours[mode] = await o.finish();
  if (p) torch[mode] = await p.finish();
}

// ---- correctness: both sides trained the same problem -------------------------------------------
const lnV = Math.log(V);
for (const mode of modes) {
  const o = ours[mode];
  const expected = mode === 'lora' ? layers * LORA_R * ((C + 3 * C) + (C + C)) : null; // c_attn (768 -> 2304) + c_proj (768 -> 768)
  if (expected !== null && o.trainable_params !== expected) throw new Error(`correctness: ours trains ${o.trainable_params} LoRA parameters, expected ${expected} (r=${LORA_R} on c_attn + c_proj, ${layers} layers)`);
  for (const s of [o, torch[mode]].filter(Boolean)) {
    if (!s.losses.every(Number.isFinite)) throw new Error(`correctness: ${s.impl} ${mode} produced a non-finite loss: ${s.losses}`);
    if (Math.abs(s.losses[0] - lnV) > 1) throw new Error(`correctness: ${s.impl} ${mode} warm-up loss ${s.losses[0]} is not near ln(${V}) = ${lnV.toFixed(3)} (random weights, random tokens)`);
  }
  const p = torch[mode];
  if (p) {
    if (p.trainable_params !== o.trainable_params) throw new Error(`correctness: ${mode} trainable parameters differ: ours ${o.trainable_params}, PyTorch ${p.trainable_params}`);
    if (Math.abs(p.losses[0] - o.losses[0]) > 0.25) throw new Error(`correctness: ${mode} warm-up losses differ by more than 0.25: ours ${o.losses[0]}, PyTorch ${p.losses[0]}`);
  }
}

// ---- report ---------------------------------------------------------------------------------------
const fields = (mode: string, prefix: string) => {
  const o = ours[mode];
  const p = torch[mode];
  return {
    [`${prefix}tokens_per_s`]: round(tokensPerS(o)),
    [`${prefix}pytorch_tokens_per_s`]: p ? round(tokensPerS(p)) : null,
    [`${prefix}ratio`]: p ? round(tokensPerS(o) / tokensPerS(p), 3) : null,
    [`${prefix}peak_rss_mb`]: Math.round(o.peak_rss_mb),
    [`${prefix}pytorch_peak_rss_mb`]: p ? Math.round(p.peak_rss_mb) : null,
    [`${prefix}paired_ratio`]: p ? round(median(paired[mode]), 3) : null,
  };
};
for (const mode of modes) {
  const o = ours[mode];
  const p = torch[mode];
  console.log(`${mode.padEnd(5)} ours    (cpu-wasm ${o.variant} ${o.threads}t): step ${spread(o)}, ${tokensPerS(o).toFixed(1)} tok/s, peak RSS ${o.peak_rss_mb.toFixed(0)} MB, ${o.trainable_params} trainable`);
  if (p) console.log(`${mode.padEnd(5)} PyTorch (torch ${p.torch} ${p.threads}t):        step ${spread(p)}, ${tokensPerS(p).toFixed(1)} tok/s, peak RSS ${p.peak_rss_mb.toFixed(0)} MB -> ratio ${(tokensPerS(o) / tokensPerS(p)).toFixed(3)}, paired ${median(paired[mode]).toFixed(3)} (${Math.min(...paired[mode]).toFixed(2)}-${Math.max(...paired[mode]).toFixed(2)})`);
}
const summary = {
  bench: 'train',
  ...(modes.includes('lora') ? fields('lora', '') : {}),
  ...(modes.includes('full') ? fields('full', 'full_') : {}),
  layers, steps, threads, stat: 'median',
};
const sideRecord = (s: Side) => ({ ...s, tokens_per_s: round(tokensPerS(s)), median_step_ms: round(median(s.step_ms)), step_ms: s.step_ms.map((x) => round(x)), init_ms: round(s.init_ms), warmup_ms: round(s.warmup_ms), peak_rss_mb: round(s.peak_rss_mb) });
const file = appendResult('train', {
  summary,
  // the issue's configuration: all 12 layers, >= 5 timed steps, 2 threads
  issue_config: layers === 12 && steps >= 5 && threads === 2,
  config: { layers, vocab: V, batch: B, seq: T, steps, warmup_steps: 1, lora: { r: LORA_R, alpha: 16, targets: ['attn.c_attn', 'attn.c_proj'] }, optimizer: 'AdamW lr 1e-4 wd 0, clip 1.0' },
  threads: { ours: Object.values(ours)[0]?.threads ?? threads, pytorch: Object.values(torch)[0]?.threads ?? null },
  node_flags: benchNodeFlags(), malloc: benchMallocSetting(false), runner: benchRunner(), torch: torchVersion, peer: peerNote ?? 'torch (train-pytorch.py)',
  loadavg_start: machine.loadavg, // machine.loadavg (appendResult) is the load at the end
  ours: Object.fromEntries(Object.entries(ours).map(([m, s]) => [m, sideRecord(s)])),
  pytorch: Object.fromEntries(Object.entries(torch).map(([m, s]) => [m, sideRecord(s)])),
  paired_ratios: Object.fromEntries(Object.entries(paired).map(([m, xs]) => [m, xs.map((x) => round(x, 3))])),
});
console.log(`appended to ${path.relative(process.cwd(), file)}`);
console.log(JSON.stringify(summary));
