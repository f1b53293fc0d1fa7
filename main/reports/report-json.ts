// reportJson: the ReportData as one JSON document (format "fleettune-report", version 1): the same
// object the HTML and CSV writers read, for scripts and for re-rendering later. Non-finite numbers
// become null (JSON has no NaN), as the PyTorch reference scripts do.
import type { ReportData } from './report-data';

export function reportJson(data: ReportData): string {
  return JSON.stringify(data, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}
