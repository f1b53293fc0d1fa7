// The controller service end to end on this computer: a real suite runs through the queue (real
// runner, hub, Node agent and SQLite store), live batches arrive at <= ~8 Hz, a hand-written
// PyTorch-format JSONL log is imported, and the run's series, a comparison against the import and
// an export come out right. The queue's ordering (one suite per device at a time) and the suite
// validation paths are checked with a stand-in runner.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerService } from '../../../main/api/controller-service';
import type { SuiteRunOptions, SuiteRunResult } from '../../../main/runner/suite-runner';
import { ResultsStore } from '../../../main/store/results-store';
import type { LiveBatch } from '../../../main/ipc/api-types';
import { repoRoot } from '../../../main/transports/local-transport';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleettune-controller-'));
});

const suiteText = (extra: Record<string, unknown> = {}) => JSON.stringify({
  name: 'ui-test', models: { tiny: { kind: 'fixture' } }, datasets: { wiki: { kind: 'fixture' } },
  base: { steps: 6, batchSize: 2, seqLen: 16, lr: 0.01, evalBatches: 2, lora: { r: 4, alpha: 8, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj'] } },
  timeouts: { jobSeconds: 120, connectSeconds: 60 }, ...extra,
}, null, 2);

/** A PyTorch-style run log, written by hand in the run-log format (device-agent/run-log.ts). */
function torchLog(steps: number): string {
  const lines: object[] = [{ type: 'run', impl: 'pytorch', model: 'tiny', mode: 'lora', started_at: '2026-11-29T08:00:00Z' }];
  for (let s = 1; s <= steps; s++) lines.push({ type: 'step', step: s, loss: 5 - 0.1 * s, lr: 0.01, tokens: 32 * s, ms: 20 });
  lines.push({ type: 'done', steps, final_loss: 5 - 0.1 * steps, tokens: 32 * steps, ms: 20 * steps, peak_rss_mb: 300 });
  return lines.map((l) => JSON.stringify(l)).join('\n');
}

describe('ControllerService on this computer', () => {
  let store: ResultsStore;
  let c: ControllerService;
  afterAll(async () => {
    await c?.close();
    store?.close();
  });

  it('lists the device and the built-in suites', async () => {
    store = ResultsStore.open(path.join(dir, 'results.db'));
    c = await ControllerService.start({
      store, outRoot: path.join(dir, 'out'), cacheDir: path.join(dir, 'cache'),
      suiteFolders: { builtin: path.join(repoRoot, 'benchmarks/suites'), user: path.join(dir, 'suites') },
    });
    const devices = await c.listDevices();
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ id: 'local', transport: 'local', state: 'connected', activity: null });
    expect(devices[0].capabilities).toContain('memory');
    const suites = c.listSuites();
    expect(suites.find((s) => s.id === 'builtin/smoke.json')).toMatchObject({ name: 'smoke', source: 'builtin', error: null });
  });

  it('runs a suite from the queue with batched live events, then series, import, compare and export', async () => {
    const batches: { t: number; b: LiveBatch }[] = [];
    const off = c.on('live:batch', (b) => batches.push({ t: Date.now(), b }));
    const entry = c.startSuite({ text: suiteText(), deviceIds: ['local'] });
    expect(entry).toMatchObject({ status: 'running', runsTotal: 1, suiteName: 'ui-test' });
    expect((await c.listDevices())[0].state).toBe('busy');
    await c.idle();
    await new Promise((r) => setTimeout(r, 300)); // the last batch goes out within 1/8 s
    off();
    const done = c.queue()[0];
    expect(done).toMatchObject({ status: 'done', runsFinished: 1, runsFailed: 0 });
    expect(existsSync(done.reportHtml!)).toBe(true);

    // live: step events arrived, folded, and no faster than ~8 batches a second
    const steps = batches.flatMap((x) => x.b.runs).filter((r) => r.step > 0);
    expect(steps.length).toBeGreaterThan(0);
    expect(Math.max(...steps.map((r) => r.step))).toBe(6);
    for (let i = 1; i < batches.length; i++) expect(batches[i].t - batches[i - 1].t).toBeGreaterThanOrEqual(100);
    expect(c.liveSnapshot().logs.some((l) => l.deviceId === 'local')).toBe(true);

    const runs = c.listRuns({ suiteRunId: done.suiteRunId! });
    expect(runs).toHaveLength(1);
    const series = c.runSeries({ runId: runs[0].id, smoothing: 0.6 });
    expect(series.loss.map((p) => p.x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(series.lossSmoothed[0].y).toBeCloseTo(series.loss[0].y, 12); // debiased: starts at the first loss
    expect(series.latest.peakRssMiB!).toBeGreaterThan(10);
    expect(series.tokensPerSec.length).toBeGreaterThan(0);

    const ref = c.importLog({ fileName: 'torch-run.jsonl', text: torchLog(6) });
    expect(ref).toMatchObject({ kind: 'reference', impl: 'pytorch', label: 'imported · torch-run.jsonl' });
    expect(() => c.importLog({ fileName: 'bad.jsonl', text: '{"type":"step"}' })).toThrow(/bad\.jsonl:1/);

    const cmp = c.compare({ runIds: [runs[0].id, ref.id], align: 'step', smoothing: 0, referenceRunId: ref.id, bands: false });
    expect(cmp.lines.map((l) => l.kind)).toEqual(['device', 'reference']);
    expect(cmp.diffs).toHaveLength(1);
    expect(cmp.diffs[0].common).toBe(6);
    expect(cmp.diffs[0].points[0].y).toBeCloseTo(series.loss[0].y - 4.9, 9);
    expect(cmp.bars.map((b) => b.category)).toEqual(['this computer · baseline', 'imported · torch-run.jsonl']);
    expect(cmp.bars[1]).toMatchObject({ group: 'PyTorch reference', peakRssMiB: 300 });
    expect(cmp.conditions.rows.find((r) => r.key === 'device')!.values[0]).toMatch(/\(local\)/);
    const byTokens = c.compare({ runIds: [runs[0].id, ref.id], align: 'tokens', smoothing: 0.5, referenceRunId: null, bands: true });
    expect(byTokens.xLabel).toBe('tokens trained');
    expect(byTokens.notes.some((n) => /bands need two or more repeats/.test(n))).toBe(true);

    const exp = await c.exportComparison({ runIds: [runs[0].id], referenceRunId: ref.id, formats: ['html', 'csv', 'json', 'pdf'] });
    expect(exp.files.map((f) => f.name).sort()).toEqual(['report.html', 'report.json', 'runs.csv', 'steps.csv']);
    expect(exp.notes.join(' ')).toMatch(/PDF needs the desktop app/);
    expect(readFileSync(path.join(exp.dir, 'report.html'), 'utf8')).toContain('imported · torch-run.jsonl');
    const file = c.readExportFile({ exportId: exp.id, name: 'runs.csv' });
    expect(Buffer.from(file.base64, 'base64').toString('utf8')).toContain(runs[0].id);
    expect(() => c.readExportFile({ exportId: exp.id, name: '../results.db' })).toThrow(/not a file of an export/);
  });

  it('validates suite text with JSON paths and lines', () => {
    const bad = suiteText({ base: { steps: 0, lr: 0.01 }, matrix: { mode: ['lora', 'full'], model: ['nope'] } });
    const v = c.validateSuite(bad);
    expect(v.ok).toBe(false);
    const steps = v.issues.find((i) => i.pathText === 'base.steps');
    expect(steps).toBeDefined();
    expect(bad.split('\n')[steps!.line! - 1]).toContain('"steps"');
    const typo = c.validateSuite(suiteText({ repeets: 2 }));
    expect(typo.issues[0]).toMatchObject({ pathText: '(top level)', message: expect.stringMatching(/unknown key "repeets"/) });
    const model = c.validateSuite(suiteText({ matrix: { model: ['tiny', 'nope'] } }));
    expect(model.issues[0]).toMatchObject({ pathText: 'matrix.model[1]', message: 'no model named "nope" in models' });
    expect(c.validateSuite('{ "name": ').issues[0].message).toMatch(/not valid JSON/);
    expect(c.validateSuite(suiteText({ matrix: { mode: ['lora', 'full'] }, repeats: 2 }))).toMatchObject({ ok: true, jobs: 4, name: 'ui-test' });
  });

  it('saves a suite in the user folder only, under a safe name', () => {
    const saved = c.saveSuite('mine.json', suiteText());
    expect(saved).toMatchObject({ id: 'user/mine.json', source: 'user', error: null });
    expect(c.readSuite('user/mine.json').text).toBe(suiteText());
    expect(() => c.saveSuite('../evil.json', '{}')).toThrow(/not a suite file name/);
    expect(() => c.readSuite('builtin/../../package.json')).toThrow(/not a suite id/);
  });
});

describe('the suite queue', () => {
  it('runs one suite per device at a time, in order, and suites on other devices in parallel', async () => {
    const store = ResultsStore.open(':memory:');
    const started: string[] = [];
    const release = new Map<string, () => void>();
    const fakeRun = (o: SuiteRunOptions): Promise<SuiteRunResult> => new Promise((resolve) => {
      started.push(o.suite.name);
      release.set(o.suite.name, () => resolve({ suiteRunId: 'x', runs: [], failed: 0, reports: { html: 'r.html', json: '', runsCsv: '', stepsCsv: '' } }));
    });
    const other = { kind: 'local' as const, info: async () => ({ id: 'pixel', transport: 'adb' as const, name: 'Pixel', model: 'Pixel 8', os: 'Android', osVersion: '15', state: 'connected' as const }), launchAgent: async () => { throw new Error('unused'); } };
    const c = await ControllerService.start({
      store, outRoot: path.join(dir, 'q'), cacheDir: dir, suiteFolders: { builtin: path.join(repoRoot, 'benchmarks/suites'), user: dir }, runSuite: fakeRun,
      providers: [{ name: 'test', start: async (emit) => emit({ type: 'added', transport: other }), stop: async () => {} }],
    });
    const a = c.startSuite({ text: suiteText({ name: 'a' }), deviceIds: ['pixel'] });
    const b = c.startSuite({ text: suiteText({ name: 'b' }), deviceIds: ['pixel'] });
    const cancelled = c.startSuite({ text: suiteText({ name: 'c' }), deviceIds: ['pixel'] });
    expect(() => c.startSuite({ text: suiteText(), deviceIds: ['nowhere'] })).toThrow(/no device "nowhere"/);
    expect(started).toEqual(['a']);
    expect(c.queue().find((e) => e.id === b.id)).toMatchObject({ status: 'queued', waitingFor: 'pixel is busy with a' });
    c.cancel(cancelled.id);
    release.get('a')!();
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['a', 'b']);
    release.get('b')!();
    await c.idle();
    expect(c.queue().map((e) => [e.suiteName, e.status])).toEqual([['a', 'done'], ['b', 'done'], ['c', 'cancelled']]);
    expect(a.id).not.toBe(b.id);
    await c.close();
    store.close();
  });
});

describe('ControllerService start', () => {
  it("interrupts what a crashed controller left running, but not a live one's runs", async () => {
    const file = path.join(dir, 'recover.db');
    // a controller (a child process) creates a running suite run and dies without finishing it
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      const { ResultsStore } = await import(${JSON.stringify(path.join(repoRoot, 'main/store/results-store.ts'))});
      const s = ResultsStore.open(${JSON.stringify(file)});
      const id = s.createSuiteRun({ suiteName: 'crashed', suite: {} });
      s.createRun({ suiteRunId: id, kind: 'device', impl: 'fleettune', status: 'running' });
      s.close();`], { cwd: repoRoot, encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const store = ResultsStore.open(file);
    const live = store.createSuiteRun({ suiteName: 'live', suite: {} }); // this process: alive
    const c = await ControllerService.start({
      store, outRoot: path.join(dir, 'r'), cacheDir: dir, suiteFolders: { builtin: path.join(repoRoot, 'benchmarks/suites'), user: dir }, providers: [],
    });
    const crashed = store.findResumableSuiteRun('crashed');
    expect(crashed?.status).toBe('interrupted');
    expect(store.listRuns({ suiteRunId: crashed!.id })[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/interrupted/) });
    expect(store.getSuiteRun(live)?.status).toBe('running');
    await c.close();
    store.close();
  });
});
