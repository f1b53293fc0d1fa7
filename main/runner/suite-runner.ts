// Runs a suite end to end: expand it into jobs, pick the devices, start the hub, create (or, with
// resume, find) the suite run and its runs in the store, schedule runs onto devices, run a PyTorch
// reference beside each finished job when the suite asks for one, and write the reports.
// Shared by the headless CLI and the desktop app; progress goes out through onEvent.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Hub } from '../hub/hub-server.js';
import { ResultsStore } from '../store/results-store.js';
import { hashSuite } from '../store/hash-suite.js';
import { summarizeRun } from '../store/run-summary.js';
import { buildReportData } from '../reports/report-data.js';
import { writeReports } from '../reports/write-reports.js';
import type { DeviceInfo, DeviceTransport } from '../transports/device-transport.js';
import { repoRoot } from '../transports/local-transport.js';
import { expandSuite, type SuiteJob } from '../suites/suite-expand.js';
import type { Suite } from '../suites/suite-schema.js';
import { resolveDataset, resolveModel, type ResolvedModel } from '../suites/suite-assets.js';
import { runJobOnDevice, type JobRunOutcome } from './job-runner.js';
import { Scheduler } from './scheduler.js';
import { referencePython, runReference, torchMissing } from './reference-run.js';
import type { RunEvent } from './runner-types.js';

export interface SuiteRunOptions {
  suite: Suite;
  /** Devices to run on (already discovered); the suite's selectors filter them. */
  devices: DeviceTransport[];
  store: ResultsStore;
  outDir: string;
  cacheDir: string;
  resume?: boolean;
  onEvent?(ev: RunEvent | { type: 'log'; line: string }): void;
  /** Cancels the whole suite. */
  signal?: AbortSignal;
  /** Agent folder the hub serves at /agent/ (browser runtime). */
  agentDir?: string;
}

export interface SuiteRunResult {
  suiteRunId: string;
  runs: { runId: string; jobKey: string; deviceId: string; status: string; error?: string | null }[];
  failed: number;
  reports: { html: string; json: string; runsCsv: string; stepsCsv: string };
}

