// buildReportData: everything a report shows about a set of runs (or one suite run), read from the
// ResultsStore: per run its conditions, summary (stored, completed from the series where the
// runner left a gap), steps and evals, and chart-ready downsampled series; plus the pairing of
// each device run with a PyTorch reference run of the same job and their per-step loss difference.
// Plain data (JSON-safe), shared by the HTML / CSV / JSON writers and the renderer. Writes nothing.
import type { ResultsStore } from '../store/results-store';
import { summarizeRun } from '../store/run-summary';
import type { ArtifactRow, DeviceRow, EvalRow, RunRow, RunSummary, StepRow, SuiteRunRow } from '../store/store-types';
import { downsample, type Point } from './downsample';

export interface ReportSelection {
  runIds?: readonly string[];
  suiteRunId?: string;
}

export interface ReportOptions {
  title?: string;
  /** Explicit (device run, reference run) pairs; they win over automatic pairing. */
  pairs?: ReadonlyArray<{ deviceRunId: string; referenceRunId: string }>;
  /** Pair the remaining device runs by job_key, then by model + mode (default true). */
  autoPair?: boolean;
  /** Points per chart line (default 2000). */
  maxPoints?: number;
  /** Keep every step row (runs.csv / steps.csv need them; default true). */
  includeSteps?: boolean;
  generatedAt?: string;
}

export interface Sharding {
  enabled: boolean;
  budgetMb: number | null;
}

export interface ReportRun {
  id: string;
  label: string;
  kind: RunRow['kind'];
  impl: RunRow['impl'];
  status: RunRow['status'];
  attempt: number;
  jobKey: string | null;
  suiteRunId: string | null;
  device: DeviceRow | null;
  model: string | null;
  mode: string | null;
  sharding: Sharding | null;
  /** Bar-chart group: "baseline", "sharded 128 MB", "PyTorch reference". */
  group: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  source: string | null;
  job: unknown;
  conditions: RunRow['conditions'];
  summary: RunSummary;
  steps: StepRow[];
  evals: EvalRow[];
  artifacts: ArtifactRow[];
  /** Downsampled, chart-ready: loss by step; memory (MiB), temperature (°C), power (W) by seconds since start. */
  series: { loss: Point[]; rssMiB: Point[]; trackedMiB: Point[]; temperatureC: Point[]; powerW: Point[] };
  counts: { steps: number; nonFiniteLosses: number; memorySamples: number; powerSamples: number };
}

export interface ReportPair {
  deviceRunId: string;
  referenceRunId: string;
  by: 'explicit' | 'job_key' | 'model+mode';
  /** Steps present with a finite loss in both runs. */
  commonSteps: number;
  /** device loss - reference loss, by step (downsampled). */
  diff: Point[];
  maxAbsDiff: number | null;
  meanAbsDiff: number | null;
  finalStep: number | null;
  finalDiff: number | null;
}

export interface ReportData {
  format: 'fleettune-report';
  version: 1;
  title: string;
  generatedAt: string;
  suiteRun: Omit<SuiteRunRow, 'suite'> | null;
  runs: ReportRun[];
  pairs: ReportPair[];
}

const MiB = 1024 * 1024;

export function buildReportData(store: ResultsStore, sel: ReportSelection, opts: ReportOptions = {}): ReportData {
  const maxPoints = opts.maxPoints ?? 2000;
  const suiteRun = sel.suiteRunId ? store.getSuiteRun(sel.suiteRunId) : undefined;
  if (sel.suiteRunId && !suiteRun) throw new Error(`no suite run "${sel.suiteRunId}" in ${store.file}`);
  const rows: RunRow[] = [];
  const add = (r: RunRow) => {
    if (!rows.some((x) => x.id === r.id)) rows.push(r);
  };
  if (sel.suiteRunId) store.listRuns({ suiteRunId: sel.suiteRunId }).forEach(add);
  for (const id of sel.runIds ?? []) {
    const r = store.getRun(id);
    if (!r) throw new Error(`no run "${id}" in ${store.file}`);
    add(r);
  }

  const pairings = pairRuns(store, rows, opts);
  for (const p of pairings) add(p.reference); // a reference imported outside the suite joins the report
  rows.sort((a, b) => Number(a.kind === 'reference') - Number(b.kind === 'reference'));

  const runs = rows.map((r) => buildRun(store, r, maxPoints));
  dedupeLabels(runs);
  const stepsById = new Map(runs.map((r) => [r.id, r.steps]));
  const pairs = pairings.map((p) => lossDiff(p.device.id, p.reference.id, p.by, stepsById, maxPoints));
  if (opts.includeSteps === false) for (const r of runs) r.steps = [];

  const { suite: _suite, ...suiteMeta } = suiteRun ?? ({} as SuiteRunRow);
  return {
    format: 'fleettune-report',
    version: 1,
    title: opts.title ?? (suiteRun ? `Suite "${suiteRun.suiteName}"` : `${runs.length} run${runs.length === 1 ? '' : 's'}`),
    generatedAt: opts.generatedAt ?? new Date().toISOString(),
    suiteRun: suiteRun ? suiteMeta : null,
    runs,
    pairs,
  };
}

