// One configuration of the memory benchmark, in its own process so its peak RSS is its own:
// GPT-2-small-shaped model (random weights, vocab 50257), LoRA r=8 on c_attn + c_proj, batch 4 x
// seq 128, a few AdamW steps; prints one JSON line with the OS peak RSS (VmHWM), losses, step ms and
// sharder stats. Run by memory.bench.ts (bundled, under plain node with the agent's flags: ../lib/node-child.ts);
// `--budget 0` is the unsharded baseline. phases: VmHWM after start (kernels loaded), init, each step.
// --lockstep: prints {"ready":true} once initialised, then runs one step per line read from stdin and
// prints {"step","ms","loss"} after it (../lib/node-child.ts LockstepChild), so that the bench can
// alternate a sharded run's steps with the baseline's under the same load.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { initCpuWasmBackend } from '../../device-agent/backends/cpu-wasm/index.js';
import { gpt2Presets, gpt2Trainable } from '../../device-agent/models/gpt2.js';
import { buildGpt2 } from '../../device-agent/run-setup.js';
import type { Param } from '../../device-agent/core/parameter-table.js';
import { addLora } from '../../device-agent/nn/lora.js';
import { Rng } from '../../device-agent/core/rng.js';
import { installNodeGcHook } from '../../device-agent/runtime/node-gc.js';
import { memoryStats } from '../../device-agent/core/memory-tracker.js';
import { ParameterSharder } from '../../device-agent/memory/parameter-sharder.js';
import { FsShardStore } from '../../device-agent/memory/shard-store.js';
import { LM_HEAD_CHUNK } from '../../device-agent/nn/functional.js';
import { defaultTrainConfig, train } from '../../device-agent/train.js';
import { lockstepSide } from '../lib/lockstep-side.js';

const { values } = parseArgs({ options: { budget: { type: 'string', default: '0' }, fp16: { type: 'string', default: '1' }, steps: { type: 'string', default: '3' }, recompute: { type: 'string' }, lockstep: { type: 'boolean', default: false } } });
const budgetMb = Number(values.budget);
const steps = Number(values.steps);
const status = () => readFileSync('/proc/self/status', 'utf8');
const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status())?.[1] ?? NaN);

await initCpuWasmBackend();
installNodeGcHook(); // as the agent does
const phases: Record<string, number> = { start: kb('VmHWM') / 1024 };
const cfg = gpt2Presets.small;
// sharded: a lazy table, each frozen tensor stored and dropped right after its init (the model never exists whole)
const shardWith = budgetMb > 0
  ? async (params: Param[]) => {
      const config = { budgetBytes: budgetMb * 2 ** 20, fp16: values.fp16 === '1', rowChunk: LM_HEAD_CHUNK, chunkAboveBytes: 16 * 2 ** 20 };
      const s = new ParameterSharder(await FsShardStore.open(os.tmpdir()), config);
      s.check(params);
      return s;
    }
  : undefined;
const { model, sharder } = await buildGpt2(cfg, { kind: 'random', seed: 1234 }, shardWith);
phases.initialised = kb('VmHWM') / 1024;
model.recompute = values.recompute ? values.recompute === '1' : budgetMb > 0;
addLora(model, cfg.nLayer, { r: 8, alpha: 16, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj'] }, 42);
const rng = new Rng(7);
const B = 4;
const T = 128;
const batches = Array.from({ length: steps }, () => Int32Array.from({ length: B * (T + 1) }, () => rng.int(cfg.vocabSize)));
let i = 0;
const losses: number[] = [];
const ms: number[] = [];
// CPU time (user + system, all threads) and minor page faults per step: what a memory setting costs,
// less disturbed than wall time by other work on a shared machine
const cpuMs: number[] = [];
const sysMs: number[] = [];
const faults: number[] = [];
const lockstep = lockstepSide(values.lockstep ?? false);
await lockstep.ready();
let ru = process.resourceUsage();
await train(gpt2Trainable(model), { ...defaultTrainConfig, steps, batchSize: B, seqLen: T, lr: 1e-3, warmupSteps: 0, schedule: 'constant' }, {
  nextBatch: () => batches[i++],
  log: (r) => {
    if (r.type !== 'step') return;
    const now = process.resourceUsage();
    losses.push(r.loss);
    ms.push(r.ms);
    cpuMs.push((now.userCPUTime + now.systemCPUTime - ru.userCPUTime - ru.systemCPUTime) / 1000);
    sysMs.push((now.systemCPUTime - ru.systemCPUTime) / 1000);
    faults.push(now.minorPageFault - ru.minorPageFault);
    ru = now;
    phases[`step${r.step}`] = kb('VmHWM') / 1024;
    lockstep.stepDone(r.step, r.ms, r.loss);
  },
  afterStep: async (step) => {
    if (step < steps) await lockstep.turn();
    ru = process.resourceUsage(); // not the time spent waiting for the other side
  },
});
console.log(JSON.stringify({ budgetMb, fp16: values.fp16 === '1', recompute: model.recompute, steps, peakRssMb: kb('VmHWM') / 1024, swapMb: kb('VmSwap') / 1024, losses, stepMs: ms, stepCpuMs: cpuMs, stepSysMs: sysMs, stepMinorFaults: faults, peakTrackedMb: memoryStats().peakTrackedBytes / 2 ** 20, phases, shard: sharder?.getStats() ?? null }));
lockstep.close();
sharder?.close();
