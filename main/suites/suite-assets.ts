// Resolves a suite's models and datasets to files on this computer and registers them with the
// hub, producing the model / tokenizer / data blocks of a job message. The fixture model and data
// are built once into the cache folder. Errors name the suite entry and the missing file.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobInput } from '../../device-agent/protocol.js';
import { writeTinyGpt2Fixture } from '../../device-agent/fixtures/tiny-gpt2.js';
import { gpt2ConfigToHf, gpt2Presets } from '../../device-agent/models/gpt2.js';
import type { DatasetEntry, ModelEntry } from './suite-schema.js';

export interface FileHost {
  addFile(file: string): Promise<{ sha256: string; url: string }> | { sha256: string; url: string };
}

export interface ResolvedModel {
  model: JobInput['model'];
  tokenizer: JobInput['tokenizer'];
  /** A local HF folder with config.json + model.safetensors for the PyTorch reference (null for random weights). */
  localDir: string | null;
}

export interface ResolvedDataset {
  data: JobInput['data'];
}

function expand(p: string): string {
  return path.resolve(p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p);
}

function fixtureDir(cacheDir: string, seed: number): string {
  const dir = path.join(cacheDir, `tiny-gpt2-${seed}`);
  if (!existsSync(path.join(dir, 'model', 'config.json'))) writeTinyGpt2Fixture(dir, seed);
  return dir;
}

function need(file: string, what: string): string {
  if (!existsSync(file)) throw new Error(`${what}: ${file} does not exist`);
  return file;
}

async function tokenizerOf(dir: string, host: FileHost, what: string): Promise<JobInput['tokenizer']> {
  const tj = path.join(dir, 'tokenizer.json');
  if (existsSync(tj)) return { tokenizerJson: (await host.addFile(tj)).url };
  const vocab = need(path.join(dir, 'vocab.json'), `${what} (tokenizer: vocab.json + merges.txt or tokenizer.json)`);
  const merges = need(path.join(dir, 'merges.txt'), `${what} (tokenizer)`);
  return { vocab: (await host.addFile(vocab)).url, merges: (await host.addFile(merges)).url };
}

export async function resolveModel(id: string, entry: ModelEntry, cacheDir: string, host: FileHost): Promise<ResolvedModel> {
  const what = `models.${id}`;
  if (entry.kind === 'random') {
    const config = typeof entry.config === 'string' ? gpt2ConfigToHf(gpt2Presets[entry.config]) : entry.config;
    const tokDir = entry.tokenizerDir ? expand(entry.tokenizerDir) : path.join(fixtureDir(cacheDir, 1234), 'model');
    return { model: { kind: 'random', name: id, config, initSeed: entry.initSeed }, tokenizer: await tokenizerOf(tokDir, host, what), localDir: null };
  }
  const dir = entry.kind === 'fixture' ? path.join(fixtureDir(cacheDir, entry.seed), 'model') : expand(entry.path);
  const config = need(path.join(dir, 'config.json'), `${what}.path (a Hugging Face GPT-2 folder)`);
  const weights = need(path.join(dir, 'model.safetensors'), `${what}.path (model.safetensors)`);
  return {
    model: { kind: 'files', name: id, config: (await host.addFile(config)).url, weights: (await host.addFile(weights)).url },
    tokenizer: await tokenizerOf(dir, host, what),
    localDir: dir,
  };
}

export async function resolveDataset(id: string, entry: DatasetEntry, cacheDir: string, host: FileHost): Promise<ResolvedDataset> {
  const what = `datasets.${id}`;
  if (entry.kind === 'text') {
    const train = (await host.addFile(need(expand(entry.path), `${what}.path`))).url;
    const valid = entry.valid ? (await host.addFile(need(expand(entry.valid), `${what}.valid`))).url : undefined;
    return { data: { train, valid, format: entry.format } };
  }
  const dir = entry.kind === 'fixture' ? path.join(fixtureDir(cacheDir, entry.seed), 'data') : expand(entry.path);
  const train = (await host.addFile(need(path.join(dir, 'wiki.train.raw'), `${what}.path (WikiText-2 raw folder)`))).url;
  const validFile = path.join(dir, 'wiki.valid.raw');
  const valid = existsSync(validFile) ? (await host.addFile(validFile)).url : undefined;
  return { data: { train, valid, format: 'lines' } };
}
