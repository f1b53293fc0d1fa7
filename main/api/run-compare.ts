// The compare view's data: any set of runs (device runs and imported PyTorch runs) as loss lines
// aligned by step / tokens / wall time, raw and EMA-smoothed; repeats of one job on one device as
// mean ± std bands; the per-step difference of every run to a chosen reference (drawn on the chosen
// axis); peak-RSS bars per device and sharding group; and the conditions table. Labels, summaries
// and sharding groups come from main/reports (buildReportData), so the UI and the exported report
// agree. Writes nothing.
import type { AlignAxis, CompareBand, CompareDiff, CompareLine, CompareRequest, Comparison, MemoryBar, XY } from '../ipc/api-types';
import { downsample } from '../reports/downsample';
import { buildReportData, type ReportRun } from '../reports/report-data';
import type { ResultsStore } from '../store/results-store';
import { buildConditionsTable } from './conditions-table';
import { alignX, axisLabel, differenceTo, emaSmooth, lossPoints, meanStdBand, repeatGroupKey } from './series-math';

const MiB = 1024 * 1024;
const needs: Record<AlignAxis, string> = { step: 'steps', tokens: 'token counts', wall: 'step times' };

export function buildComparison(store: ResultsStore, req: CompareRequest): Comparison {
  const maxPoints = req.maxPoints ?? 2000;
  const runIds = [...new Set([...req.runIds, ...(req.referenceRunId ? [req.referenceRunId] : [])])];
  const empty = { align: req.align, xLabel: axisLabel(req.align), smoothing: req.smoothing, referenceRunId: req.referenceRunId, lines: [], bands: [], diffs: [], bars: [], conditions: { columns: [], rows: [] } };
  if (!runIds.length) return { ...empty, notes: ['choose runs to compare'] };
  const data = buildReportData(store, { runIds }, { autoPair: false, maxPoints: 2 });
  const notes: string[] = [];
  const smooth = (pts: XY[]) => emaSmooth(pts, req.smoothing);
  const ds = <P extends XY>(pts: P[]) => downsample(pts, maxPoints);

  const raw = new Map<string, XY[]>();
  for (const r of data.runs) {
    const pts = lossPoints(r.steps, req.align);
    if (!pts.length && r.steps.length) notes.push(`${r.label} has no ${needs[req.align]}: left out of the ${axisLabel(req.align)} view`);
    else if (!r.steps.length) notes.push(`${r.label} has no steps yet`);
    raw.set(r.id, pts);
  }

  // repeats of one job on one device -> one band (the runs' own lines are marked with the band key)
  const bandOf = new Map<string, string>();
  const bands: CompareBand[] = [];
  if (req.bands) {
    const groups = new Map<string, ReportRun[]>();
    for (const r of data.runs) groups.set(repeatGroupKey(r), [...(groups.get(repeatGroupKey(r)) ?? []), r]);
    for (const [key, runs] of groups) {
      if (runs.length < 2) continue;
      const points = meanStdBand(runs.map((r) => smooth(raw.get(r.id)!)));
      for (const r of runs) bandOf.set(r.id, key);
      bands.push({ key, label: `${runs[0].label.replace(/ #\d+$/, '')} (mean ± std of ${runs.length})`, runIds: runs.map((r) => r.id), points: ds(points) });
    }
    if (!bands.length) notes.push('no repeated runs in the selection: bands need two or more repeats of one job on one device');
  }

  const lines: CompareLine[] = data.runs.map((r) => ({
    runId: r.id, label: r.label, kind: r.kind, band: bandOf.get(r.id) ?? null,
    raw: ds(raw.get(r.id)!), smoothed: ds(smooth(raw.get(r.id)!)),
  }));

  // The difference is per step (the same step of both runs), drawn at the run's own x on the chosen axis.
  const diffs: CompareDiff[] = [];
  if (req.referenceRunId) {
    const byStep = new Map(data.runs.map((r) => [r.id, lossPoints(r.steps, 'step')]));
    const ref = byStep.get(req.referenceRunId) ?? [];
    for (const r of data.runs) {
      if (r.id === req.referenceRunId) continue;
      const d = differenceTo(ref, byStep.get(r.id)!);
      const xs = alignX(r.steps, req.align);
      const xOfStep = new Map(r.steps.map((s, i) => [s.step, xs[i]]));
      const onAxis = d.points.flatMap((p) => (xOfStep.get(p.x) != null ? [{ x: xOfStep.get(p.x)!, y: p.y }] : []));
      if (!d.points.length) notes.push(`${r.label} shares no steps with the reference`);
      // EMA is linear: smoothing the difference equals the difference of the smoothed lines
      diffs.push({ runId: r.id, label: r.label, points: ds(smooth(onAxis)), maxAbs: d.maxAbs, meanAbs: d.meanAbs, common: d.points.length });
    }
  }

  const bars: MemoryBar[] = data.runs.map((r) => {
    const device = r.kind === 'reference' ? `${r.impl === 'pytorch' ? 'PyTorch' : 'reference'} (controller)` : r.device?.id === 'local' ? 'this computer' : (r.device?.model ?? r.device?.id ?? 'device');
    return {
      // a reference has no device of its own: its label tells two imported logs apart
      runId: r.id, device, group: r.group, category: r.kind === 'reference' ? r.label : `${device} · ${r.group}`, budgetMb: r.sharding?.budgetMb ?? null,
      peakRssMiB: r.summary.peakRssBytes != null ? r.summary.peakRssBytes / MiB : null,
      peakTrackedMiB: r.summary.peakTrackedBytes != null ? r.summary.peakTrackedBytes / MiB : null,
    };
  });

  return {
    ...empty, notes, lines, bands, diffs, bars,
    conditions: buildConditionsTable(data),
  };
}
