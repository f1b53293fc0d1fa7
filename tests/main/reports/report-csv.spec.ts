// CSV writer: RFC 4180 quoting (comma, quote, CR, LF), CRLF records, empty fields for missing
// values; runs.csv one row per run and steps.csv one row per (run, step) with the reference loss.
import { describe, expect, it } from 'vitest';
import { csvField, csvTable, reportCsv } from '../../../main/reports/report-csv';
import { buildReportData } from '../../../main/reports/report-data';
import { buildExampleStore, STEPS } from './example-store';

/** A small RFC 4180 parser, to prove the output reads back field for field. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

describe('CSV', () => {
  it('quotes per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(0)).toBe('0');
    expect(csvField(1.5e-7)).toBe('1.5e-7');
    expect(csvField(false)).toBe('false');
    const table = csvTable(['a', 'b'], [['x,"y"', 'multi\r\nline'], [1, null]]);
    expect(table).toBe('a,b\r\n"x,""y""","multi\r\nline"\r\n1,\r\n');
    expect(parseCsv(table)).toEqual([['a', 'b'], ['x,"y"', 'multi\r\nline'], ['1', '']]);
  });

  it('runs.csv and steps.csv from a report', () => {
    const { store, suiteRunId } = buildExampleStore();
    const data = buildReportData(store, { suiteRunId });
    const { runsCsv, stepsCsv } = reportCsv(data);
    const runs = parseCsv(runsCsv);
    const head = runs[0];
    expect(runs).toHaveLength(data.runs.length + 1);
    expect(runs.every((r) => r.length === head.length)).toBe(true);
    const col = (name: string) => head.indexOf(name);
    const pixel = runs.find((r) => r[col('label')] === 'Pixel 7 · gpt2 lora')!;
    expect(pixel[col('energy_j')]).not.toBe('');
    expect(Number(pixel[col('peak_rss_bytes')])).toBeGreaterThan(1e9);
    expect(pixel[col('paired_by')]).toBe('job_key');
    const local = runs.find((r) => r[col('device_id')] === 'local')!;
    expect(local[col('energy_j')]).toBe(''); // not measured: empty, not 0
    const steps = parseCsv(stepsCsv);
    expect(steps[0]).toEqual(['run_id', 'label', 'step', 'loss', 'lr', 'tokens', 'ms', 'grad_norm', 'sleep_ms', 'reference_run_id', 'reference_loss', 'loss_diff']);
    expect(steps).toHaveLength(data.runs.length * STEPS + 1);
    const row = steps.find((r) => r[0] === pixel[0] && r[2] === '10')!;
    expect(Number(row[11])).toBeCloseTo(Number(row[3]) - Number(row[10]), 12);
  });
});
