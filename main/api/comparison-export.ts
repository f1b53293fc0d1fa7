// Exports the current comparison (the selected runs, paired with the chosen reference) through
// main/reports: report.html, report.json, runs.csv + steps.csv, and report.pdf where the host can
// print (Electron's webContents.printToPDF, passed in as `printToPdf`). Each export gets its own
// folder under the controller's exports root; readExportFile hands a file back by (id, name) so
// the browser UI can download it without ever naming a path.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExportFileContent, ExportFormat, ExportRequest, ExportResult, ExportedFile } from '../ipc/api-types';
import { buildReportData } from '../reports/report-data';
import { reportCsv } from '../reports/report-csv';
import { reportHtml } from '../reports/report-html';
import { reportJson } from '../reports/report-json';
import type { ResultsStore } from '../store/results-store';

export interface ExportDeps {
  store: ResultsStore;
  exportRoot: string;
  /** Renders an HTML file to PDF bytes; only the desktop app has one. */
  printToPdf?: (htmlFile: string) => Promise<Buffer>;
}

const ID_RE = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/;
const mimes: Record<string, string> = { '.html': 'text/html', '.json': 'application/json', '.csv': 'text/csv', '.pdf': 'application/pdf' };

export async function exportComparison(deps: ExportDeps, req: ExportRequest): Promise<ExportResult> {
  if (!req.runIds.length) throw new Error('nothing to export: choose runs in the compare view first');
  if (!req.formats.length) throw new Error('choose at least one format (HTML, CSV, JSON or PDF)');
  const { store } = deps;
  const runIds = [...new Set([...req.runIds, ...(req.referenceRunId ? [req.referenceRunId] : [])])];
  const rows = runIds.map((id) => store.getRun(id) ?? (() => { throw new Error(`no run "${id}" in the results database`); })());
  // Pairs: every device run with the chosen reference; without one, with a reference of the same job in the selection.
  const pairs = rows.filter((r) => r.kind === 'device' && r.id !== req.referenceRunId).flatMap((r) => {
    const ref = req.referenceRunId ?? rows.find((x) => x.kind === 'reference' && x.jobKey != null && x.jobKey === r.jobKey)?.id;
    return ref ? [{ deviceRunId: r.id, referenceRunId: ref }] : [];
  });
  const data = buildReportData(store, { runIds }, { autoPair: false, pairs, title: req.title ?? `Comparison of ${runIds.length} runs` });

  const now = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const id = `${now}-${randomBytes(3).toString('hex')}`;
  const dir = path.join(deps.exportRoot, id);
  mkdirSync(dir, { recursive: true });
  const files: ExportedFile[] = [];
  const notes: string[] = [];
  const write = (format: ExportFormat, name: string, content: string | Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    files.push({ format, name, path: file, bytes: statSync(file).size });
  };
  const wants = new Set(req.formats);
  if (wants.has('html') || wants.has('pdf')) write('html', 'report.html', reportHtml(data));
  if (wants.has('json')) write('json', 'report.json', reportJson(data));
  if (wants.has('csv')) {
    const csv = reportCsv(data);
    write('csv', 'runs.csv', csv.runsCsv);
    write('csv', 'steps.csv', csv.stepsCsv);
  }
  if (wants.has('pdf')) {
    if (deps.printToPdf) write('pdf', 'report.pdf', await deps.printToPdf(path.join(dir, 'report.html')));
    else notes.push('PDF needs the desktop app; in a browser, open report.html and print it to PDF');
  }
  return { id, dir, files, notes };
}

export function readExportFile(exportRoot: string, req: { exportId: string; name: string }): ExportFileContent {
  if (!ID_RE.test(req.exportId)) throw new Error(`"${req.exportId}" is not an export id`);
  if (!/^[a-z]+\.(html|json|csv|pdf)$/.test(req.name)) throw new Error(`"${req.name}" is not a file of an export`);
  const file = path.join(exportRoot, req.exportId, req.name);
  if (!existsSync(file)) throw new Error(`export ${req.exportId} has no ${req.name}; export again`);
  return { name: req.name, mime: mimes[path.extname(file)] ?? 'application/octet-stream', base64: readFileSync(file).toString('base64') };
}
