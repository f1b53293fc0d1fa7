// The compare view's side-by-side table: one column per run, one row per condition and per result,
// as display strings. The rows are the HTML report's (main/reports/report-conditions.ts), so the
// app and the exported report always agree; missing conditions are null, missing measurements
// read "not measured".
import type { ConditionsTable } from '../ipc/api-types';
import type { ReportData } from '../reports/report-data';
import { conditionRows } from '../reports/report-conditions';

export function buildConditionsTable(data: ReportData): ConditionsTable {
  return {
    columns: data.runs.map((r) => ({ runId: r.id, label: r.label })),
    rows: conditionRows(data).map(({ key, label, values }) => ({ key, label, values })),
  };
}
