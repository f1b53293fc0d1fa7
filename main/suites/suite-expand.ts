// Loads a suite file and expands it into jobs: the cartesian product of the matrix over the base
// hyper-parameters, times repeats. Each job gets a stable key (used to resume a suite) and a full,
// validated TrainSpec. Errors name the file and the JSON path ("smoke.json: matrix.seqLen[1]: ...").
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { trainSpec, type TrainSpec } from '../../device-agent/protocol.js';
import { suiteSchema, type Suite } from './suite-schema.js';

export class SuiteError extends Error {}

export interface SuiteJob {
  /** Stable within the suite: model, dataset, matrix values and repeat index. */
  key: string;
  model: string;
  dataset: string;
  train: TrainSpec;
  repeat: number;
  /** The matrix values that made this job, for reports ("seqLen=64, mode=full"). */
  variant: Record<string, unknown>;
}

/** Defaults that make a suite runnable with few keys; the suite's `base` overrides them. */
export const baseDefaults: TrainSpec = {
  mode: 'lora', steps: 20, batchSize: 2, seqLen: 32, gradAccum: 1, lr: 3e-3, warmupSteps: 2, schedule: 'cosine', minLrRatio: 0.1,
  clipGradNorm: 1, weightDecay: 0, seed: 42, evalInterval: 0, evalBatches: 8, lora: { r: 8, alpha: 16, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj'] },
};

function formatIssues(source: string, issues: z.core.$ZodIssue[], prefix: (string | number)[] = []): string {
  return issues.map((i) => {
    const p = [...prefix, ...i.path].reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
    return `${source}: ${p || '(top level)'}: ${i.message}`;
  }).join('\n');
}

export function parseSuite(text: string, source: string): Suite {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SuiteError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const r = suiteSchema.safeParse(json);
  if (!r.success) throw new SuiteError(formatIssues(source, r.error.issues));
  const suite = r.data;
  for (const [key, values] of Object.entries(suite.matrix)) {
    values.forEach((v, i) => {
      if (key === 'model' && !(String(v) in suite.models)) throw new SuiteError(`${source}: matrix.model[${i}]: no model named "${String(v)}" in models`);
      if (key === 'dataset' && !(String(v) in suite.datasets)) throw new SuiteError(`${source}: matrix.dataset[${i}]: no dataset named "${String(v)}" in datasets`);
      if (key !== 'model' && key !== 'dataset' && !(key in trainSpec.shape)) throw new SuiteError(`${source}: matrix.${key}: not a hyper-parameter; use model, dataset or one of ${Object.keys(trainSpec.shape).join(', ')}`);
    });
  }
  return suite;
}

export function loadSuite(file: string): Suite {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new SuiteError(`${file}: cannot read the suite file; check the path`);
  }
  return parseSuite(text, file);
}

export function expandSuite(suite: Suite, source = suite.name): SuiteJob[] {
  const axes = Object.entries(suite.matrix);
  if (!axes.some(([k]) => k === 'model')) axes.unshift(['model', [Object.keys(suite.models)[0]]]);
  if (!axes.some(([k]) => k === 'dataset')) axes.unshift(['dataset', [Object.keys(suite.datasets)[0]]]);
  let combos: Record<string, unknown>[] = [{}];
  for (const [key, values] of axes) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  const jobs: SuiteJob[] = [];
  for (const combo of combos) {
    const { model, dataset, ...overrides } = combo;
    const candidate = { ...baseDefaults, ...suite.base, ...overrides };
    if (candidate.mode === 'full') delete (candidate as Partial<TrainSpec>).lora;
    const r = trainSpec.safeParse(candidate);
    const variant = Object.fromEntries(Object.entries(combo).filter(([k]) => suite.matrix[k] !== undefined));
    if (!r.success) throw new SuiteError(formatIssues(source, r.error.issues, [`job ${JSON.stringify(variant)}`]));
    for (let rep = 0; rep < suite.repeats; rep++) {
      const key = [`model=${String(model)}`, `dataset=${String(dataset)}`, ...Object.entries(overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`), `rep=${rep}`].join(',');
      jobs.push({ key, model: String(model), dataset: String(dataset), train: r.data, repeat: rep, variant });
    }
  }
  return jobs;
}
