// Node-side loading of a GPT-2 model for the CLIs: a Hugging Face directory (config.json,
// model.safetensors, tokenizer files) or a named/JSON config with seeded random weights (for
// benchmarks and tests, where no pretrained weights can be downloaded). Browser agents fetch the
// same files over the hub instead; only this file touches the file system.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gpt2ConfigFromHf, gpt2Presets, type Gpt2, type Gpt2Config } from '../models/gpt2.js';
import { buildGpt2 } from '../run-setup.js';
import { fileSource } from '../io/byte-source.js';
import type { Param } from '../core/parameter-table.js';
import type { ParameterSharder } from '../memory/parameter-sharder.js';

/** Opens the sharder for a model's parameters (run-setup's openSharder with the run's settings). */
export type ShardWith = (params: Param[]) => Promise<ParameterSharder>;
export interface LoadedGpt2 {
  model: Gpt2;
  sharder: ParameterSharder | null;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

export async function readJsonFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file}: cannot read the file; check the path`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** A Hugging Face GPT-2 directory: config.json + model.safetensors. */
export async function loadPretrainedGpt2(dir: string): Promise<Gpt2> {
  return (await loadGpt2Dir(dir)).model;
}

/**
 * A Hugging Face GPT-2 directory, its weights read tensor by tensor from model.safetensors (the
 * file is never in memory whole); with `shardWith` each tensor goes straight to the sharder.
 */
export async function loadGpt2Dir(dir: string, shardWith?: ShardWith): Promise<LoadedGpt2> {
  const cfgPath = path.join(dir, 'config.json');
  if (!(await exists(cfgPath))) throw new Error(`${dir}: no config.json; --pretrained_dir must be a Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json, merges.txt)`);
  const config = gpt2ConfigFromHf(await readJsonFile(cfgPath), cfgPath);
  const weightsPath = path.join(dir, 'model.safetensors');
  if (!(await exists(weightsPath))) {
    const hint = (await exists(path.join(dir, 'pytorch_model.bin'))) ? ' (found pytorch_model.bin: download model.safetensors instead, or convert it with safetensors.torch.save_file)' : '';
    throw new Error(`${dir}: no model.safetensors${hint}`);
  }
  const src = await fileSource(weightsPath);
  try {
    return await buildGpt2(config, { kind: 'safetensors-source', src, source: weightsPath }, shardWith);
  } finally {
    await src.close();
  }
}

/** A preset name (small, medium, large) or a config.json path, with seeded random weights. */
export async function randomGpt2(spec: string, seed: number): Promise<Gpt2> {
  return (await randomGpt2Sharded(spec, seed)).model;
}

/** randomGpt2, each tensor handed to the sharder as soon as it is initialised when `shardWith` is given. */
export async function randomGpt2Sharded(spec: string, seed: number, shardWith?: ShardWith): Promise<LoadedGpt2> {
  let config: Gpt2Config;
  if (spec in gpt2Presets) config = gpt2Presets[spec as keyof typeof gpt2Presets];
  else if (spec.endsWith('.json')) config = gpt2ConfigFromHf(await readJsonFile(spec), spec);
  else throw new Error(`--model_config "${spec}": use small, medium, large or the path of a GPT-2 config.json`);
  return buildGpt2(config, { kind: 'random', seed }, shardWith);
}
