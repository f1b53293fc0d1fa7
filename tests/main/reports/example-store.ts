// Test fixture (not a test): an in-memory ResultsStore holding one plausible suite run of GPT-2
// LoRA on four devices, baseline vs sharded (128 MB budget), plus a PyTorch reference log imported
// outside the suite. Seeded, so every run of the tests sees the same numbers. Energy is measured on
// the Android phones only (one of them charging); this computer and the iPhone have none, to
// exercise "not measured". The numbers are synthetic: they test the report, not the trainer.
import { ResultsStore } from '../../../main/store/results-store';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const STEPS = 600;
const TOKENS_PER_STEP = 4 * 128;
const MiB = 1024 * 1024;

interface DeviceSpec {
  id: string;
  transport: string;
  model: string | null;
  os: string;
  osVersion: string;
  browser: string;
  stepMs: number;
  rssMiB: number;
  energyW: number | null;
  temp: [number, number] | null;
  charging: boolean | null;
  swapMiB?: number;
}

const devices: DeviceSpec[] = [
  { id: '2A211FDH300B7R', transport: 'adb', model: 'Pixel 7', os: 'Android', osVersion: '14', browser: 'Chrome 131', stepMs: 420, rssMiB: 1450, energyW: 3.2, temp: [31, 41.5], charging: false },
  { id: 'R58W20XJ4LA', transport: 'adb', model: 'Galaxy A54', os: 'Android', osVersion: '14', browser: 'Chrome 131', stepMs: 650, rssMiB: 1380, energyW: 2.7, temp: [29.5, 38], charging: true, swapMiB: 64 },
  { id: 'local', transport: 'local', model: null, os: 'Linux', osVersion: '6.8', browser: 'Node 20.20', stepMs: 95, rssMiB: 1100, energyW: null, temp: null, charging: null },
  { id: '00008110-001A2B3C4D5E', transport: 'appium', model: 'iPhone 13', os: 'iOS', osVersion: '17.5', browser: 'Safari 17.5', stepMs: 560, rssMiB: 1300, energyW: null, temp: null, charging: false },
];

export const referenceLoss = (rng: () => number) => Array.from({ length: STEPS }, (_, i) => 1.2 + 2.8 * Math.exp(-(i + 1) / 120) + 0.12 * (rng() - 0.5));