function buildRun(store: ResultsStore, r: RunRow, maxPoints: number): ReportRun {
  const steps = store.getSteps(r.id);
  const evals = store.getEvals(r.id);
  const memory = store.getMemorySamples(r.id);
  const power = store.getPowerSamples(r.id);
  const derived = summarizeRun({ steps, evals, memory, power });
  const summary: RunSummary = { ...derived };
  for (const [k, v] of Object.entries(normalizeSummary(r.summary ?? {}))) if (v != null) summary[k] = v; // what the runner stored wins
  const device = r.deviceId ? store.getDevice(r.deviceId) ?? null : null;
  const { model, mode } = runIdentity(r);
  const sharding = shardingOf(r);
  const group = r.kind === 'reference' ? (r.impl === 'pytorch' ? 'PyTorch reference' : 'reference')
    : sharding?.enabled ? `sharded${sharding.budgetMb != null ? ` ${sharding.budgetMb} MB` : ''}` : 'baseline';
  const seconds = (t: number) => t / 1000;
  const pts = <T>(xs: readonly T[], x: (v: T) => number, y: (v: T) => number | null): Point[] =>
    downsample(xs.flatMap((v) => {
      const yy = y(v);
      return yy != null && Number.isFinite(yy) ? [{ x: x(v), y: yy }] : [];
    }), maxPoints);
  return {
    id: r.id,
    label: labelOf(r, device, model, mode, group),
    kind: r.kind, impl: r.impl, status: r.status, attempt: r.attempt, jobKey: r.jobKey, suiteRunId: r.suiteRunId,
    device, model, mode, sharding, group,
    startedAt: r.startedAt, finishedAt: r.finishedAt, error: r.error, source: r.source,
    job: r.job, conditions: r.conditions, summary,
    steps,
    evals,
    artifacts: store.getArtifacts(r.id),
    series: {
      loss: pts(steps, (s) => s.step, (s) => s.loss),
      rssMiB: pts(memory, (m) => seconds(m.tMs), (m) => (m.rssBytes ?? m.hwmBytes) == null ? null : (m.rssBytes ?? m.hwmBytes)! / MiB),
      trackedMiB: pts(memory, (m) => seconds(m.tMs), (m) => (m.trackedBytes == null ? null : m.trackedBytes / MiB)),
      temperatureC: pts(power, (p) => seconds(p.tMs), (p) => p.temperatureC),
      powerW: pts(power, (p) => seconds(p.tMs), (p) => p.powerW),
    },
    counts: { steps: steps.length, nonFiniteLosses: steps.filter((s) => s.loss == null || !Number.isFinite(s.loss)).length, memorySamples: memory.length, powerSamples: power.length },
  };
}

interface Pairing { device: RunRow; reference: RunRow; by: ReportPair['by'] }

function pairRuns(store: ResultsStore, rows: readonly RunRow[], opts: ReportOptions): Pairing[] {
  const out: Pairing[] = [];
  for (const p of opts.pairs ?? []) {
    const device = rows.find((r) => r.id === p.deviceRunId) ?? store.getRun(p.deviceRunId);
    const reference = rows.find((r) => r.id === p.referenceRunId) ?? store.getRun(p.referenceRunId);
    if (!device || !reference) throw new Error(`pair ${p.deviceRunId} / ${p.referenceRunId}: no such run in ${store.file}`);
    if (!rows.includes(device)) throw new Error(`pair ${p.deviceRunId} / ${p.referenceRunId}: the device run is not in the report's selection`);
    out.push({ device, reference, by: 'explicit' });
  }
  if (opts.autoPair === false) return out;
  // References in the selection come first, then the newest imported ones; done runs before others.
  const inSel = rows.filter((r) => r.kind === 'reference');
  const others = store.listRuns({ kind: 'reference' }).filter((r) => !inSel.some((s) => s.id === r.id)).reverse();
  const refs = [...inSel, ...others].sort((a, b) => Number(b.status === 'done') - Number(a.status === 'done'));
  for (const device of rows) {
    if (device.kind !== 'device' || out.some((p) => p.device.id === device.id)) continue;
    const sameSuite = (r: RunRow) => r.suiteRunId != null && r.suiteRunId === device.suiteRunId;
    let ref = device.jobKey ? (refs.find((r) => r.jobKey === device.jobKey && sameSuite(r)) ?? refs.find((r) => r.jobKey === device.jobKey)) : undefined;
    let by: ReportPair['by'] = 'job_key';
    if (!ref) {
      const id = runIdentity(device);
      if (id.model && id.mode) {
        ref = refs.find((r) => {
          const rid = runIdentity(r);
          return rid.model === id.model && rid.mode === id.mode;
        });
        by = 'model+mode';
      }
    }
    if (ref) out.push({ device, reference: ref, by });
  }
  return out;
}

