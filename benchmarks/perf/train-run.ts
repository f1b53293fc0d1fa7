// Our side of `npm run bench:train`, one process per mode (so its peak RSS is its own): a
// GPT-2-small-shaped model (random weights, vocab 50257), LoRA r=8 alpha 16 on attn.c_attn +
// attn.c_proj or full fine-tuning, AdamW (lr 1e-4, no weight decay, gradient clipping at 1.0 as the
// trainer's default), --steps timed steps after one warm-up step, through the real training loop
// (train.ts) on the cpu-wasm backend with --threads threads, as the agent runs it (GC hook included).
// Prints progress on stderr and one JSON line last on stdout. Run by train.bench.ts
// (../lib/node-child.ts); --layers, --batch, --seq shrink it for development and tests.
// --lockstep (the bench's way, so that PyTorch's steps alternate with ours under the same load):
// after init print {"ready":true}, then before each step wait for a line on stdin and after it
// print {"step","ms","loss"}.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpuWasmInfo, initCpuWasmBackend } from '../../device-agent/backends/cpu-wasm/index.js';
import { gpt2Presets, gpt2Trainable } from '../../device-agent/models/gpt2.js';
import { buildGpt2 } from '../../device-agent/run-setup.js';
import { addLora } from '../../device-agent/nn/lora.js';
import { Rng } from '../../device-agent/core/rng.js';
import { installNodeGcHook } from '../../device-agent/runtime/node-gc.js';
import { defaultTrainConfig, train } from '../../device-agent/train.js';
import { lockstepSide } from '../lib/lockstep-side.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'lora' },
    steps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    layers: { type: 'string', default: '12' },
    batch: { type: 'string', default: '4' },
    seq: { type: 'string', default: '128' },
    lockstep: { type: 'boolean', default: false },
  },
});
const int = (name: keyof typeof values, min: number) => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(values[name])}`);
  return v;
};
const mode = values.mode;
if (mode !== 'lora' && mode !== 'full') throw new Error(`--mode must be lora or full, got ${JSON.stringify(mode)}`);
const steps = int('steps', 1);
const threads = int('threads', 1);
const B = int('batch', 1);
const T = int('seq', 1);
const cfg = { ...gpt2Presets.small, nLayer: int('layers', 1) };
if (T > cfg.nPositions) throw new Error(`--seq ${T} exceeds GPT-2's ${cfg.nPositions} positions`);
const vmHwmMb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;

await initCpuWasmBackend(undefined, { threads });
installNodeGcHook(); // as the agent does
const kernels = cpuWasmInfo()!;
const t0 = performance.now();
const { model } = await buildGpt2(cfg, { kind: 'random', seed: 1234 });
if (mode === 'full') model.params.setTrainable(() => true);
else addLora(model, cfg.nLayer, { r: 8, alpha: 16, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj'] }, 42);
const initMs = performance.now() - t0;
const rng = new Rng(7);
const batches = Array.from({ length: steps + 1 }, () => Int32Array.from({ length: B * (T + 1) }, () => rng.int(cfg.vocabSize)));
let next = 0;
const losses: number[] = [];
const stepMs: number[] = [];
const lockstep = lockstepSide(values.lockstep ?? false);
await lockstep.ready();
await train(gpt2Trainable(model), { ...defaultTrainConfig, steps: steps + 1, batchSize: B, seqLen: T, lr: 1e-4, warmupSteps: 0, schedule: 'constant' }, {
  nextBatch: () => batches[next++],
  log: (r) => {
    if (r.type !== 'step') return;
    losses.push(r.loss);
    stepMs.push(r.ms);
    console.error(`  ours ${mode} step ${r.step}/${steps + 1}${r.step === 1 ? ' (warm-up)' : ''}: ${(r.ms / 1000).toFixed(2)} s, loss ${r.loss.toFixed(4)}`);
    lockstep.stepDone(r.step, r.ms, r.loss);
  },
  afterStep: async (step) => {
    if (step < steps + 1) await lockstep.turn();
  },
});
lockstep.close();
console.log(JSON.stringify({
  impl: 'fleettune', mode, threads: kernels.threads, variant: kernels.variant, kernel_notes: kernels.notes, layers: cfg.nLayer, batch: B, seq: T,
  trainable_params: model.params.numel((p) => p.tensor.requiresGrad), total_params: model.params.numel(),
  init_ms: initMs, warmup_ms: stepMs[0], step_ms: stepMs.slice(1), losses, peak_rss_mb: vmHwmMb(),
}));
