// readReferenceLog: a JSONL run log (device-agent/run-log.ts; written by the PyTorch reference
// scripts and by the TypeScript CLI) turned into what the store keeps for a reference run: job,
// conditions, steps, evals and summary. Validates every line with parseRunLog and the record order
// (one `run` record first, steps increasing, at most one `done`, last); any error names source:line.
// Pure: it writes nothing, so the store can import all of it in one transaction or none of it.
import { parseRunLog, type LogRecord, type RunRecord } from '../../device-agent/run-log';
import { summarizeRun } from './run-summary';
import { runImpls, type EvalRow, type RunConditions, type RunImpl, type RunStatus, type RunSummary, type StepRow } from './store-types';

export interface ReferenceLog {
  impl: RunImpl;
  model: string | null;
  mode: 'lora' | 'full' | null;
  job: unknown;
  conditions: RunConditions;
  steps: StepRow[];
  evals: EvalRow[];
  summary: RunSummary;
  status: RunStatus;
  error: string | null;
  startedAt: string | null;
}

export function readReferenceLog(text: string, source: string): ReferenceLog {
  const records = parseRunLog(text, source);
  const lineNos = nonEmptyLineNumbers(text); // parseRunLog keeps one record per non-empty line
  const at = (i: number) => `${source}:${lineNos[i]}`;
  if (!records.length) throw new Error(`${source}: the run log is empty; expected a run record, step records and a done record`);
  if (records[0].type !== 'run') throw new Error(`${at(0)}: the first record must be the run record (type "run"), got "${records[0].type}"`);
  const run = records[0] as RunRecord;
  if (!(runImpls as readonly string[]).includes(run.impl)) {
    throw new Error(`${at(0)}: impl "${run.impl}" is not one of ${runImpls.join(', ')}`);
  }

  const steps: StepRow[] = [];
  const evals: EvalRow[] = [];
  let done: Extract<LogRecord, { type: 'done' }> | null = null;
  records.forEach((r, i) => {
    if (i === 0) return;
    if (done) throw new Error(`${at(i)}: a "${r.type}" record after the done record; done must be the last record`);
    switch (r.type) {
      case 'run':
        throw new Error(`${at(i)}: a second run record; one log holds one run`);
      case 'step': {
        const prev = steps.at(-1);
        if (prev && r.step <= prev.step) throw new Error(`${at(i)}: step ${r.step} after step ${prev.step}; steps must increase`);
        steps.push({ step: r.step, loss: r.loss, lr: r.lr, tokens: r.tokens, ms: r.ms, gradNorm: r.grad_norm ?? null, sleepMs: numOrNull(r.sleep_ms) });
        break;
      }
      case 'eval':
        evals.push({ step: r.step, split: r.split, loss: r.loss, ppl: r.ppl, tokens: r.tokens ?? null });
        break;
      case 'done':
        done = r;
        break;
    }
  });

  const job = (run.job ?? run.config ?? null) as Record<string, unknown> | null;
  const mode = run.mode ?? (job && (job.mode === 'lora' || job.mode === 'full') ? job.mode : null);
  const model = run.model ?? modelFromJob(job);
  const { type: _type, config: _config, job: _job, ...rest } = run;
  const conditions: RunConditions = { ...rest, model, mode, source, backend: strOrNull(run.config?.backend) ?? (run.impl === 'pytorch' ? 'torch-cpu' : null) };

  const summary: RunSummary = summarizeRun({ steps, evals });
  const d = done as Extract<LogRecord, { type: 'done' }> | null;
  if (d) {
    summary.steps = d.steps;
    summary.finalLoss = d.final_loss;
    summary.tokens = d.tokens;
    summary.totalMs = d.ms;
    if (d.peak_rss_mb != null) {
      summary.peakRssBytes = Math.round(d.peak_rss_mb * 1024 * 1024);
      summary.peakRssSource = 'max RSS of the process (done record, peak_rss_mb)';
    }
  }
  return {
    impl: run.impl as RunImpl,
    model,
    mode,
    job,
    conditions,
    steps,
    evals,
    summary,
    status: d ? 'done' : 'failed',
    error: d ? null : 'the log has no done record: the reference run did not finish',
    startedAt: run.started_at ?? null,
  };
}

function nonEmptyLineNumbers(text: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim()) out.push(i + 1);
  });
  return out;
}

function modelFromJob(job: Record<string, unknown> | null): string | null {
  if (!job) return null;
  if (typeof job.model === 'string') return job.model;
  if (job.model && typeof job.model === 'object' && typeof (job.model as { name?: unknown }).name === 'string') return (job.model as { name: string }).name;
  if (typeof job.model_dir === 'string') return job.model_dir.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || null;
  return null;
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
