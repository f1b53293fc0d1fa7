// The compare view's data (main/api/run-compare.ts) and one run's series (run-series.ts) from a
// store filled with synthetic runs: repeats become one mean ± std band, the per-step difference is
// drawn on the chosen axis, runs without token counts are left out of the tokens view with a
// note, sharding groups label the memory bars, and a 100k-step run comes back as <= 2000 points a
// line, fast. The live feed's batching and settling (live-feed.ts) are checked here too.
import { describe, expect, it } from 'vitest';
import { LiveFeed } from '../../../main/api/live-feed';
import { buildComparison } from '../../../main/api/run-compare';
import { buildRunSeries } from '../../../main/api/run-series';
import type { LiveBatch } from '../../../main/ipc/api-types';
import { ResultsStore } from '../../../main/store/results-store';

function storeWithRuns() {
  const store = ResultsStore.open(':memory:');
  store.upsertDevice({ id: 'pixel', transport: 'adb', model: 'Pixel 8', os: 'Android', osVersion: '15' });
  const suiteRunId = store.createSuiteRun({ suiteName: 's', suite: {} });
  const run = (rep: number, offset: number, sharding?: { enabled: boolean; budgetMb: number }) => {
    const id = store.createRun({
      suiteRunId, kind: 'device', impl: 'fleettune', status: 'done', deviceId: 'pixel', jobKey: `model=m,mode="lora",rep=${rep}@pixel`,
      name: `Pixel 8 · m lora #${rep + 1}`, job: { model: 'm', train: { mode: 'lora', ...(sharding ? { sharding } : {}) } },
    });
    store.addSteps(id, Array.from({ length: 10 }, (_, i) => ({ step: i + 1, loss: 5 - 0.2 * i + offset, tokens: 64 * (i + 1), ms: 100 * (rep + 1) })));
    store.addMemorySamples(id, [{ tMs: 0, rssBytes: (200 + rep) * 2 ** 20, hwmBytes: (220 + rep) * 2 ** 20 }]);
    store.setRunSummary(id, { peakRssBytes: (220 + rep) * 2 ** 20 });
    return id;
  };
  const a = run(0, 0);
  const b = run(1, 0.2);
  const sharded = run(2, 0.1, { enabled: true, budgetMb: 128 });
  const ref = store.importReferenceLog([
    JSON.stringify({ type: 'run', impl: 'pytorch', model: 'm', mode: 'lora' }),
    ...Array.from({ length: 10 }, (_, i) => JSON.stringify({ type: 'step', step: i + 1, loss: 5 - 0.2 * i, lr: 0.01, tokens: 64 * (i + 1), ms: 50 })),
    JSON.stringify({ type: 'done', steps: 10, final_loss: 3.2, tokens: 640, ms: 500 }),
  ].join('\n'), 'torch.jsonl');
  return { store, a, b, sharded, ref };
}

describe('buildComparison', () => {
  it('draws repeats of one job on one device as a mean ± std band', () => {
    const { store, a, b, ref } = storeWithRuns();
    const c = buildComparison(store, { runIds: [a, b, ref], align: 'step', smoothing: 0, referenceRunId: null, bands: true });
    expect(c.bands).toHaveLength(1);
    expect(c.bands[0].runIds).toEqual([a, b]);
    expect(c.bands[0].label).toBe('Pixel 8 · m lora (mean ± std of 2)');
    expect(c.bands[0].points[0].y).toBeCloseTo(5.1, 12);
    expect(c.bands[0].points[0].std).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(c.lines.map((l) => l.band)).toEqual([c.bands[0].key, c.bands[0].key, null]);
  });

  it('draws the per-step difference on the chosen axis', () => {
    const { store, b, ref } = storeWithRuns();
    const c = buildComparison(store, { runIds: [b], align: 'wall', smoothing: 0, referenceRunId: ref, bands: false });
    expect(c.xLabel).toBe('wall time (s)');
    const d = c.diffs[0];
    expect(d.common).toBe(10);
    expect(d.points.map((p) => p.x)).toEqual(Array.from({ length: 10 }, (_, i) => 0.2 * (i + 1)).map((x) => expect.closeTo(x, 9)));
    for (const p of d.points) expect(p.y).toBeCloseTo(0.2, 12);
    expect(d.maxAbs).toBeCloseTo(0.2, 12);
  });

  it('labels memory bars by device and sharding group', () => {
    const { store, a, sharded, ref } = storeWithRuns();
    const c = buildComparison(store, { runIds: [a, sharded, ref], align: 'step', smoothing: 0.6, referenceRunId: null, bands: false });
    expect(c.bars.map((x) => [x.category, x.budgetMb])).toEqual([['Pixel 8 · baseline', null], ['Pixel 8 · sharded 128 MB', 128], ['torch.jsonl', null]]);
    expect(c.bars[0].peakRssMiB).toBe(220);
    expect(c.conditions.columns.map((x) => x.runId)).toEqual([a, sharded, ref]);
    expect(c.conditions.rows.find((r) => r.key === 'sharding')!.values).toEqual(['off (not in job spec)', 'on, budget 128 MB', null]);
  });

  it('says which runs a view leaves out', () => {
    const { store, a } = storeWithRuns();
    const bare = store.createRun({ kind: 'device', impl: 'fleettune', status: 'done', name: 'no tokens' });
    store.addSteps(bare, [{ step: 1, loss: 3 }]);
    const c = buildComparison(store, { runIds: [a, bare], align: 'tokens', smoothing: 0, referenceRunId: null, bands: false });
    expect(c.notes).toContain('no tokens has no token counts: left out of the tokens trained view');
    expect(buildComparison(store, { runIds: [], align: 'step', smoothing: 0, referenceRunId: null, bands: false }).notes).toEqual(['choose runs to compare']);
  });
});

