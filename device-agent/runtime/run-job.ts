// Runs one `job` message on this device: fetch the model, tokenizer and data from the hub, train
// with the shared run setup, stream step / eval / memory messages, upload the adapter, report done.
// Environment-neutral (Node and browsers): all I/O goes through the JobContext the caller gives.
import type { AgentMessage, JobMessage } from '../protocol.js';
import { gpt2ConfigFromHf, gpt2NameToHf, type Gpt2 } from '../models/gpt2.js';
import { saveWeights } from '../io/weights.js';
import type { ByteSource } from '../io/byte-source.js';
import { exportLoraAdapter } from '../io/lora-files.js';
import { Gpt2Tokenizer } from '../text/gpt2-tokenizer.js';
import { TextDataset } from '../text/text-dataset.js';
import { buildGpt2, exportBatches, openSharder, prepareRun, type OpenShardStore } from '../run-setup.js';
import type { ParameterSharder } from '../memory/parameter-sharder.js';
import type { Param } from '../core/parameter-table.js';
import { evaluate, train } from '../train.js';
import { memoryStats, resetPeak } from '../core/memory-tracker.js';
import { activeBackend } from '../core/registry.js';
import { cpuWasmInfo, setCpuWasmThreads } from '../backends/cpu-wasm/index.js';
import { PowerMonitor, powerMessage, sleep } from '../power/power-monitor.js';
import { createTelemetry, type PushedTelemetry } from '../power/telemetry-source.js';
import { powerConfigFromSpec } from '../power/power-spec.js';

export interface JobContext {
  send(msg: AgentMessage): void;
  cancelled(): string | null;
  fetchBytes(url: string): Promise<Uint8Array>;
  /** The file at url read piece by piece (sharded models load tensor by tensor from it). */
  fetchSource?(url: string): Promise<ByteSource>;
  fetchText(url: string): Promise<string>;
  /** PUT bytes to url, resolve the hub's {sha256, bytes}. */
  upload(url: string, bytes: Uint8Array): Promise<{ sha256: string; bytes: number }>;
  /** Readings pushed by the controller (telemetry messages). */
  telemetry?: PushedTelemetry;
  /** The runtime's shard store (fs in Node, OPFS in browsers). */
  openShardStore?: OpenShardStore;
  /** Let queued network events (cancel, telemetry) run between steps. */
  yieldToEvents(): Promise<void>;
}

async function loadModel(job: JobMessage, ctx: JobContext): Promise<{ model: Gpt2; sharder: ParameterSharder | null }> {
  const src = job.model;
  const shardWith = job.train.sharding?.enabled ? (params: Param[]) => openSharder(job.train, params, ctx.openShardStore) : undefined;
  if (src.kind === 'random') return buildGpt2(gpt2ConfigFromHf(src.config, `${src.name} config`), { kind: 'random', seed: src.initSeed }, shardWith);
  const config = gpt2ConfigFromHf(JSON.parse(await ctx.fetchText(src.config)) as Record<string, unknown>, `${src.name}/config.json`);
  const source = `${src.name}/model.safetensors`;
  // a sharded model must never hold its weights file whole: read it tensor by tensor from the hub
  if (shardWith && ctx.fetchSource) {
    const file = await ctx.fetchSource(src.weights);
    try {
      return await buildGpt2(config, { kind: 'safetensors-source', src: file, source }, shardWith);
    } finally {
      await file.close();
    }
  }
  return buildGpt2(config, { kind: 'safetensors', bytes: await ctx.fetchBytes(src.weights), source }, shardWith);
}

async function loadTokenizer(job: JobMessage, ctx: JobContext): Promise<Gpt2Tokenizer> {
  const t = job.tokenizer;
  if ('tokenizerJson' in t) return Gpt2Tokenizer.fromTokenizerJson(await ctx.fetchText(t.tokenizerJson));
  return Gpt2Tokenizer.fromVocabAndMerges(await ctx.fetchText(t.vocab), await ctx.fetchText(t.merges));
}

