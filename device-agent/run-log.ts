// The run log: JSON Lines, one record per line, written by the TypeScript trainer and by the
// PyTorch reference scripts alike, so any two runs overlay step by step. Schemas are zod, so an
// imported log is validated record by record. Documented in device-agent/README.md.
import { z } from 'zod';

export const runRecord = z.object({
  type: z.literal('run'),
  impl: z.string(),
  model: z.string().optional(),
  mode: z.enum(['lora', 'full']).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  started_at: z.string().optional(),
}).passthrough();

export const stepRecord = z.object({
  type: z.literal('step'),
  step: z.number().int().positive(),
  loss: z.number(),
  lr: z.number(),
  tokens: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
  grad_norm: z.number().optional(),
}).passthrough();

export const evalRecord = z.object({
  type: z.literal('eval'),
  step: z.number().int().nonnegative(),
  split: z.string(),
  loss: z.number(),
  ppl: z.number(),
  tokens: z.number().int().nonnegative().optional(),
}).passthrough();

export const doneRecord = z.object({
  type: z.literal('done'),
  steps: z.number().int().nonnegative(),
  final_loss: z.number().nullable(),
  tokens: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
  peak_rss_mb: z.number().optional(),
}).passthrough();

export const logRecord = z.discriminatedUnion('type', [runRecord, stepRecord, evalRecord, doneRecord]);

export type RunRecord = z.infer<typeof runRecord>;
export type StepRecord = z.infer<typeof stepRecord>;
export type EvalRecord = z.infer<typeof evalRecord>;
export type DoneRecord = z.infer<typeof doneRecord>;
export type LogRecord = z.infer<typeof logRecord>;

/** Parse a JSONL run log; an invalid line is an error naming the source and line number. */
export function parseRunLog(text: string, source: string): LogRecord[] {
  const out: LogRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new Error(`${source}:${i + 1}: not valid JSON; each line of a run log must be one JSON object`);
    }
    const r = logRecord.safeParse(json);
    if (!r.success) throw new Error(`${source}:${i + 1}: not a run-log record: ${r.error.issues.map((e) => `${e.path.join('.') || '(record)'}: ${e.message}`).join('; ')}`);
    out.push(r.data);
  }
  return out;
}
