// Validates a suite text for the editor: every problem as a structured issue (JSON path, message,
// line in the text), not one joined message, so the UI can show each error at its field. Uses the
// suite schema (main/suites/suite-schema.ts) and the same cross-checks and job expansion as
// parseSuite / expandSuite, so "valid here" means "runs". Not the loader for running a suite.
import { z } from 'zod';
import { trainSpec } from '../../device-agent/protocol';
import type { SuiteIssue, SuiteValidation } from '../ipc/api-types';
import { expandSuite, SuiteError } from '../suites/suite-expand';
import { suiteSchema, type Suite } from '../suites/suite-schema';
import { jsonLineIndex, lineOf, pathText, type JsonPath } from './json-locate';

export function validateSuiteText(text: string): SuiteValidation & { suite: Suite | null } {
  const index = jsonLineIndex(text);
  const issue = (path: JsonPath, message: string, line?: number | null): SuiteIssue => ({
    path: [...path], pathText: pathText(path), message, line: line ?? lineOf(index, path),
  });
  const fail = (issues: SuiteIssue[]) => ({ ok: false, issues, name: null, jobs: null, devices: [], suite: null });

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : null;
    return fail([issue([], `not valid JSON: ${msg}`, line)]);
  }
  const parsed = suiteSchema.safeParse(json);
  if (!parsed.success) return fail(parsed.error.issues.map((i) => issue(i.path as (string | number)[], describe(i))));
  const suite = parsed.data;

  const issues: SuiteIssue[] = [];
  for (const [key, values] of Object.entries(suite.matrix)) {
    if (key !== 'model' && key !== 'dataset' && !(key in trainSpec.shape)) {
      issues.push(issue(['matrix', key], `not a hyper-parameter; use model, dataset or one of ${Object.keys(trainSpec.shape).join(', ')}`));
      continue;
    }
    values.forEach((v, i) => {
      if (key === 'model' && !(String(v) in suite.models)) issues.push(issue(['matrix', 'model', i], `no model named "${String(v)}" in models`));
      if (key === 'dataset' && !(String(v) in suite.datasets)) issues.push(issue(['matrix', 'dataset', i], `no dataset named "${String(v)}" in datasets`));
    });
  }
  if (issues.length) return fail(issues);

  let jobs: number;
  try {
    jobs = expandSuite(suite).length;
  } catch (e) {
    if (!(e instanceof SuiteError)) throw e;
    // A job-level error comes from base + matrix together: point at base, say which job.
    return fail(e.message.split('\n').map((m) => issue(['base'], m.replace(/^[^:]+: /, ''))));
  }
  return { ok: true, issues: [], name: suite.name, jobs, devices: suite.devices, suite };
}

/** zod's message, plus the allowed keys for an unknown key (the most common typo). */
function describe(i: z.core.$ZodIssue): string {
  if (i.code === 'unrecognized_keys') return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}: check the spelling`;
  return i.message;
}
