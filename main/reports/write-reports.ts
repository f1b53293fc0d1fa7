// writeReports: write a ReportData as report.html, report.json, runs.csv and steps.csv into outDir
// (created if missing) and return their paths. Each file is written to a temporary name and renamed,
// so a reader never sees half a report. Builds nothing itself: see report-data.ts and the writers.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportData } from './report-data';
import { reportCsv } from './report-csv';
import { reportHtml } from './report-html';
import { reportJson } from './report-json';

export interface ReportFiles {
  html: string;
  json: string;
  runsCsv: string;
  stepsCsv: string;
}

export function writeReports(data: ReportData, outDir: string): ReportFiles {
  mkdirSync(outDir, { recursive: true });
  const { runsCsv, stepsCsv } = reportCsv(data);
  const files: ReportFiles = {
    html: path.join(outDir, 'report.html'),
    json: path.join(outDir, 'report.json'),
    runsCsv: path.join(outDir, 'runs.csv'),
    stepsCsv: path.join(outDir, 'steps.csv'),
  };
  const write = (file: string, text: string) => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  };
  write(files.html, reportHtml(data));
  write(files.json, reportJson(data));
  write(files.runsCsv, runsCsv);
  write(files.stepsCsv, stepsCsv);
  return files;
}