export async function runJob(job: JobMessage, ctx: JobContext): Promise<void> {
  const { jobId } = job;
  resetPeak();
  if (job.train.threads) await setCpuWasmThreads(job.train.threads);
  const { model, sharder } = await loadModel(job, ctx);
  const tokenizer = await loadTokenizer(job, ctx);
  const opts = { seqLen: job.train.seqLen, format: job.data.format };
  const trainSet = TextDataset.fromText(await ctx.fetchText(job.data.train), tokenizer, { ...opts, source: 'training data' });
  const valid = job.data.valid ? TextDataset.fromText(await ctx.fetchText(job.data.valid), tokenizer, { ...opts, source: 'validation data' }) : null;
  // a sharded model never exists whole, so its random initial weights cannot be exported for a reference
  const initialWeights = job.exportInputs && job.model.kind === 'random' && !sharder ? saveWeights(model.params, gpt2NameToHf) : null;
  const run = await prepareRun(model, job.train, trainSet, valid, { openStore: ctx.openShardStore, sharder });
  if (job.exportInputs) {
    if (!job.artifactUrl) throw new Error('job asks for exportInputs but gives no artifactUrl');
    const inputs: [string, Uint8Array][] = [['batches.bin', exportBatches(trainSet, job.train)]];
    if (model.lora) inputs.push(['lora_init.safetensors', exportLoraAdapter(model, gpt2NameToHf, job.model.name)['adapter_model.safetensors']]);
    if (initialWeights) inputs.push(['model_init.safetensors', initialWeights]);
    for (const [name, bytes] of inputs) {
      const up = await ctx.upload(`${job.artifactUrl}/${name}`, bytes);
      ctx.send({ type: 'artifact', jobId, kind: 'input', name, bytes: up.bytes, sha256: up.sha256 });
    }
  }
  ctx.send({ type: 'started', jobId, trainableParams: run.trainableParams, totalParams: run.totalParams, trainWindows: trainSet.numWindows, backend: activeBackend(), threads: cpuWasmInfo()?.threads });

  let lastMemory = 0;
  const sendMemory = () => {
    lastMemory = Date.now();
    const shard = run.sharder?.getStats();
    ctx.send({ type: 'memory', jobId, ...memoryStats(), ...(shard ? { shardResidentBytes: shard.residentBytes, offloadReads: shard.reads, offloadWrites: shard.writes } : {}) });
  };
  sendMemory();
  const powerCfg = powerConfigFromSpec(job.power);
  if (ctx.telemetry) ctx.telemetry.maxAgeMs = powerCfg.telemetryMaxAgeMs;
  const power = new PowerMonitor(powerCfg, createTelemetry({ pushed: ctx.telemetry }));
  const held: AgentMessage[] = []; // a step waits for its power decision, so its sleepMs is right
  const result = await train(run.trainable, run.cfg, {
    nextBatch: run.nextBatch,
    evalBatches: run.evalBatches,
    shouldStop: () => ctx.cancelled() !== null,
    log: (r) => {
      if (r.type === 'step') held.push({ type: 'step', jobId, step: r.step, loss: r.loss, lr: r.lr, tokens: r.tokens, ms: r.ms, gradNorm: r.grad_norm ?? 0, sleepMs: 0 });
      else if (r.type === 'eval') held.push({ type: 'eval', jobId, step: r.step, split: r.split, loss: r.loss, ppl: r.ppl });
    },
    afterStep: async (step) => {
      const d = power.active ? await power.afterStep(step) : null;
      const sleepMs = d && step < run.cfg.steps ? d.sleepMs : 0; // no sleep after the last step
      for (const m of held.splice(0)) ctx.send(m.type === 'step' ? { ...m, sleepMs } : m);
      if (d?.fresh) ctx.send({ type: 'power', jobId, ...powerMessage(d) });
      if (Date.now() - lastMemory >= job.memoryIntervalMs) sendMemory();
      await ctx.yieldToEvents();
      if (sleepMs > 0) await sleep(sleepMs, () => ctx.cancelled() !== null);
    },
  });
  for (const m of held.splice(0)) ctx.send(m);
  const cancelled = ctx.cancelled() !== null;
  if (!cancelled && run.evalBatches && run.cfg.evalInterval === 0) {
    const e = evaluate(run.trainable, run.evalBatches(), run.cfg.batchSize, run.cfg.seqLen, result.steps);
    ctx.send({ type: 'eval', jobId, step: e.step, split: e.split, loss: e.loss, ppl: e.ppl });
  }
  sendMemory();
  if (!cancelled && job.artifactUrl) {
    const adapter = model.lora ? exportLoraAdapter(model, gpt2NameToHf, job.model.name) : null;
    const files: [string, Uint8Array][] = adapter
      ? [['adapter_model.safetensors', adapter['adapter_model.safetensors']], ['adapter_config.json', new TextEncoder().encode(adapter['adapter_config.json'])]]
      : [['model.safetensors', saveWeights(model.params, gpt2NameToHf)]];
    for (const [name, bytes] of files) {
      const up = await ctx.upload(`${job.artifactUrl}/${name}`, bytes);
      ctx.send({ type: 'artifact', jobId, kind: adapter ? 'adapter' : 'model', name, bytes: up.bytes, sha256: up.sha256 });
    }
  }
  run.sharder?.close();
  ctx.send({ type: 'done', jobId, steps: result.steps, finalLoss: result.finalLoss, tokens: result.tokens, ms: result.ms, cancelled });
}
