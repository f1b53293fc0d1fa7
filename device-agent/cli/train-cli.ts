// The Node command-line GPT-2 trainer: flags -> model + data -> train loop -> adapter / weights,
// with a JSON Lines run log and resumable checkpoints. Usage: `npm run train -- --help`.
// Not the agent runtime (the controller drives agents over the hub protocol); this is the
// stand-alone path that matches the C++ original's gpt2_lora_finetune / train_full binaries.
import { appendFileSync, mkdirSync, writeFileSync, readFileSync, existsSync, openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuWasmInfo, initCpuWasmBackend, setCpuWasmThreads } from '../backends/cpu-wasm/index.js';
import { Rng } from '../core/rng.js';
import { gpt2ConfigToHf, gpt2NameToHf } from '../models/gpt2.js';
import { Gpt2Tokenizer } from '../text/gpt2-tokenizer.js';
import { TextDataset } from '../text/text-dataset.js';
import { evaluate, train } from '../train.js';
import { shardingSpec, trainSpec } from '../protocol.js';
import { exportBatches, openSharder, prepareRun } from '../run-setup.js';
import { FsShardStore } from '../memory/shard-store.js';
import { installNodeGcHook } from '../runtime/node-gc.js';
import { AdamW } from '../optim/adamw.js';
import { exportLoraAdapter, importLoraAdapter } from '../io/lora-files.js';
import { writeWeights } from '../io/weights.js';
import { loadCheckpointFrom, writeCheckpoint as writeCheckpointTo } from '../io/checkpoint.js';
import { fileSource } from '../io/byte-source.js';
import type { LogRecord } from '../run-log.js';
import type { PeftAdapterFiles } from '../io/peft-adapter.js';
import { parseFlags, usage, UsageError, type FlagValues } from './args.js';
import { trainFlags } from './train-flags.js';
import { manualReadingFromFlags, powerConfigFromFlags, powerFlags } from '../power/power-flags.js';
import { PowerMonitor, sleep } from '../power/power-monitor.js';
import { createTelemetry } from '../power/telemetry-source.js';
import { loadGpt2Dir, randomGpt2Sharded, type LoadedGpt2, type ShardWith } from './load-gpt2.js';

const AGENT_VERSION = '0.1.0';

/** Protocol field -> the CLI flag a person typed, for error messages. */
const flagOf: Record<string, string> = {
  lr: '--lr', warmupSteps: '--warmup_steps', schedule: '--schedule', minLrRatio: '--min_lr_ratio', clipGradNorm: '--clip_grad_norm',
  weightDecay: '--weight_decay', evalInterval: '--eval_interval', evalBatches: '--eval_batches', 'lora.r': '--rank', 'lora.alpha': '--alpha',
  'lora.dropout': '--lora_dropout', batchSize: '--batch_size', seqLen: '--seq_len', gradAccum: '--grad_accum_steps',
  'sharding.budgetMb': '--shard_budget_mb',
};

function writeAdapter(files: PeftAdapterFiles, out: string): string {
  const file = out.endsWith('.safetensors') ? out : path.join(out, 'adapter_model.safetensors');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, files['adapter_model.safetensors']);
  writeFileSync(path.join(path.dirname(file), 'adapter_config.json'), files['adapter_config.json']);
  return file;
}

async function loadModel(f: FlagValues, shardWith?: ShardWith): Promise<LoadedGpt2 & { name: string }> {
  if (f.pretrained_dir && f.model_config) throw new UsageError('give either --pretrained_dir or --model_config, not both');
  if (f.pretrained_dir) return { ...(await loadGpt2Dir(String(f.pretrained_dir), shardWith)), name: path.basename(path.resolve(String(f.pretrained_dir))) };
  if (f.model_config) return { ...(await randomGpt2Sharded(String(f.model_config), Number(f.init_seed), shardWith)), name: `random:${f.model_config}` };
  throw new UsageError('no model: pass --pretrained_dir <Hugging Face GPT-2 folder> (or --model_config small for random weights)');
}

/** Write a file piece by piece (checkpoints and full models never need to be in memory whole). */
function writeFilePieces(file: string, produce: (write: (bytes: Uint8Array) => void) => void): void {
  const fd = openSync(file, 'w');
  try {
    produce((bytes) => {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    });
  } finally {
    closeSync(fd);
  }
}

async function loadData(f: FlagValues, tokenizer: Gpt2Tokenizer, seqLen: number) {
  const fraction = Number(f.data_fraction);
  if (f.data_dir && f.data_file) throw new UsageError('give either --data_dir or --data_file, not both');
  if (f.data_dir) {
    const dir = String(f.data_dir);
    const trainSet = await TextDataset.load({ dir, split: 'train' }, tokenizer, { seqLen, dataFraction: fraction });
    const valid = existsSync(path.join(dir, 'wiki.valid.raw')) ? await TextDataset.load({ dir, split: 'valid' }, tokenizer, { seqLen }) : null;
    return { trainSet, valid };
  }
  if (f.data_file) {
    const trainSet = await TextDataset.load(String(f.data_file), tokenizer, { seqLen, dataFraction: fraction });
    const valid = f.eval_file ? await TextDataset.load(String(f.eval_file), tokenizer, { seqLen }) : null;
    return { trainSet, valid };
  }
  throw new UsageError('no data: pass --data_dir <WikiText-2 raw folder> or --data_file <file.txt|file.jsonl>');
}

