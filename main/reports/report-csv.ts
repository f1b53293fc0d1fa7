// reportCsv: the ReportData as two RFC 4180 CSV files: runs.csv (one row per run: key conditions,
// summary and its reference pairing) and steps.csv (one row per run and step, with the paired
// reference's loss and the difference). Fields with a comma, quote, CR or LF are quoted with
// doubled quotes; records end with CRLF; a missing value is an empty field, never 0.
import type { ReportData, ReportRun } from './report-data';

type Cell = string | number | boolean | null | undefined;

/** One RFC 4180 field. */
export function csvField(v: Cell): string {
  if (v == null || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const runColumns: [string, (r: ReportRun, d: ReportData) => Cell][] = [
  ['run_id', (r) => r.id],
  ['label', (r) => r.label],
  ['kind', (r) => r.kind],
  ['impl', (r) => r.impl],
  ['status', (r) => r.status],
  ['attempt', (r) => r.attempt],
  ['suite_run_id', (r) => r.suiteRunId],
  ['job_key', (r) => r.jobKey],
  ['device_id', (r) => r.device?.id],
  ['device_model', (r) => r.device?.model ?? str(r.conditions.deviceModel)],
  ['transport', (r) => r.device?.transport ?? str(r.conditions.transport)],
  ['os', (r) => str(r.conditions.os) ?? r.device?.os],
  ['os_version', (r) => str(r.conditions.osVersion) ?? r.device?.osVersion],
  ['browser', (r) => [str(r.conditions.browser) ?? r.device?.browser, str(r.conditions.browserVersion)].filter(Boolean).join(' ') || null],
  ['backend', (r) => str(r.conditions.backend)],
  ['agent_version', (r) => str(r.conditions.agentVersion)],
  ['git_commit', (r) => str(r.conditions.gitCommit)],
  ['model', (r) => r.model],
  ['mode', (r) => r.mode],
  ['sharding_enabled', (r) => r.sharding?.enabled],
  ['sharding_budget_mb', (r) => r.sharding?.budgetMb],
  ['start_temperature_c', (r) => (r.conditions.startTemperatureC as number | null | undefined) ?? r.summary.startTemperatureC],
  ['charging_at_start', (r) => r.conditions.charging as boolean | null | undefined],
  ['started_at', (r) => r.startedAt],
  ['finished_at', (r) => r.finishedAt],
  ['steps', (r) => r.summary.steps],
  ['final_loss', (r) => r.summary.finalLoss],
  ['tokens', (r) => r.summary.tokens],
  ['total_step_ms', (r) => r.summary.totalMs],
  ['tokens_per_sec_median', (r) => r.summary.tokensPerSecMedian],
  ['step_ms_median', (r) => r.summary.stepMsMedian],
  ['step_ms_p10', (r) => r.summary.stepMsP10],
  ['step_ms_p90', (r) => r.summary.stepMsP90],
  ['peak_rss_bytes', (r) => r.summary.peakRssBytes],
  ['peak_swap_bytes', (r) => r.summary.peakSwapBytes],
  ['peak_tracked_bytes', (r) => r.summary.peakTrackedBytes],
  ['energy_j', (r) => r.summary.energyJ],
  ['energy_source', (r) => r.summary.energySource],
  ['avg_power_w', (r) => r.summary.avgPowerW],
  ['charging_during_run', (r) => r.summary.chargingDuringRun],
  ['max_temperature_c', (r) => r.summary.maxTemperatureC],
  ['final_eval_loss', (r) => r.summary.finalEvalLoss],
  ['final_eval_ppl', (r) => r.summary.finalEvalPpl],
  ['reference_run_id', (r, d) => d.pairs.find((p) => p.deviceRunId === r.id)?.referenceRunId],
  ['paired_by', (r, d) => d.pairs.find((p) => p.deviceRunId === r.id)?.by],
  ['max_abs_loss_diff', (r, d) => d.pairs.find((p) => p.deviceRunId === r.id)?.maxAbsDiff],
  ['error', (r) => r.error],
];

export function reportCsv(data: ReportData): { runsCsv: string; stepsCsv: string } {
  const runsCsv = csvTable(runColumns.map(([h]) => h), data.runs.map((r) => runColumns.map(([, f]) => f(r, data))));
  const byId = new Map(data.runs.map((r) => [r.id, r]));
  const rows: Cell[][] = [];
  for (const r of data.runs) {
    const pair = data.pairs.find((p) => p.deviceRunId === r.id);
    const ref = new Map((pair ? byId.get(pair.referenceRunId)?.steps ?? [] : []).map((s) => [s.step, s.loss]));
    for (const s of r.steps) {
      const refLoss = ref.get(s.step) ?? null;
      const diff = refLoss != null && s.loss != null ? s.loss - refLoss : null;
      rows.push([r.id, r.label, s.step, s.loss, s.lr, s.tokens, s.ms, s.gradNorm, s.sleepMs, pair?.referenceRunId, refLoss, diff]);
    }
  }
  const stepsCsv = csvTable(['run_id', 'label', 'step', 'loss', 'lr', 'tokens', 'ms', 'grad_norm', 'sleep_ms', 'reference_run_id', 'reference_loss', 'loss_diff'], rows);
  return { runsCsv, stepsCsv };
}
