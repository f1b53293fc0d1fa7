// The ResultsStore API against an in-memory database: devices, suite runs and resume lookup, runs
// and their status/conditions/summary, every series (steps, evals, memory, power, artifacts),
// filters, retries (deleteRunData), crash recovery, and the errors that name what to do next.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';
import { hashSuite } from '../../../main/store/hash-suite';
import { ResultsStore } from '../../../main/store/results-store';

let store: ResultsStore;
beforeEach(() => {
  store = ResultsStore.open(':memory:');
});

describe('devices', () => {
  it('upserts: first_seen stays, last_seen and given fields update, missing fields are kept', () => {
    store.upsertDevice({ id: 'R5CT1', transport: 'adb', model: 'Pixel 7', os: 'Android', osVersion: '14', info: { abi: 'arm64-v8a' }, seenAt: '2026-01-01T00:00:00Z' });
    store.upsertDevice({ id: 'R5CT1', transport: 'adb', browser: 'Chrome 131', seenAt: '2026-01-02T00:00:00Z' });
    expect(store.getDevice('R5CT1')).toEqual({
      id: 'R5CT1', transport: 'adb', model: 'Pixel 7', os: 'Android', osVersion: '14', browser: 'Chrome 131',
      info: { abi: 'arm64-v8a' }, firstSeen: '2026-01-01T00:00:00Z', lastSeen: '2026-01-02T00:00:00Z',
    });
    store.upsertDevice({ id: 'local', transport: 'local' });
    expect(store.listDevices().map((d) => d.id)).toEqual(['R5CT1', 'local']);
    expect(store.getDevice('nope')).toBeUndefined();
  });
});

describe('suite runs', () => {
  it('create, finish, get, list and find the one to resume', () => {
    const suite = { name: 'lora', jobs: [{ key: 'a', steps: 10 }] };
    const a = store.createSuiteRun({ suiteName: 'lora', suite, outDir: '/tmp/out', startedAt: '2026-01-01T00:00:00Z' });
    expect(store.getSuiteRun(a)).toEqual({ id: a, suiteName: 'lora', suiteHash: hashSuite(suite), suite, startedAt: '2026-01-01T00:00:00Z', finishedAt: null, status: 'running', outDir: '/tmp/out' });
    expect(store.findResumableSuiteRun('lora')?.id).toBe(a);
    store.finishSuiteRun(a, 'interrupted', '2026-01-01T01:00:00Z');
    expect(store.findResumableSuiteRun('lora', hashSuite({ jobs: [{ steps: 10, key: 'a' }], name: 'lora' }))?.id).toBe(a); // key order does not matter
    expect(store.findResumableSuiteRun('lora', hashSuite({ other: true }))).toBeUndefined();
    const b = store.createSuiteRun({ suiteName: 'lora', suite, startedAt: '2026-01-02T00:00:00Z' });
    store.finishSuiteRun(b, 'done');
    expect(store.getSuiteRun(b)?.finishedAt).toMatch(/^\d{4}-/);
    expect(store.findResumableSuiteRun('lora')).toBeUndefined(); // the latest one finished
    expect(store.listSuiteRuns('lora').map((s) => s.id)).toEqual([b, a]);
    expect(store.listSuiteRuns().length).toBe(2);
    expect(() => store.finishSuiteRun('nope', 'done')).toThrow(/no suite run with id "nope"/);
    expect(() => store.finishSuiteRun(a, 'bogus' as never)).toThrow(/not one of running, done/);
  });
});