export function pytorchLog(losses: readonly number[]): string {
  const lines: object[] = [{ type: 'run', impl: 'pytorch', torch: '2.5.1', threads: 8, job: { mode: 'lora', model_dir: 'models/gpt2', steps: STEPS, batch_size: 4, seq_len: 128, grad_accum: 1, lr: 2e-4, schedule: 'cosine' } }];
  losses.forEach((loss, i) => lines.push({ type: 'step', step: i + 1, loss, lr: 2e-4, tokens: (i + 1) * TOKENS_PER_STEP, ms: 180 + (i % 7), grad_norm: 0.8 }));
  lines.push({ type: 'eval', step: STEPS, split: 'valid', loss: losses[STEPS - 1] + 0.2, ppl: Math.exp(losses[STEPS - 1] + 0.2) });
  lines.push({ type: 'done', steps: STEPS, final_loss: losses[STEPS - 1], tokens: STEPS * TOKENS_PER_STEP, ms: STEPS * 183, peak_rss_mb: 1650 });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

export function buildExampleStore(): { store: ResultsStore; suiteRunId: string; referenceRunId: string } {
  const rng = mulberry32(7);
  const store = ResultsStore.open(':memory:');
  const ref = referenceLoss(rng);
  const referenceRunId = store.importReferenceLog(pytorchLog(ref), 'benchmarks/results/gpt2_lora_reference.jsonl', { name: 'PyTorch gpt2 lora (CPU)', jobKey: 'gpt2-lora/baseline' });

  const suite = { name: 'gpt2-lora-sharding', jobs: [{ key: 'gpt2-lora/baseline' }, { key: 'gpt2-lora/sharded-128', sharding: { enabled: true, budgetMb: 128 } }] };
  const suiteRunId = store.createSuiteRun({ suiteName: suite.name, suite, outDir: 'runs/gpt2-lora-sharding', startedAt: '2026-11-29T08:00:00.000Z' });
  for (const d of devices) store.upsertDevice({ id: d.id, transport: d.transport, model: d.model, os: d.os, osVersion: d.osVersion, browser: d.browser });

  for (const d of devices) {
    for (const sharded of [false, true]) {
      if (sharded && (d.id === 'local' || d.transport === 'appium')) continue;
      const jobKey = sharded ? 'gpt2-lora/sharded-128' : 'gpt2-lora/baseline';
      const job = {
        model: { kind: 'files', name: 'gpt2' },
        train: { mode: 'lora', steps: STEPS, batchSize: 4, seqLen: 128, gradAccum: 1, lr: 2e-4, schedule: 'cosine', lora: { r: 8, alpha: 16, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj'] } },
        sharding: { enabled: sharded, budgetMb: sharded ? 128 : null },
      };
      const id = store.createRun({
        suiteRunId, jobKey, deviceId: d.id, kind: 'device', impl: 'fleettune', job,
        conditions: {
          deviceModel: d.model, os: d.os, osVersion: d.osVersion, browser: d.browser.split(' ')[0], browserVersion: d.browser.split(' ')[1],
          backend: 'cpu-wasm', backendLimits: { simd: true, threads: d.id === 'local' ? 8 : 4 }, agentVersion: '0.1.0', gitCommit: 'a8bb442',
          suiteName: suite.name, model: 'gpt2', mode: 'lora', startTemperatureC: d.temp?.[0] ?? null, charging: d.charging,
          memorySampleIntervalMs: 1000, powerSampleIntervalMs: d.energyW ? 1000 : null,
        },
      });
      store.setRunStatus(id, 'running', { startedAt: '2026-11-29T08:00:05.000Z' });
      const stepMs = d.stepMs * (sharded ? 1.22 : 1);
      const steps = ref.map((r, i) => ({
        step: i + 1,
        loss: r + 0.002 * Math.sin(i / 30) + (sharded ? 0.012 * (i / STEPS) : 0) + 0.0015 * (rng() - 0.5),
        lr: 2e-4, tokens: (i + 1) * TOKENS_PER_STEP, ms: stepMs * (i < 2 ? 3 : 0.9 + 0.2 * rng()), gradNorm: 0.8, sleepMs: 0,
      }));
      for (let i = 0; i < steps.length; i += 100) store.addSteps(id, steps.slice(i, i + 100));
      for (let s = 100; s <= STEPS; s += 100) store.addEval(id, { step: s, split: 'valid', loss: ref[s - 1] + 0.2, ppl: Math.exp(ref[s - 1] + 0.2) });
      const durationMs = STEPS * stepMs;
      const peak = (sharded ? 820 : d.rssMiB) * MiB;
      const tracked = (sharded ? 310 : 900) * MiB;
      const memory = [];
      const power = [];
      for (let t = 0; t <= durationMs; t += 1000) {
        const f = Math.min(1, t / 8000);
        memory.push({ tMs: t, rssBytes: peak * (0.55 + 0.43 * f + 0.02 * rng()), hwmBytes: peak * (0.55 + 0.45 * f), swapBytes: d.swapMiB && !sharded ? d.swapMiB * MiB * f : 0, trackedBytes: tracked * f, peakTrackedBytes: tracked * f, shardResidentBytes: sharded ? 128 * MiB * f : null });
        if (d.energyW || d.transport === 'appium') {
          const w = d.energyW ? d.energyW * (sharded ? 1.05 : 1) * (0.9 + 0.2 * rng()) : null;
          const temp = d.temp ? d.temp[0] + (d.temp[1] - d.temp[0]) * (1 - Math.exp(-t / 90000)) : null;
          power.push({ tMs: t, powerW: w, energyJ: w == null ? null : (d.energyW! * (sharded ? 1.05 : 1) * t) / 1000, temperatureC: temp, batteryPct: 80 - t / 60000, charging: d.charging, source: d.energyW ? 'sysfs current_now*voltage_now' : 'mobile: batteryInfo' });
        }
      }
      store.addMemorySamples(id, memory);
      if (power.length) store.addPowerSamples(id, power);
      store.addArtifact(id, { kind: 'adapter', name: 'adapter_model.safetensors', path: `runs/${id}/adapter_model.safetensors`, bytes: 2_362_368, sha256: 'c0ffee'.padEnd(64, '0') });
      store.setRunStatus(id, 'done', { finishedAt: new Date(Date.parse('2026-11-29T08:00:05.000Z') + durationMs).toISOString() });
    }
  }
  store.finishSuiteRun(suiteRunId, 'done', '2026-11-29T08:12:00.000Z');
  return { store, suiteRunId, referenceRunId };
}
