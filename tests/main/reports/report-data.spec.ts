// buildReportData: selection by suite run or run ids, pairing (explicit, job_key, model + mode;
// references imported outside the suite join the report), the per-step loss difference, summary
// completion from the series (stored values win), downsampled chart series and sharding groups.
import { describe, expect, it } from 'vitest';
import { buildReportData, runIdentity, shardingOf } from '../../../main/reports/report-data';
import { reportHtml } from '../../../main/reports/report-html';
import { ResultsStore } from '../../../main/store/results-store';
import { buildExampleStore, pytorchLog, STEPS } from './example-store';

describe('buildReportData', () => {
  it('a suite run: its runs, the reference paired by job_key or by model + mode', () => {
    const { store, suiteRunId, referenceRunId } = buildExampleStore();
    const data = buildReportData(store, { suiteRunId }, { generatedAt: '2026-11-29T09:00:00Z' });
    expect(data).toMatchObject({ format: 'fleettune-report', version: 1, title: 'Suite "gpt2-lora-sharding"', generatedAt: '2026-11-29T09:00:00Z', suiteRun: { id: suiteRunId, status: 'done' } });
    expect(data.runs.filter((r) => r.kind === 'device')).toHaveLength(6);
    expect(data.runs.at(-1)).toMatchObject({ id: referenceRunId, kind: 'reference', group: 'PyTorch reference', model: 'gpt2', mode: 'lora' });
    expect(data.pairs).toHaveLength(6);
    for (const p of data.pairs) {
      const run = data.runs.find((r) => r.id === p.deviceRunId)!;
      expect(p).toMatchObject({ referenceRunId, by: run.jobKey === 'gpt2-lora/baseline' ? 'job_key' : 'model+mode', commonSteps: STEPS, finalStep: STEPS });
      expect(p.maxAbsDiff!).toBeLessThan(0.02);
      expect(p.diff).toHaveLength(STEPS);
    }
    const groups = [...new Set(data.runs.map((r) => r.group))];
    expect(groups).toEqual(['baseline', 'sharded 128 MB', 'PyTorch reference']);
    const pixel = data.runs.find((r) => r.label === 'Pixel 7 · gpt2 lora')!;
    expect(pixel.summary.energyJ).toBeGreaterThan(0);
    expect(pixel.summary.peakRssBytes).toBeCloseTo(1450 * 1024 * 1024, -3);
    expect(pixel.series.loss).toHaveLength(STEPS);
    expect(pixel.steps).toHaveLength(STEPS);
    expect(pixel.artifacts).toHaveLength(1);
    expect(data.runs.find((r) => r.device?.id === 'local')!.summary.energyJ).toBeNull();
    expect(data.runs.find((r) => r.label === 'Pixel 7 · gpt2 lora · sharded 128 MB')).toBeDefined();
  });

  it('run ids, explicit pairs, no auto pairing, downsampling and stripped steps', () => {
    const { store, suiteRunId } = buildExampleStore();
    const [a, b] = store.listRuns({ suiteRunId });
    const other = store.importReferenceLog(pytorchLog(Array.from({ length: STEPS }, () => 2)), 'flat.jsonl', { name: 'flat' });
    const data = buildReportData(store, { runIds: [a.id, b.id] }, { pairs: [{ deviceRunId: a.id, referenceRunId: other }], autoPair: false, maxPoints: 100, includeSteps: false });
    expect(data.runs.map((r) => r.id)).toEqual([a.id, b.id, other]);
    expect(data.pairs).toEqual([expect.objectContaining({ deviceRunId: a.id, referenceRunId: other, by: 'explicit' })]);
    expect(data.pairs[0].diff.length).toBeLessThanOrEqual(100);
    expect(data.runs[0].series.loss.length).toBeLessThanOrEqual(100);
    expect(data.runs[0].series.rssMiB.length).toBeLessThanOrEqual(100);
    expect(data.runs.every((r) => r.steps.length === 0)).toBe(true);
    expect(() => buildReportData(store, { runIds: ['ghost'] })).toThrow(/no run "ghost"/);
    expect(() => buildReportData(store, { suiteRunId: 'ghost' })).toThrow(/no suite run "ghost"/);
  });

  it('the stored summary wins over the derived one, but a stored null does not hide a measurement', () => {
    const store = ResultsStore.open(':memory:');
    const id = store.createRun({ kind: 'device', impl: 'fleettune', name: 'r' });
    store.addSteps(id, [{ step: 1, loss: 3, tokens: 10, ms: 10 }, { step: 2, loss: 2, tokens: 20, ms: 10 }]);
    store.addPowerSamples(id, [{ tMs: 0, source: 's', energyJ: 0 }, { tMs: 1000, source: 's', energyJ: 5 }]);
    store.setRunSummary(id, { finalLoss: 1.5, energyJ: null, custom: 'kept' });
    const [run] = buildReportData(store, { runIds: [id] }).runs;
    expect(run.summary).toMatchObject({ finalLoss: 1.5, energyJ: 5, custom: 'kept', steps: 2, maxTemperatureC: null });
    expect(run.label).toBe('r');
  });

  it('reads the summary keys of main/runner and the agent hello kept in the conditions', () => {
    const store = ResultsStore.open(':memory:');
    const id = store.createRun({ kind: 'device', impl: 'fleettune', name: 'r' });
    store.setRunConditions(id, { backend: 'webgpu', agent: { version: '9.9.9', runtime: 'browser', backends: [{ name: 'webgpu', limits: { maxBufferSize: 268435456 } }] } });
    store.setRunSummary(id, { tokensPerSecond: 1234, peakRssMb: 512, peakTrackedMb: 100, warmupStepsExcluded: 3 });
    const data = buildReportData(store, { runIds: [id] });
    expect(data.runs[0].summary).toMatchObject({ tokensPerSecMedian: 1234, peakRssBytes: 512 * 1024 * 1024, peakTrackedBytes: 100 * 1024 * 1024, warmupSteps: 3 });
    const html = reportHtml(data);
    expect(html).toContain('<td>9.9.9</td>');
    expect(html).toContain('maxBufferSize=268435456');
    expect(html).toContain('1234 tok/s');
  });

  it('run identity and sharding come from conditions or either job format', () => {
    expect(runIdentity({ conditions: {}, job: { model: { name: 'gpt2' }, train: { mode: 'full' } } })).toEqual({ model: 'gpt2', mode: 'full' });
    expect(runIdentity({ conditions: {}, job: { model_dir: '/m/gpt2-medium/', mode: 'lora' } })).toEqual({ model: 'gpt2-medium', mode: 'lora' });
    expect(runIdentity({ conditions: { model: 'x', mode: 'lora' }, job: null })).toEqual({ model: 'x', mode: 'lora' });
    expect(shardingOf({ conditions: {}, job: { train: { sharding: { enabled: true, budgetMb: 64 } } } })).toEqual({ enabled: true, budgetMb: 64 });
    expect(shardingOf({ conditions: {}, job: {} })).toBeNull();
  });
});