export async function main(argv: string[]): Promise<number> {
  const flags = { ...trainFlags, ...powerFlags };
  const f = parseFlags(argv, flags);
  if (f.help) {
    console.log(usage('npm run train --', flags));
    return 0;
  }
  // the power monitor first: bad --pm_* flags fail before anything loads
  const power = new PowerMonitor(powerConfigFromFlags(f), createTelemetry({ manual: manualReadingFromFlags(f) }));
  if (f.threads !== undefined && !(Number(f.threads) >= 1)) throw new UsageError(`--threads must be at least 1, got ${f.threads}`);
  const threads = f.threads === undefined ? undefined : Number(f.threads);
  await initCpuWasmBackend(undefined, threads ? { threads } : undefined);
  if (threads) await setCpuWasmThreads(threads); // the backend may have been loaded before (in-process callers)
  installNodeGcHook();
  // which matmul build and how many threads this process really got (Node 20 needs
  // --experimental-wasm-relaxed-simd for the relaxed-SIMD one: `npm run train` passes it via run-node.mjs)
  const kernels = cpuWasmInfo()!;
  console.log(`cpu-wasm kernels: ${kernels.variant}, ${kernels.threads} thread${kernels.threads === 1 ? '' : 's'}${kernels.notes.length ? ` (${kernels.notes.join('; ')})` : ''}`);
  const fullFt = Boolean(f.full_ft);
  // with sharding the model is built lazily, each tensor stored as it is loaded (never whole in memory)
  const sharding = f.shard_enable ? shardingSpec.safeParse({ enabled: true, budgetMb: f.shard_budget_mb, fp16: Boolean(f.shard_fp16_disk), store: 'fs', dir: f.shard_dir }) : null;
  if (sharding && !sharding.success) throw new UsageError(sharding.error.issues.map((i) => `${flagOf[`sharding.${i.path.join('.')}`] ?? i.path.join('.')}: ${i.message}`).join('; '));
  const shardWith: ShardWith | undefined = sharding?.data ? (params) => openSharder({ mode: fullFt ? 'full' : 'lora', sharding: sharding.data }, params, () => FsShardStore.open(String(f.shard_dir))) : undefined;
  const { model, name, sharder: lazySharder } = await loadModel(f, shardWith);
  const tokDir = String(f.tokenizer_dir ?? f.pretrained_dir ?? '');
  if (!tokDir) throw new UsageError('no tokenizer: pass --tokenizer_dir (a folder with vocab.json + merges.txt or tokenizer.json)');
  const tokenizer = await Gpt2Tokenizer.fromDir(tokDir);
  if (tokenizer.vocabSize > model.config.vocabSize) throw new Error(`tokenizer in ${tokDir} has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocabSize}; use the tokenizer that belongs to the model`);

  const seed = Number(f.seed);
  const seqLen = Number(f.seq_len);
  if (seqLen > model.config.nPositions) throw new UsageError(`--seq_len ${seqLen} exceeds the model's ${model.config.nPositions} positions`);
  const { trainSet, valid } = await loadData(f, tokenizer, seqLen);
  const B = Number(f.batch_size);
  const accum = Number(f.grad_accum_steps);
  const maxSteps = Number(f.max_steps ?? 0) || Number(f.steps ?? 0);
  const steps = maxSteps > 0 ? maxSteps : Number(f.epochs) * trainSet.stepsPerEpoch(B, accum);
  if (steps <= 0) throw new UsageError(`nothing to train: set --max_steps N or --epochs N (one epoch is ${trainSet.stepsPerEpoch(B, accum)} steps at --batch_size ${B} --grad_accum_steps ${accum})`);

  const parsed = trainSpec.safeParse({
    mode: fullFt ? 'full' : 'lora', steps, batchSize: B, seqLen, gradAccum: accum, lr: f.lr, warmupSteps: f.warmup_steps, schedule: f.schedule,
    minLrRatio: f.min_lr_ratio, clipGradNorm: f.clip_grad_norm, weightDecay: f.weight_decay, seed, evalInterval: f.eval_interval, evalBatches: f.eval_batches,
    lora: fullFt ? undefined : { r: f.rank, alpha: f.alpha, dropout: f.lora_dropout, targets: String(f.lora_targets).split(',').map((s) => s.trim()).filter(Boolean) },
    sharding: sharding?.data,
    recompute: f.recompute ? true : undefined,
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path[0] === 'lora' && i.path[1] === 'targets' ? '--lora_targets' : (flagOf[i.path.join('.')] ?? i.path.join('.'))}: ${i.message}`).join('; '));
  const { trainable, cfg, nextBatch, evalBatches, trainableParams, totalParams, sharder } = await prepareRun(model, parsed.data, trainSet, valid, { openStore: () => FsShardStore.open(String(f.shard_dir)), sharder: lazySharder });
  if (f.init_adapter && model.lora) {
    const dir = String(f.init_adapter);
    const st = path.join(dir, 'adapter_model.safetensors');
    importLoraAdapter(model, { safetensors: new Uint8Array(readFileSync(st)), configJson: readFileSync(path.join(dir, 'adapter_config.json'), 'utf8') }, st, gpt2NameToHf);
  }

  if (f.export_batches) writeFileSync(String(f.export_batches), exportBatches(trainSet, parsed.data));
  if (f.lora_init_out && model.lora) writeAdapter(exportLoraAdapter(model, gpt2NameToHf, name), String(f.lora_init_out));

  const fingerprint = JSON.stringify({ name, full: fullFt, rank: f.rank, targets: f.lora_targets, B, seqLen, accum, steps, seed });
  let resume: { optimizer: AdamW; step: number } | undefined;
  if (f.resume_from) {
    const optimizer = new AdamW(model.params, cfg.adamw);
    const file = String(f.resume_from);
    const src = await fileSource(file); // read tensor by tensor: a full fine-tuning checkpoint is 3x the model
    const step = await loadCheckpointFrom(model.params, optimizer, src, file, fingerprint).finally(() => src.close());
    for (let i = 0; i < step * accum; i++) nextBatch(); // replay the data order up to the checkpoint
    resume = { optimizer, step };
  }

  const logPath = f.log ? String(f.log) : null;
  if (logPath) mkdirSync(path.dirname(path.resolve(logPath)), { recursive: true });
  const log = (r: LogRecord) => {
    if (logPath) appendFileSync(logPath, JSON.stringify(r) + '\n'); // one line per record: a crash keeps what was written
    if (r.type === 'step' && (r.step % Number(f.log_interval) === 0 || r.step === steps)) {
      console.log(`step ${r.step}/${steps} | loss ${r.loss.toFixed(4)} | lr ${r.lr.toExponential(2)} | ${Math.round((B * seqLen * accum) / (r.ms / 1000))} tok/s | ${r.ms.toFixed(0)} ms`);
    } else if (r.type === 'eval') console.log(`eval @ step ${r.step} | loss ${r.loss.toFixed(4)} | ppl ${r.ppl.toFixed(2)}`);
  };
  log({ type: 'run', impl: 'fleettune', agent_version: AGENT_VERSION, model: name, mode: fullFt ? 'full' : 'lora', started_at: new Date().toISOString(),
    config: { ...cfg, lora: model.lora?.config ?? null, seed, trainable_params: trainableParams, total_params: totalParams, train_windows: trainSet.numWindows, backend: 'cpu-wasm', kernels } });
  console.log(`${name}: ${fullFt ? 'full fine-tuning' : 'LoRA'}, ${trainableParams} of ${totalParams} parameters train, ${trainSet.numWindows} windows of ${seqLen} tokens`);

  const ckpt = f.checkpoint ? String(f.checkpoint) : null;
  // periodic checkpoints go to <stem>_step<N>.safetensors (as the original), the final one to --checkpoint
  const writeCheckpoint = (step: number, optimizer: AdamW, periodic: boolean) => {
    if (!ckpt) return;
    const file = periodic ? ckpt.replace(/(\.safetensors)?$/, `_step${step}.safetensors`) : ckpt;
    writeFilePieces(file, (write) => writeCheckpointTo(model.params, optimizer, { step, fingerprint }, write));
  };
  const result = await train(trainable, cfg, {
    nextBatch, evalBatches, log,
    afterStep: async (step, optimizer) => {
      if (Number(f.save_every) > 0 && step % Number(f.save_every) === 0 && step < cfg.steps) writeCheckpoint(step, optimizer, true);
      if (!power.active) return;
      const d = await power.afterStep(step);
      if (d.fresh) console.log(`power @ step ${step}: ${d.state}, sleep ${d.sleepMs} ms: ${d.reason}`);
      if (step < cfg.steps && d.sleepMs > 0) await sleep(d.sleepMs); // not counted in the step's ms, so tok/s stays honest
    },
  }, resume);
  if (evalBatches && cfg.evalInterval === 0) log(evaluate(trainable, evalBatches(), B, seqLen, result.steps));
  writeCheckpoint(result.steps, result.optimizer, false);

  if (f.lora_out && model.lora) console.log(`adapter: ${writeAdapter(exportLoraAdapter(model, gpt2NameToHf, name), String(f.lora_out))}`);
  if (f.model_out) {
    const dir = String(f.model_out);
    mkdirSync(dir, { recursive: true });
    writeFilePieces(path.join(dir, 'model.safetensors'), (write) => writeWeights(model.params, gpt2NameToHf, write));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(gpt2ConfigToHf(model.config), null, 2));
    console.log(`model: ${dir}`);
  }
  const shard = sharder?.getStats();
  sharder?.close();
  log({ type: 'done', steps: result.steps, final_loss: result.finalLoss, tokens: result.tokens, ms: result.ms, peak_rss_mb: process.resourceUsage().maxRSS / 1024, ...(shard ? { shard } : {}) });
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`error: ${e.message}`);
      if (e instanceof UsageError) console.error('run with --help to list the flags');
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
