// conditionsTable: the HTML table of run conditions and results side by side (one column per run)
// for report-html.ts: device, OS, browser, backend, agent version, commit, job spec, sharding,
// start temperature, charging, then the summary numbers. A condition nobody recorded shows "—"; a
// measurement that was not taken shows "not measured". Every value is escaped here.
import type { ReportData, ReportRun } from './report-data';
import { escapeHtml as esc } from './escape-html';
import { fmtDuration, fmtMiB, fmtNum, fmtTime } from './report-format';

type Getter = (r: ReportRun, d: ReportData) => string | null;

const s = (v: unknown): string | null => (typeof v === 'string' && v ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);

/** A job field by path, trying the protocol job (`train.batchSize`) and the PyTorch job (`batch_size`). */
function jobField(r: ReportRun, ...paths: string[][]): unknown {
  for (const p of paths) {
    let v: unknown = r.job;
    for (const k of p) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

function hyperParams(r: ReportRun): string | null {
  const steps = jobField(r, ['train', 'steps'], ['steps']);
  const bs = jobField(r, ['train', 'batchSize'], ['batch_size']);
  const seq = jobField(r, ['train', 'seqLen'], ['seq_len']);
  const acc = jobField(r, ['train', 'gradAccum'], ['grad_accum']);
  const lr = jobField(r, ['train', 'lr'], ['lr']);
  const sched = jobField(r, ['train', 'schedule'], ['schedule']);
  const parts = [
    steps != null ? `${s(steps)} steps` : null,
    bs != null || seq != null ? `batch ${s(bs) ?? '?'} × seq ${s(seq) ?? '?'}${acc != null ? ` × accum ${s(acc)}` : ''}` : null,
    lr != null ? `lr ${s(lr)}${sched ? ` ${s(sched)}` : ''}` : null,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : null;
}

function wallTime(r: ReportRun): string | null {
  if (!r.startedAt || !r.finishedAt) return null;
  return fmtDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt), '') || null;
}

/** The runner stores the agent's hello as `conditions.agent` ({ version, runtime, userAgent, backends }). */
function agentInfo(r: ReportRun): { version?: unknown; runtime?: unknown; backends?: { name: string; limits: Record<string, unknown> }[] } {
  const a = r.conditions.agent;
  return a && typeof a === 'object' ? (a as ReturnType<typeof agentInfo>) : {};
}

function backendLimits(r: ReportRun): string | null {
  const limits = r.conditions.backendLimits ?? agentInfo(r).backends?.find((b) => b.name === r.conditions.backend)?.limits;
  return limits ? Object.entries(limits).map(([k, v]) => `${k}=${String(v)}`).join(', ') : null;
}

const conditionRows_: [string, Getter][] = [
  ['Kind', (r) => (r.kind === 'reference' ? `reference (${r.impl})` : `device run (${r.impl})`)],
  ['Status', (r) => `${r.status}${r.attempt > 1 ? `, attempt ${r.attempt}` : ''}${r.error ? ` — ${r.error}` : ''}`],
  ['Device', (r) => [r.device?.model ?? s(r.conditions.deviceModel), r.device ? `(${r.device.id})` : null].filter(Boolean).join(' ') || null],
  ['Transport', (r) => r.device?.transport ?? s(r.conditions.transport)],
  ['OS', (r) => [s(r.conditions.os) ?? r.device?.os, s(r.conditions.osVersion) ?? r.device?.osVersion].filter(Boolean).join(' ') || null],
  ['Browser / runtime', (r) => [s(r.conditions.browser) ?? r.device?.browser, s(r.conditions.browserVersion), s(r.conditions.runtime) ?? s(agentInfo(r).runtime)].filter(Boolean).join(' ') || null],
  ['Backend', (r) => s(r.conditions.backend)],
  ['Backend limits', backendLimits],
  ['Agent version', (r) => s(r.conditions.agentVersion) ?? s(r.conditions.agent_version) ?? s(agentInfo(r).version)],
  ['Git commit', (r) => s(r.conditions.gitCommit)],
  ['Job key', (r) => r.jobKey],
  ['Model / mode', (r) => [r.model, r.mode].filter(Boolean).join(' / ') || null],
  ['Hyper-parameters', hyperParams],
  ['Sharding', (r) => (r.kind === 'reference' ? null : r.sharding ? (r.sharding.enabled ? `on, budget ${r.sharding.budgetMb ?? '?'} MB` : 'off') : 'off (not in job spec)')],
  ['Start temperature', (r) => {
    const t = (r.conditions.startTemperatureC as number | null | undefined) ?? r.summary.startTemperatureC;
    return t == null ? 'not measured' : `${fmtNum(t, 3)} °C`;
  }],
  ['Charging at start', (r) => (r.conditions.charging == null ? null : r.conditions.charging ? 'yes' : 'no')],
  ['Started', (r) => (r.startedAt ? fmtTime(r.startedAt) : null)],
  ['Wall time', wallTime],
  ['Source', (r) => r.source],
];

const resultRows: [string, Getter][] = [
  ['Steps', (r) => fmtNum(r.summary.steps, 6, '—')],
  ['Final loss', (r) => fmtNum(r.summary.finalLoss, 5, '—')],
  ['Final eval', (r) => (r.summary.finalEvalLoss == null ? '—' : `loss ${fmtNum(r.summary.finalEvalLoss, 4)}, ppl ${fmtNum(r.summary.finalEvalPpl, 4)}`)],
  ['Loss vs reference', (r, d) => {
    const p = d.pairs.find((x) => x.deviceRunId === r.id);
    if (!p) return r.kind === 'reference' ? '—' : 'no reference paired';
    const ref = d.runs.find((x) => x.id === p.referenceRunId);
    return `max |Δ| ${fmtNum(p.maxAbsDiff, 3)}, final Δ ${fmtNum(p.finalDiff, 3)} (vs ${ref?.label ?? p.referenceRunId}, by ${p.by})`;
  }],
  ['Tokens/s (median)', (r) => fmtNum(r.summary.tokensPerSecMedian, 4)],
  ['Step time', (r) => (r.summary.stepMsMedian == null ? 'not measured'
    : `${fmtNum(r.summary.stepMsMedian, 4)} ms median (p10–p90 ${fmtNum(r.summary.stepMsP10, 4)}–${fmtNum(r.summary.stepMsP90, 4)} ms)`)],
  ['Σ step time', (r) => fmtDuration(r.summary.totalMs)],
  ['Peak RSS', (r) => `${fmtMiB(r.summary.peakRssBytes)}${r.summary.peakSwapBytes ? ` + ${fmtMiB(r.summary.peakSwapBytes)} swap` : ''}`],
  ['Peak tracked tensors', (r) => fmtMiB(r.summary.peakTrackedBytes)],
  ['Energy', (r) => (r.summary.energyJ == null ? 'not measured'
    : `${fmtNum(r.summary.energyJ, 4)} J${r.summary.avgPowerW != null ? `, avg ${fmtNum(r.summary.avgPowerW, 3)} W` : ''}${r.summary.chargingDuringRun ? ' (charging during run)' : ''}`)],
  ['Energy source', (r) => r.summary.energySource ?? null],
  ['Max temperature', (r) => (r.summary.maxTemperatureC == null ? 'not measured' : `${fmtNum(r.summary.maxTemperatureC, 3)} °C`)],
];

export interface ConditionRow {
  key: string;
  label: string;
  group: 'conditions' | 'results';
  /** One display string per run of the data, in order; null = nobody recorded it ("—"). */
  values: (string | null)[];
}

/** The table as strings: the HTML report renders it, the app's compare view shows the same rows. */
export function conditionRows(data: ReportData): ConditionRow[] {
  const key = (label: string) => label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const make = (group: ConditionRow['group']) => ([label, get]: [string, Getter]): ConditionRow => ({ key: key(label), label, group, values: data.runs.map((r) => get(r, data)) });
  return [...conditionRows_.map(make('conditions')), ...resultRows.map(make('results'))];
}

export function conditionsTable(data: ReportData, colorOf: (r: ReportRun) => string): string {
  const head = data.runs.map((r) => `<th scope="col"><span class="swatch" style="background:${colorOf(r)}"></span>${esc(r.label)}</th>`).join('');
  const row = (r: ConditionRow) => {
    const cells = r.values.map((v) => {
      const cls = v == null || v === '—' ? ' class="na"' : v.startsWith('not measured') ? ' class="nm"' : '';
      return `<td${cls}>${esc(v ?? '—')}</td>`;
    });
    return `<tr><th scope="row">${esc(r.label)}</th>${cells.join('')}</tr>`;
  };
  const details = (name: string, get: (r: ReportRun) => unknown) =>
    `<tr><th scope="row">${esc(name)}</th>${data.runs.map((r) => `<td><details><summary>show</summary><pre>${esc(JSON.stringify(get(r), null, 2))}</pre></details></td>`).join('')}</tr>`;
  const rows = conditionRows(data);
  return `<div class="scroll"><table class="conditions">
<thead><tr><th></th>${head}</tr></thead>
<tbody>
<tr class="sub"><th colspan="${data.runs.length + 1}">Conditions</th></tr>
${rows.filter((r) => r.group === 'conditions').map(row).join('\n')}
${details('Job spec', (r) => r.job)}
${details('All conditions', (r) => r.conditions)}
<tr class="sub"><th colspan="${data.runs.length + 1}">Results</th></tr>
${rows.filter((r) => r.group === 'results').map(row).join('\n')}
</tbody></table></div>`;
}