function gitCommit(): string | null {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function selectDevices(suite: Suite, devices: { info: DeviceInfo; transport: DeviceTransport }[]) {
  const chosen = suite.devices.includes('*') ? devices : devices.filter((d) => suite.devices.includes(d.info.id));
  const usable = chosen.filter((d) => d.info.state === 'connected');
  if (usable.length === 0) {
    const seen = devices.map((d) => `${d.info.id} (${d.info.state})`).join(', ') || 'none';
    throw new Error(`no usable device for suite "${suite.name}" (it asks for ${suite.devices.join(', ')}; connected: ${seen}); connect a phone with USB debugging enabled, or use "local" (this computer)`);
  }
  return usable;
}

export async function runSuite(opts: SuiteRunOptions): Promise<SuiteRunResult> {
  const { suite, store } = opts;
  const emit = opts.onEvent ?? (() => {});
  const jobs = expandSuite(suite);
  const infos = await Promise.all(opts.devices.map(async (t) => ({ info: await t.info(), transport: t })));
  const devices = selectDevices(suite, infos);
  for (const d of devices) store.upsertDevice({ id: d.info.id, transport: d.info.transport, model: d.info.model, os: d.info.os, osVersion: d.info.osVersion, browser: d.info.browser ?? null, info: { ...d.info } });

  const suiteHash = hashSuite(suite);
  const previous = opts.resume ? store.findResumableSuiteRun(suite.name, suiteHash) : undefined;
  if (opts.resume && !previous) emit({ type: 'log', line: `resume: no unfinished run of suite "${suite.name}" with this exact content; starting a new one` });
  const suiteRunId = previous?.id ?? store.createSuiteRun({ suiteName: suite.name, suite, outDir: opts.outDir });
  if (previous) store.finishSuiteRun(previous.id, 'running');

  const hub = await Hub.start({ artifactDir: path.join(opts.outDir, 'artifacts'), agentDir: opts.agentDir, log: (line) => emit({ type: 'log', line: `hub: ${line}` }) });
  const commit = gitCommit();
  const reference = suite.reference ? torchMissing() : 'the suite does not ask for reference runs';
  if (suite.reference && reference) emit({ type: 'log', line: `PyTorch reference runs skipped: ${reference}` });

  try {
    const models = new Map<string, ResolvedModel>();
    const datasets = new Map<string, Awaited<ReturnType<typeof resolveDataset>>>();
    const host = { addFile: (f: string) => hub.addFile(f) };
    for (const job of jobs) {
      if (!models.has(job.model)) models.set(job.model, await resolveModel(job.model, suite.models[job.model], opts.cacheDir, host));
      if (!datasets.has(job.dataset)) datasets.set(job.dataset, await resolveDataset(job.dataset, suite.datasets[job.dataset], opts.cacheDir, host));
    }

    // one run per (job, device); on resume, finished runs are kept and the rest start over
    const planned: { runId: string; job: SuiteJob; device: (typeof devices)[number]; jobKey: string }[] = [];
    for (const job of jobs) {
      for (const device of devices) {
        const jobKey = `${job.key}@${device.info.id}`;
        const existing = previous ? store.listRuns({ suiteRunId, jobKey, kind: 'device' })[0] : undefined;
        if (existing?.status === 'done') continue;
        const jobSpec = { model: job.model, dataset: job.dataset, variant: job.variant, repeat: job.repeat, train: job.train, sharding: job.train.sharding ?? { enabled: false } };
        const runId = existing?.id ?? store.createRun({ suiteRunId, jobKey, deviceId: device.info.id, kind: 'device', impl: 'fleettune', status: 'queued', job: jobSpec,
          name: `${device.info.name} · ${job.model} ${job.train.mode}${Object.keys(job.variant).filter((k) => k !== 'mode').map((k) => ` ${k}=${JSON.stringify(job.variant[k])}`).join('')}${suite.repeats > 1 ? ` #${job.repeat + 1}` : ''}` });
        if (existing) {
          store.deleteRunData(runId);
          store.setRunStatus(runId, 'queued');
        }
        planned.push({ runId, job, device, jobKey });
      }
    }

    const scheduler = new Scheduler<JobRunOutcome>({
      retries: suite.retries,
      onAttemptFinished: async (item, outcome, attempt, willRetry) => {
        const p = planned.find((x) => x.runId === item.runId)!;
        store.setRunSummary(p.runId, summarizeRun({ steps: store.getSteps(p.runId), evals: store.getEvals(p.runId), memory: store.getMemorySamples(p.runId), power: store.getPowerSamples(p.runId) }));
        store.setRunStatus(p.runId, willRetry ? 'failed' : outcome.status, { error: outcome.error ?? null, finishedAt: new Date().toISOString() });
        emit({ type: 'finished', runId: p.runId, deviceId: p.device.info.id, status: outcome.status, error: willRetry ? `${outcome.error} (retrying, attempt ${attempt + 1})` : outcome.error });
        if (outcome.status === 'done' && !reference) await referenceFor(p);
      },
    });
    opts.signal?.addEventListener('abort', () => scheduler.cancelAll(), { once: true });

    async function referenceFor(p: (typeof planned)[number]): Promise<void> {
      const model = models.get(p.job.model)!;
      emit({ type: 'status', runId: p.runId, deviceId: p.device.info.id, status: 'reference', detail: 'running the PyTorch reference' });
      try {
        const log = await runReference({
          artifactDir: path.dirname(hub.artifactPath(p.runId, 'batches.bin')), modelDir: model.localDir,
          modelConfig: model.model.kind === 'random' ? model.model.config : undefined, train: p.job.train, threads: 1, timeoutMs: suite.timeouts.jobSeconds * 1000,
        });
        for (const old of store.listRuns({ suiteRunId, jobKey: p.jobKey, kind: 'reference' })) store.deleteRun(old.id);
        const refId = store.importReferenceLog(readFileSync(log, 'utf8'), log, { jobKey: p.jobKey, suiteRunId, name: `PyTorch · ${p.job.model} ${p.job.train.mode} (${referencePython})` });
        store.patchRunConditions(refId, { model: p.job.model, mode: p.job.train.mode, suiteName: suite.name }); // the log only knows its model folder
      } catch (e) {
        emit({ type: 'log', line: `reference for ${p.jobKey} failed: ${(e as Error).message}` });
        store.patchRunConditions(p.runId, { referenceError: (e as Error).message });
      }
    }

    await scheduler.run(planned.map((p) => ({
      runId: p.runId,
      deviceId: p.device.info.id,
      execute: async (signal, attempt) => {
        if (attempt > 1) store.deleteRunData(p.runId);
        store.setRunStatus(p.runId, 'running', { startedAt: new Date().toISOString(), attempt });
        const model = models.get(p.job.model)!;
        return runJobOnDevice({
          runId: p.runId, device: p.device.transport, deviceInfo: p.device.info, hub, store, signal,
          job: { model: model.model, tokenizer: model.tokenizer, data: datasets.get(p.job.dataset)!.data, train: p.job.train, power: suite.power, exportInputs: !reference, memoryIntervalMs: 500 },
          conditions: {
            deviceModel: p.device.info.model, os: p.device.info.os, osVersion: p.device.info.osVersion, browser: p.device.info.browser ?? null, transport: p.device.info.transport,
            gitCommit: commit, suiteName: suite.name, model: p.job.model, mode: p.job.train.mode, jobKey: p.jobKey,
          },
          timeouts: suite.timeouts, maxStartTemperatureC: suite.maxStartTemperatureC, emit,
        });
      },
    })));

    const runs = store.listRuns({ suiteRunId, kind: 'device' });
    const failed = runs.filter((r) => r.status !== 'done').length;
    const cancelled = opts.signal?.aborted ?? false;
    store.finishSuiteRun(suiteRunId, cancelled ? 'interrupted' : failed ? 'failed' : 'done');
    const reports = writeReports(buildReportData(store, { suiteRunId }, { title: `Suite "${suite.name}"` }), opts.outDir);
    return { suiteRunId, runs: runs.map((r) => ({ runId: r.id, jobKey: r.jobKey ?? '', deviceId: r.deviceId ?? '', status: r.status, error: r.error })), failed, reports };
  } finally {
    await hub.close();
  }
}
