// The benchmark-suite file format (JSON), validated with zod: models, datasets, base
// hyper-parameters, a parameter matrix, repeats, device selectors, timeouts, retries and whether
// to run a PyTorch reference beside each job. Errors name the exact path in the file.
// Expansion into jobs is suite-expand.ts; this file is only the shape.
import { z } from 'zod';
import { trainSpec } from '../../device-agent/protocol.js';
import { powerSpec } from '../../device-agent/power/power-spec.js';

export const modelEntry = z.discriminatedUnion('kind', [
  /** The tiny offline GPT-2 (+ its BPE tokenizer) FleetTune builds itself: seconds per run. */
  z.object({ kind: z.literal('fixture'), seed: z.number().int().default(1234) }).strict(),
  /** A Hugging Face GPT-2 folder on this computer: config.json, model.safetensors, tokenizer files. */
  z.object({ kind: z.literal('hf-dir'), path: z.string().min(1) }).strict(),
  /** Seeded random weights of a named or given config; the tokenizer comes from `tokenizer` (a folder) or the fixture. */
  z.object({ kind: z.literal('random'), config: z.union([z.enum(['small', 'medium', 'large']), z.record(z.string(), z.unknown())]), initSeed: z.number().int().default(1234), tokenizerDir: z.string().optional() }).strict(),
]);

export const datasetEntry = z.discriminatedUnion('kind', [
  /** The synthetic WikiText-style corpus of the fixture. */
  z.object({ kind: z.literal('fixture'), seed: z.number().int().default(1234) }).strict(),
  /** A WikiText-2 raw folder (wiki.train.raw, wiki.valid.raw). */
  z.object({ kind: z.literal('wikitext2'), path: z.string().min(1) }).strict(),
  /** A text (one document per line) or JSONL ({"text": ...}) file, with an optional validation file. */
  z.object({ kind: z.literal('text'), path: z.string().min(1), valid: z.string().optional(), format: z.enum(['lines', 'jsonl']).default('lines') }).strict(),
]);

const trainFields = trainSpec.partial();
export type TrainField = keyof z.infer<typeof trainSpec>;

export const suiteSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash, underscore'),
  description: z.string().optional(),
  models: z.record(z.string(), modelEntry).refine((m) => Object.keys(m).length > 0, 'define at least one model'),
  datasets: z.record(z.string(), datasetEntry).refine((d) => Object.keys(d).length > 0, 'define at least one dataset'),
  /** Hyper-parameters every job starts from (the protocol's train block). */
  base: trainFields.default({}),
  /** Each key is "model", "dataset" or a train field; every combination of the listed values is one job. */
  matrix: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
  repeats: z.number().int().positive().default(1),
  /** Device ids ("local", adb serials) or "*" for every connected device. */
  devices: z.array(z.string()).min(1).default(['local']),
  timeouts: z.object({ jobSeconds: z.number().positive().default(1800), connectSeconds: z.number().positive().default(120) }).strict().default({ jobSeconds: 1800, connectSeconds: 120 }),
  retries: z.number().int().min(0).max(5).default(0),
  /** Run the PyTorch reference on the controller for every job and pair it with the device run. */
  reference: z.boolean().default(false),
  /** The agent's power monitor (battery / temperature throttling, schedules) for every job. */
  power: powerSpec.optional(),
  /** Thermal gate: wait before a job until the device is at or below this temperature (C). */
  maxStartTemperatureC: z.number().optional(),
}).strict();

export type Suite = z.infer<typeof suiteSchema>;
export type ModelEntry = z.infer<typeof modelEntry>;
export type DatasetEntry = z.infer<typeof datasetEntry>;
