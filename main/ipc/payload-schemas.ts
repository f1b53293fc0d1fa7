// zod schemas of the untrusted payloads of every IPC / HTTP channel, typed against the contract so
// a schema that drifts from its request type fails to compile. Sizes are bounded (a suite text,
// an imported log, a run selection) so a misbehaving page cannot make the controller read
// gigabytes. Not the handlers (handlers.ts) and not the response types (api-types.ts).
import { z } from 'zod';
import type { Channel, IpcRequest } from './contract';

const id = z.string().min(1).max(200);
const suiteText = z.string().max(1_000_000, 'a suite file is at most 1 MB');
const runIds = z.array(id).max(200, 'compare at most 200 runs at a time');

export const payloadSchemas: { [C in Channel]: z.ZodType<IpcRequest<C>> } = {
  'app:version': z.undefined(),
  'fleet:list': z.undefined(),
  'suites:list': z.undefined(),
  'suites:read': z.object({ id }).strict(),
  'suites:validate': z.object({ text: suiteText }).strict(),
  'suites:save': z.object({ fileName: id, text: suiteText }).strict(),
  'queue:start': z.object({ text: suiteText.optional(), suiteId: id.optional(), deviceIds: z.array(id).min(1, 'choose at least one device').max(500) }).strict(),
  'queue:cancel': z.object({ queueId: id }).strict(),
  'queue:list': z.undefined(),
  'live:snapshot': z.undefined(),
  'runs:list-suite-runs': z.undefined(),
  'runs:list': z.object({ suiteRunId: id.optional(), kind: z.enum(['device', 'reference']).optional(), limit: z.number().int().positive().max(10_000).optional() }).strict().optional(),
  'runs:series': z.object({ runId: id, smoothing: z.number().min(0).max(0.999).optional(), maxPoints: z.number().int().min(10).max(10_000).optional() }).strict(),
  'runs:import': z.object({ fileName: z.string().min(1).max(500), text: z.string().max(200_000_000, 'a run log is at most 200 MB'), name: z.string().max(200).optional() }).strict(),
  'compare:build': z.object({
    runIds, align: z.enum(['step', 'tokens', 'wall']), smoothing: z.number().min(0).max(0.999), referenceRunId: id.nullable(), bands: z.boolean(),
    maxPoints: z.number().int().min(10).max(10_000).optional(),
  }).strict(),
  'reports:export': z.object({
    runIds, formats: z.array(z.enum(['html', 'csv', 'json', 'pdf'])).min(1).max(4), title: z.string().max(200).optional(), referenceRunId: id.nullable().optional(),
  }).strict(),
  'reports:file': z.object({ exportId: id, name: z.string().min(1).max(100) }).strict(),
};
