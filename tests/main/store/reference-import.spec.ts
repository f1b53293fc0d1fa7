// importReferenceLog: a JSONL run log becomes a 'reference' run with steps, evals and summary; an
// invalid line or a misordered log fails the whole import with source:line and stores nothing.
// The last test imports a log written by the real PyTorch reference script (skipped, with the
// reason printed, where /usr/bin/python3 has no torch; CI installs it).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ResultsStore } from '../../../main/store/results-store';

const line = (o: object) => JSON.stringify(o);
const runRec = { type: 'run', impl: 'pytorch', torch: '2.5.1', threads: 1, job: { mode: 'lora', model_dir: 'models/gpt2/', steps: 3, batch_size: 2, seq_len: 32, lr: 1e-3 } };
const steps = [1, 2, 3].map((s) => ({ type: 'step', step: s, loss: 4 - s * 0.1, lr: 1e-3, tokens: s * 128, ms: 100 + s, grad_norm: 1 / s }));
const validLog = [
  line(runRec),
  ...steps.map(line),
  '',
  line({ type: 'eval', step: 3, split: 'valid', loss: 3.8, ppl: Math.exp(3.8), tokens: 1024 }),
  line({ type: 'done', steps: 3, final_loss: 3.7, tokens: 384, ms: 306, peak_rss_mb: 512 }),
].join('\n') + '\n';

let store: ResultsStore;
beforeEach(() => {
  store = ResultsStore.open(':memory:');
});

describe('importReferenceLog', () => {
  it('stores a valid log as a reference run with steps, evals, conditions and summary', () => {
    const id = store.importReferenceLog(validLog, '/logs/ref_lora.jsonl', { jobKey: 'gpt2-lora' });
    const run = store.getRun(id)!;
    expect(run).toMatchObject({ kind: 'reference', impl: 'pytorch', status: 'done', name: 'ref_lora.jsonl', source: '/logs/ref_lora.jsonl', jobKey: 'gpt2-lora', error: null, job: runRec.job });
    expect(run.conditions).toMatchObject({ impl: 'pytorch', torch: '2.5.1', threads: 1, model: 'gpt2', mode: 'lora', backend: 'torch-cpu' });
    expect(store.getSteps(id)).toEqual(steps.map((s) => ({ step: s.step, loss: s.loss, lr: s.lr, tokens: s.tokens, ms: s.ms, gradNorm: s.grad_norm, sleepMs: null })));
    expect(store.getEvals(id)).toEqual([{ step: 3, split: 'valid', loss: 3.8, ppl: Math.exp(3.8), tokens: 1024 }]);
    expect(run.summary).toMatchObject({ steps: 3, finalLoss: 3.7, tokens: 384, totalMs: 306, peakRssBytes: 512 * 1024 * 1024, energyJ: null, maxTemperatureC: null, finalEvalPpl: Math.exp(3.8) });
    expect(run.summary?.tokensPerSecMedian).toBeCloseTo((128 / 0.102 + 128 / 0.103) / 2, 6); // 3 steps: 1 warm-up step left out, median of steps 2 and 3
    expect(store.importReferenceLog(validLog, 'again.jsonl', { name: 'named' })).not.toBe(id);
    expect(store.listRuns({ kind: 'reference' }).map((r) => r.name)).toEqual(['ref_lora.jsonl', 'named']);
  });

  it('a log without a done record is stored as a failed run that says why', () => {
    const id = store.importReferenceLog([line(runRec), line(steps[0])].join('\n'), 'cut.jsonl');
    expect(store.getRun(id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/no done record/) });
    expect(store.getSteps(id)).toHaveLength(1);
  });

  const bad: [string, string, RegExp][] = [
    ['a line that is not JSON', [line(runRec), line(steps[0]), '{"type": "step", "step": 2,'].join('\n'), /^bad\.jsonl:3: not valid JSON/],
    ['a record that fails the schema', [line(runRec), line(steps[0]), '', line({ ...steps[1], loss: 'high' })].join('\n'), /^bad\.jsonl:4: not a run-log record: loss/],
    ['a log that does not start with its run record', [line(steps[0]), line(runRec)].join('\n'), /^bad\.jsonl:1: the first record must be the run record/],
    ['steps out of order', [line(runRec), line(steps[1]), line(steps[0])].join('\n'), /^bad\.jsonl:3: step 1 after step 2/],
    ['a record after done', [line(runRec), line({ type: 'done', steps: 0, final_loss: null, tokens: 0, ms: 0 }), line(steps[0])].join('\n'), /^bad\.jsonl:3: a "step" record after the done record/],
    ['a second run record', [line(runRec), '', line(runRec)].join('\n'), /^bad\.jsonl:3: a second run record/],
    ['an unknown impl', line({ ...runRec, impl: 'jax' }), /^bad\.jsonl:1: impl "jax"/],
    ['an empty log', '\n\n', /^bad\.jsonl: the run log is empty/],
  ];
  for (const [what, text, err] of bad) {
    it(`rejects ${what}, naming source:line, and stores nothing`, () => {
      expect(() => store.importReferenceLog(text, 'bad.jsonl')).toThrow(err);
      expect(store.listRuns()).toEqual([]);
    });
  }

  it('rolls back a partly stored import (unknown suite run given)', () => {
    expect(() => store.importReferenceLog(validLog, 'x.jsonl', { suiteRunId: 'ghost' })).toThrow(/unknown suite run/);
    expect(store.listRuns()).toEqual([]);
  });
});

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) console.log('skipping the real PyTorch log import: /usr/bin/python3 cannot import torch and numpy (CI installs python3-torch)');

describe.skipIf(!hasTorch)('a log from benchmarks/pytorch/gpt2_reference.py', () => {
  it('imports with every step and the done summary', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleettune-ref-'));
    try {
      const root = path.resolve(import.meta.dirname, '../../..');
      execFileSync('/usr/bin/python3', [path.join(root, 'benchmarks/pytorch/make_tiny_job.py'), dir, '--steps', '8'], { stdio: 'pipe' });
      execFileSync('/usr/bin/python3', [path.join(root, 'benchmarks/pytorch/gpt2_reference.py'), '--job', path.join(dir, 'job_lora.json'), '--threads', '1'], { stdio: 'pipe' });
      const file = path.join(dir, 'out_lora.jsonl');
      const id = store.importReferenceLog(readFileSync(file, 'utf8'), file);
      const run = store.getRun(id)!;
      expect(run).toMatchObject({ kind: 'reference', impl: 'pytorch', status: 'done', conditions: { mode: 'lora', model: 'model' } });
      const rows = store.getSteps(id);
      expect(rows.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(rows.every((s) => Number.isFinite(s.loss) && s.ms! > 0 && s.gradNorm != null)).toBe(true);
      expect(run.summary).toMatchObject({ steps: 8, finalLoss: rows[7].loss, tokens: 8 * 2 * 2 * 32 });
      expect(run.summary!.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