describe('buildRunSeries', () => {
  it('keeps a 100k-step run at <= 2000 points a line with exact latest values', () => {
    const store = ResultsStore.open(':memory:');
    const id = store.createRun({ kind: 'device', impl: 'fleettune', status: 'running', name: 'long' });
    const n = 100_000;
    store.addSteps(id, Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: 3 + Math.sin(i / 100), lr: 1e-3, tokens: 64 * (i + 1), ms: 10 })));
    const t0 = performance.now();
    const s = buildRunSeries(store, id, { smoothing: 0.9 });
    const ms = performance.now() - t0;
    for (const line of [s.loss, s.lossSmoothed, s.lr, s.tokensPerSec]) expect(line.length).toBeLessThanOrEqual(2000);
    expect(s.latest).toMatchObject({ step: n, tokensPerSec: 6400, lr: 1e-3 });
    expect(s.latest.loss).toBeCloseTo(3 + Math.sin((n - 1) / 100), 12);
    expect(s.counts.steps).toBe(n);
    expect(ms).toBeLessThan(3000);
  });
});

describe('LiveFeed', () => {
  it('folds events into one state per run and sends at most ~8 batches a second', async () => {
    const feed = new LiveFeed((id) => `run ${id}`, 8);
    const batches: { t: number; b: LiveBatch }[] = [];
    feed.subscribe((b) => batches.push({ t: Date.now(), b }));
    const t0 = Date.now();
    for (let step = 1; Date.now() - t0 < 600; step++) {
      feed.push('q', { type: 'step', runId: 'r', deviceId: 'local', step, totalSteps: 1e6, loss: 2, ms: 10, tokens: 64 * step, rssMb: 100 });
      await new Promise((r) => setTimeout(r, 2));
    }
    feed.flush();
    expect(batches.length).toBeGreaterThan(2);
    expect(batches.length).toBeLessThanOrEqual(7);
    for (const { b } of batches) expect(b.runs).toHaveLength(1); // one state per run, not one per step
    expect(batches.at(-1)!.b.runs[0]).toMatchObject({ label: 'run r', status: 'running', tokensPerSec: 6400, peakRssMiB: 100 });
  });

  it('keeps a finished run finished while its reference runs, and settles from the store', () => {
    const feed = new LiveFeed((id) => id, 1000);
    feed.push('q', { type: 'status', runId: 'r', deviceId: 'local', status: 'running' });
    feed.push('q', { type: 'finished', runId: 'r', deviceId: 'local', status: 'done' });
    feed.push('q', { type: 'status', runId: 'r', deviceId: 'local', status: 'reference', detail: 'running the PyTorch reference' });
    expect(feed.snapshot().runs[0]).toMatchObject({ status: 'done', detail: 'running the PyTorch reference' });
    feed.push('q', { type: 'status', runId: 'stuck', deviceId: 'local', status: 'running' });
    feed.settle('q', (id) => (id === 'stuck' ? 'failed' : 'done'));
    expect(feed.snapshot().runs.map((r) => [r.runId, r.status, r.detail])).toEqual([['r', 'done', null], ['stuck', 'failed', null]]);
    expect(feed.snapshot().logs.map((l) => l.text)).toContain('r: done');
  });
});
