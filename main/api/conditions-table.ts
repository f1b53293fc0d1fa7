// The compare view's side-by-side table: one column per run, one row per condition (device, OS,
// runtime, backend, agent, commit, model/mode, hyper-parameters, sharding, start temperature,
// charging) and per result (steps, final loss, tokens/s, step time, peak RSS, tracked, energy, max
// temperature), as display strings. Missing conditions are null ("—"); missing measurements read
// "not measured". Same rows and formats as the HTML report (main/reports/report-conditions.ts).
import type { ConditionsTable } from '../ipc/api-types';
import type { ReportRun } from '../reports/report-data';
import { fmtDuration, fmtMiB, fmtNum } from '../reports/report-format';

type Getter = (r: ReportRun) => string | null;

const s = (v: unknown): string | null => (typeof v === 'string' && v ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);

function field(r: ReportRun, ...paths: string[][]): string | null {
  for (const p of paths) {
    let v: unknown = r.job;
    for (const k of p) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    if (s(v) != null) return s(v);
  }
  return null;
}

function hyperParams(r: ReportRun): string | null {
  const steps = field(r, ['train', 'steps'], ['steps']);
  const bs = field(r, ['train', 'batchSize'], ['batch_size']);
  const seq = field(r, ['train', 'seqLen'], ['seq_len']);
  const acc = field(r, ['train', 'gradAccum'], ['grad_accum']);
  const lr = field(r, ['train', 'lr'], ['lr']);
  const parts = [steps && `${steps} steps`, (bs || seq) && `batch ${bs ?? '?'} × seq ${seq ?? '?'}${acc ? ` × accum ${acc}` : ''}`, lr && `lr ${lr}`].filter(Boolean);
  return parts.length ? parts.join(', ') : null;
}

const rows: [string, string, Getter][] = [
  ['kind', 'Kind', (r) => (r.kind === 'reference' ? `reference (${r.impl})` : `device run (${r.impl})`)],
  ['status', 'Status', (r) => `${r.status}${r.attempt > 1 ? `, attempt ${r.attempt}` : ''}`],
  ['device', 'Device', (r) => [r.device?.model ?? s(r.conditions.deviceModel), r.device ? `(${r.device.id})` : null].filter(Boolean).join(' ') || null],
  ['os', 'OS', (r) => [s(r.conditions.os) ?? r.device?.os, s(r.conditions.osVersion) ?? r.device?.osVersion].filter(Boolean).join(' ') || null],
  ['runtime', 'Browser / runtime', (r) => s(r.conditions.browser) ?? r.device?.browser ?? s(r.conditions.runtime)],
  ['backend', 'Backend', (r) => s(r.conditions.backend)],
  ['agent', 'Agent version', (r) => s(r.conditions.agentVersion)],
  ['commit', 'Git commit', (r) => s(r.conditions.gitCommit)],
  ['model', 'Model / mode', (r) => [r.model, r.mode].filter(Boolean).join(' / ') || null],
  ['hyper', 'Hyper-parameters', hyperParams],
  ['sharding', 'Sharding', (r) => (r.kind === 'reference' ? null : r.sharding?.enabled ? `on, budget ${r.sharding.budgetMb ?? '?'} MB` : 'off')],
  ['startTemp', 'Start temperature', (r) => {
    const t = (r.conditions.startTemperatureC as number | null | undefined) ?? r.summary.startTemperatureC;
    return r.kind === 'reference' && t == null ? null : t == null ? 'not measured' : `${fmtNum(t, 3)} °C`;
  }],
  ['charging', 'Charging at start', (r) => (r.conditions.charging == null ? null : r.conditions.charging ? 'yes' : 'no')],
  ['steps', 'Steps', (r) => fmtNum(r.summary.steps, 6, '—')],
  ['finalLoss', 'Final loss', (r) => fmtNum(r.summary.finalLoss, 5, '—')],
  ['tps', 'Tokens/s (median)', (r) => fmtNum(r.summary.tokensPerSecMedian, 4)],
  ['stepMs', 'Step time (median)', (r) => (r.summary.stepMsMedian == null ? 'not measured' : `${fmtNum(r.summary.stepMsMedian, 4)} ms`)],
  ['totalMs', 'Σ step time', (r) => fmtDuration(r.summary.totalMs)],
  ['peakRss', 'Peak RSS', (r) => fmtMiB(r.summary.peakRssBytes)],
  ['peakTracked', 'Peak tracked tensors', (r) => fmtMiB(r.summary.peakTrackedBytes)],
  ['energy', 'Energy', (r) => (r.summary.energyJ == null ? 'not measured' : `${fmtNum(r.summary.energyJ, 4)} J${r.summary.avgPowerW != null ? `, avg ${fmtNum(r.summary.avgPowerW, 3)} W` : ''}`)],
  ['maxTemp', 'Max temperature', (r) => (r.summary.maxTemperatureC == null ? 'not measured' : `${fmtNum(r.summary.maxTemperatureC, 3)} °C`)],
  ['source', 'Source', (r) => r.source],
];

export function buildConditionsTable(runs: readonly ReportRun[]): ConditionsTable {
  return {
    columns: runs.map((r) => ({ runId: r.id, label: r.label })),
    rows: rows.map(([key, label, get]) => ({ key, label, values: runs.map((r) => get(r)) })),
  };
}