function lossDiff(deviceRunId: string, referenceRunId: string, by: ReportPair['by'], steps: Map<string, StepRow[]>, maxPoints: number): ReportPair {
  const ref = new Map<number, number>();
  for (const s of steps.get(referenceRunId) ?? []) if (s.loss != null && Number.isFinite(s.loss)) ref.set(s.step, s.loss);
  const diff: Point[] = [];
  for (const s of steps.get(deviceRunId) ?? []) {
    const r = ref.get(s.step);
    if (r !== undefined && s.loss != null && Number.isFinite(s.loss)) diff.push({ x: s.step, y: s.loss - r });
  }
  const abs = diff.map((d) => Math.abs(d.y));
  const last = diff.at(-1);
  return {
    deviceRunId, referenceRunId, by,
    commonSteps: diff.length,
    diff: downsample(diff, maxPoints),
    maxAbsDiff: abs.length ? abs.reduce((a, b) => Math.max(a, b), 0) : null,
    meanAbsDiff: abs.length ? abs.reduce((a, b) => a + b, 0) / abs.length : null,
    finalStep: last?.x ?? null,
    finalDiff: last?.y ?? null,
  };
}

/** The runner's own summary keys (main/runner/run-summary.ts) mapped onto RunSummary's names and units. */
function normalizeSummary(stored: RunSummary): RunSummary {
  const out: RunSummary = { ...stored };
  const alias = (from: string, to: string, scale = 1) => {
    const v = stored[from];
    if (typeof v === 'number' && out[to] == null) out[to] = v * scale;
  };
  alias('tokensPerSecond', 'tokensPerSecMedian');
  alias('peakRssMb', 'peakRssBytes', MiB);
  alias('peakTrackedMb', 'peakTrackedBytes', MiB);
  alias('warmupStepsExcluded', 'warmupSteps');
  return out;
}

/** Model name and training mode from the conditions, else from the job spec. */
export function runIdentity(r: Pick<RunRow, 'conditions' | 'job'>): { model: string | null; mode: string | null } {
  const job = (r.job && typeof r.job === 'object' ? r.job : {}) as Record<string, unknown>;
  const train = (job.train && typeof job.train === 'object' ? job.train : {}) as Record<string, unknown>;
  const jm = job.model;
  const model = strOf(r.conditions.model) ?? strOf(jm) ?? (jm && typeof jm === 'object' ? strOf((jm as Record<string, unknown>).name) : null)
    ?? (typeof job.model_dir === 'string' ? job.model_dir.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? null : null);
  const mode = strOf(r.conditions.mode) ?? strOf(job.mode) ?? strOf(train.mode);
  return { model, mode };
}

/** `sharding: {enabled, budgetMb}` from the job spec (top level or under train), else the conditions. */
export function shardingOf(r: Pick<RunRow, 'conditions' | 'job'>): Sharding | null {
  const job = (r.job && typeof r.job === 'object' ? r.job : {}) as Record<string, unknown>;
  const train = (job.train && typeof job.train === 'object' ? job.train : {}) as Record<string, unknown>;
  const s = (job.sharding ?? train.sharding ?? r.conditions.sharding) as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object') return null;
  return { enabled: s.enabled === true, budgetMb: typeof s.budgetMb === 'number' ? s.budgetMb : null };
}

function labelOf(r: RunRow, device: DeviceRow | null, model: string | null, mode: string | null, group: string): string {
  if (r.name) return r.name;
  const what = [model, mode].filter(Boolean).join(' ');
  if (r.kind === 'reference') return `${r.impl === 'pytorch' ? 'PyTorch' : 'reference'}${what ? ` ${what}` : ''}`;
  const where = device?.id === 'local' ? 'this computer' : device?.model ?? r.deviceId ?? 'device';
  return [where, what || r.jobKey, group === 'baseline' ? null : group].filter(Boolean).join(' · ');
}

function dedupeLabels(runs: ReportRun[]): void {
  const seen = new Map<string, number>();
  for (const r of runs) seen.set(r.label, (seen.get(r.label) ?? 0) + 1);
  for (const r of runs) if ((seen.get(r.label) ?? 0) > 1) r.label = `${r.label} (${r.attempt > 1 ? `attempt ${r.attempt}, ` : ''}${r.id.slice(-6)})`;
}

function strOf(v: unknown): string | null {
  return typeof v === 'string' && v ? v : null;
}