describe('runs', () => {
  beforeEach(() => {
    store.upsertDevice({ id: 'local', transport: 'local' });
  });

  it('create with defaults, status transitions stamp times and errors', () => {
    const id = store.createRun({ kind: 'device', impl: 'fleettune', deviceId: 'local', jobKey: 'j1', job: { train: { steps: 3 } }, conditions: { backend: 'cpu-wasm' } });
    expect(id).toMatch(/^run-\d{8}T\d{6}-[0-9a-f]{6}$/);
    expect(store.getRun(id)).toMatchObject({ status: 'queued', attempt: 1, kind: 'device', impl: 'fleettune', jobKey: 'j1', deviceId: 'local', job: { train: { steps: 3 } }, conditions: { backend: 'cpu-wasm' }, summary: null, startedAt: null });
    store.setRunStatus(id, 'running', { startedAt: '2026-01-01T00:00:00Z' });
    store.setRunStatus(id, 'failed', { error: 'agent crashed' });
    let r = store.getRun(id)!;
    expect(r).toMatchObject({ status: 'failed', error: 'agent crashed', startedAt: '2026-01-01T00:00:00Z' });
    expect(r.finishedAt).not.toBeNull();
    store.setRunStatus(id, 'running', { attempt: 2 }); // retry: error and finish cleared, start kept
    r = store.getRun(id)!;
    expect(r).toMatchObject({ status: 'running', error: null, finishedAt: null, attempt: 2, startedAt: '2026-01-01T00:00:00Z' });
    store.setRunStatus(id, 'done', { finishedAt: '2026-01-01T00:05:00Z' });
    expect(store.getRun(id)).toMatchObject({ status: 'done', finishedAt: '2026-01-01T00:05:00Z' });
    expect(() => store.setRunStatus('nope', 'done')).toThrow(/no run with id "nope"/);
  });

  it('conditions (replace and patch) and summary', () => {
    const id = store.createRun({ kind: 'device', impl: 'fleettune' });
    store.setRunConditions(id, { deviceModel: 'Pixel 7', charging: false });
    store.patchRunConditions(id, { startTemperatureC: 31.5, gitCommit: 'abc123' });
    expect(store.getRun(id)?.conditions).toEqual({ deviceModel: 'Pixel 7', charging: false, startTemperatureC: 31.5, gitCommit: 'abc123' });
    store.setRunSummary(id, { finalLoss: 2.5, energyJ: null });
    expect(store.getRun(id)?.summary).toEqual({ finalLoss: 2.5, energyJ: null });
  });

  it('rejects unknown devices, suite runs, kinds and impls with a hint', () => {
    expect(() => store.createRun({ kind: 'device', impl: 'fleettune', deviceId: 'ghost' })).toThrow(/unknown device "ghost": call upsertDevice/);
    expect(() => store.createRun({ kind: 'device', impl: 'fleettune', suiteRunId: 'ghost' })).toThrow(/unknown suite run "ghost"/);
    expect(() => store.createRun({ kind: 'phone' as never, impl: 'fleettune' })).toThrow(/run kind "phone" is not one of device, reference/);
    expect(() => store.createRun({ kind: 'device', impl: 'jax' as never })).toThrow(/run impl "jax"/);
  });

  it('lists runs by suite run, status, kind, job key and device', () => {
    const s = store.createSuiteRun({ suiteName: 's', suite: {} });
    const a = store.createRun({ kind: 'device', impl: 'fleettune', suiteRunId: s, jobKey: 'a', deviceId: 'local' });
    const b = store.createRun({ kind: 'device', impl: 'fleettune', suiteRunId: s, jobKey: 'b', status: 'done' });
    const c = store.createRun({ kind: 'reference', impl: 'pytorch', jobKey: 'a' });
    expect(store.listRuns().map((r) => r.id)).toEqual([a, b, c]);
    expect(store.listRuns({ suiteRunId: s }).map((r) => r.id)).toEqual([a, b]);
    expect(store.listRuns({ status: 'done' }).map((r) => r.id)).toEqual([b]);
    expect(store.listRuns({ status: ['queued', 'done'], kind: 'device' }).map((r) => r.id)).toEqual([a, b]);
    expect(store.listRuns({ kind: 'reference' }).map((r) => r.id)).toEqual([c]);
    expect(store.listRuns({ jobKey: 'a' }).map((r) => r.id)).toEqual([a, c]);
    expect(store.listRuns({ deviceId: 'local' }).map((r) => r.id)).toEqual([a]);
    expect(store.listRuns({ status: [] })).toEqual([]);
  });
});

describe('series', () => {
  let run: string;
  beforeEach(() => {
    run = store.createRun({ kind: 'device', impl: 'fleettune' });
  });

  it('steps: batch insert, ordered read, a resent step replaces, NaN reads as null', () => {
    store.addSteps(run, [{ step: 2, loss: 2.0, lr: 1e-3, tokens: 128, ms: 10, gradNorm: 0.5, sleepMs: 0 }, { step: 1, loss: 3.0 }]);
    store.addSteps(run, [{ step: 2, loss: 1.9, lr: 1e-3, tokens: 128, ms: 11 }, { step: 3, loss: Number.NaN, tokens: 192 }]);
    expect(store.getSteps(run)).toEqual([
      { step: 1, loss: 3.0, lr: null, tokens: null, ms: null, gradNorm: null, sleepMs: null },
      { step: 2, loss: 1.9, lr: 1e-3, tokens: 128, ms: 11, gradNorm: null, sleepMs: null },
      { step: 3, loss: null, lr: null, tokens: 192, ms: null, gradNorm: null, sleepMs: null },
    ]);
  });

  it('a batch with a bad row stores none of its rows', () => {
    store.addSteps(run, [{ step: 1, loss: 3 }]);
    expect(() => store.addSteps(run, [{ step: 2, loss: 2 }, { step: 'x' as never, loss: 1 }, { step: 3, loss: 1 }])).toThrow();
    expect(store.getSteps(run).map((s) => s.step)).toEqual([1]);
    expect(() => store.addSteps('ghost', [{ step: 1, loss: 1 }])).toThrow(/FOREIGN KEY/);
  });

  it('evals, memory, power and artifacts round-trip', () => {
    store.addEval(run, { step: 10, split: 'valid', loss: 2.2, ppl: Math.exp(2.2) });
    store.addEval(run, { step: 10, split: 'valid', loss: 2.1, ppl: Math.exp(2.1), tokens: 4096 });
    expect(store.getEvals(run)).toEqual([{ step: 10, split: 'valid', loss: 2.1, ppl: Math.exp(2.1), tokens: 4096 }]);

    store.addMemorySamples(run, [{ tMs: 1000, rssBytes: 5e8, hwmBytes: 6e8, swapBytes: 0, trackedBytes: 2e8, peakTrackedBytes: 3e8, shardResidentBytes: 1.28e8 }, { tMs: 0, rssBytes: 4e8 }]);
    expect(store.getMemorySamples(run)).toEqual([
      { tMs: 0, rssBytes: 4e8, hwmBytes: null, swapBytes: null, trackedBytes: null, peakTrackedBytes: null, shardResidentBytes: null },
      { tMs: 1000, rssBytes: 5e8, hwmBytes: 6e8, swapBytes: 0, trackedBytes: 2e8, peakTrackedBytes: 3e8, shardResidentBytes: 1.28e8 },
    ]);

    store.addPowerSamples(run, [{ tMs: 0, source: 'sysfs', energyJ: 0, powerW: 2.5, batteryPct: 80, temperatureC: 30.5, charging: true, sleepMs: 0, state: 'normal' }, { tMs: 500, source: 'agent', state: 'throttle', sleepMs: 20 }]);
    expect(store.getPowerSamples(run)).toEqual([
      { tMs: 0, energyJ: 0, powerW: 2.5, batteryPct: 80, temperatureC: 30.5, charging: true, source: 'sysfs', sleepMs: 0, state: 'normal' },
      { tMs: 500, energyJ: null, powerW: null, batteryPct: null, temperatureC: null, charging: null, source: 'agent', sleepMs: 20, state: 'throttle' },
    ]);

    const art = store.addArtifact(run, { kind: 'adapter', name: 'adapter_model.safetensors', path: '/out/a.safetensors', bytes: 1234, sha256: 'ab'.repeat(32) });
    expect(store.getArtifacts(run)).toEqual([{ id: art, kind: 'adapter', name: 'adapter_model.safetensors', path: '/out/a.safetensors', bytes: 1234, sha256: 'ab'.repeat(32) }]);
  });

  it('deleteRunData keeps the run row and clears its series, summary and times', () => {
    store.setRunConditions(run, { backend: 'cpu-wasm' });
    store.setRunStatus(run, 'failed', { error: 'oom' });
    store.addSteps(run, [{ step: 1, loss: 3 }]);
    store.addEval(run, { step: 1, split: 'valid', loss: 3 });
    store.addMemorySamples(run, [{ tMs: 0, rssBytes: 1 }]);
    store.addPowerSamples(run, [{ tMs: 0, source: 's' }]);
    store.addArtifact(run, { kind: 'adapter', name: 'a' });
    store.setRunSummary(run, { finalLoss: 3 });
    store.deleteRunData(run);
    expect([store.getSteps(run), store.getEvals(run), store.getMemorySamples(run), store.getPowerSamples(run), store.getArtifacts(run)]).toEqual([[], [], [], [], []]);
    expect(store.getRun(run)).toMatchObject({ id: run, summary: null, conditions: { backend: 'cpu-wasm' }, error: null, startedAt: null, finishedAt: null });
    expect(() => store.deleteRunData('ghost')).toThrow(/no run with id "ghost"/);
  });

  it('deleteRun removes the run and its data; deleting a suite run cascades', () => {
    store.addSteps(run, [{ step: 1, loss: 3 }]);
    store.deleteRun(run);
    expect(store.getRun(run)).toBeUndefined();
    expect(store.getSteps(run)).toEqual([]);
  });
});

describe('recoverInterrupted', () => {
  // a pid that existed a moment ago and has exited: the owner of a controller that crashed
  const deadOwner = () => `${os.hostname()}#${spawnSync(process.execPath, ['-e', '0']).pid}`;
  const setOwner = (table: 'runs' | 'suite_runs', id: string, owner: string | null) =>
    (store as unknown as { db: { prepare(sql: string): { run(...a: unknown[]): void } } }).db.prepare(`UPDATE ${table} SET owner = ? WHERE id = ?`).run(owner, id);

  it('marks suite runs and runs of a controller that is gone interrupted / failed, leaves the rest', () => {
    const s = store.createSuiteRun({ suiteName: 's', suite: {} });
    const a = store.createRun({ kind: 'device', impl: 'fleettune', suiteRunId: s, status: 'running' });
    const b = store.createRun({ kind: 'device', impl: 'fleettune', suiteRunId: s, status: 'done' });
    const dead = deadOwner();
    setOwner('suite_runs', s, dead);
    setOwner('runs', a, dead);
    expect(store.recoverInterrupted()).toEqual({ suiteRuns: 1, runs: 1 });
    expect(store.getSuiteRun(s)?.status).toBe('interrupted');
    expect(store.findResumableSuiteRun('s')?.id).toBe(s);
    expect(store.getRun(a)?.status).toBe('failed');
    expect(store.getRun(b)?.status).toBe('done');
  });

  it("leaves a live controller's running rows alone (the CLI and the app may share the database)", () => {
    const s = store.createSuiteRun({ suiteName: 's', suite: {} });
    const a = store.createRun({ kind: 'device', impl: 'fleettune', suiteRunId: s, status: 'queued' });
    store.setRunStatus(a, 'running');
    expect(store.recoverInterrupted()).toEqual({ suiteRuns: 0, runs: 0 });
    expect(store.getRun(a)?.status).toBe('running');
    // another host's rows cannot be checked: left alone; rows without an owner (older databases) are orphans
    setOwner('suite_runs', s, 'some-other-host#1');
    setOwner('runs', a, 'some-other-host#1');
    expect(store.recoverInterrupted()).toEqual({ suiteRuns: 0, runs: 0 });
    setOwner('suite_runs', s, null);
    setOwner('runs', a, null);
    expect(store.recoverInterrupted()).toEqual({ suiteRuns: 1, runs: 1 });
  });

  it('a resumed suite run belongs to the controller that resumed it', () => {
    const s = store.createSuiteRun({ suiteName: 's', suite: {} });
    setOwner('suite_runs', s, deadOwner());
    store.finishSuiteRun(s, 'running');
    expect(store.recoverInterrupted()).toEqual({ suiteRuns: 0, runs: 0 });
  });
});
