// End to end on "this computer": a suite runs through the real hub, the real Node agent process and
// the real SQLite store, and produces all three report formats with real numbers; an agent killed
// mid-run fails cleanly with what it recorded kept (and a retry succeeds); a timeout and a user
// cancel end the run with a clear status.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSuite } from '../../../main/runner/suite-runner.js';
import { parseSuite } from '../../../main/suites/suite-expand.js';
import { ResultsStore } from '../../../main/store/results-store.js';
import { LocalTransport } from '../../../main/transports/local-transport.js';
import type { AgentLaunch, RunningAgent } from '../../../main/transports/device-transport.js';
import { torchMissing } from '../../../main/runner/reference-run.js';
import { repoRoot } from '../../../main/transports/local-transport.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleettune-suite-'));
});

function suite(extra: Record<string, unknown> = {}) {
  return parseSuite(JSON.stringify({
    name: 'test-suite', models: { tiny: { kind: 'fixture' } }, datasets: { wiki: { kind: 'fixture' } },
    base: { steps: 8, batchSize: 2, seqLen: 16, lr: 0.01, evalBatches: 2, lora: { r: 4, alpha: 8, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] } },
    timeouts: { jobSeconds: 120, connectSeconds: 60 }, ...extra,
  }), 'test-suite.json');
}

/** This computer, but the agent of the first `kills` launches is SIGKILLed at its step `atStep`. */
class CrashingTransport extends LocalTransport {
  private launches = 0;
  private current: RunningAgent | null = null;
  constructor(private readonly kills: number, private readonly atStep: number) {
    super();
  }
  override async launchAgent(l: AgentLaunch): Promise<RunningAgent> {
    this.current = this.launches++ < this.kills ? await super.launchAgent(l) : null;
    return this.current ?? super.launchAgent(l);
  }
  onEvent = (e: { type: string; step?: number }) => {
    if (e.type === 'step' && e.step === this.atStep && this.current) {
      process.kill(this.current.pid!, 'SIGKILL');
      this.current = null;
    }
  };
}

describe('runSuite on this computer', () => {
  it('runs the smoke-style suite and writes HTML, JSON and CSV reports with real numbers', async () => {
    const store = ResultsStore.open(path.join(dir, 'smoke.db'));
    const outDir = path.join(dir, 'smoke');
    const events: string[] = [];
    const s = suite({ matrix: { mode: ['lora', 'full'] }, reference: true });
    const result = await runSuite({ suite: s, devices: [new LocalTransport()], store, outDir, cacheDir: path.join(dir, 'cache'), onEvent: (e) => events.push(e.type) });
    expect(result.failed).toBe(0);
    expect(result.runs.map((r) => r.status)).toEqual(['done', 'done']);
    expect(store.getSuiteRun(result.suiteRunId)!.status).toBe('done');
    for (const r of result.runs) {
      const steps = store.getSteps(r.runId);
      expect(steps.map((x) => x.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(steps[7].loss!).toBeLessThan(steps[0].loss!);
      const run = store.getRun(r.runId)!;
      expect(run.summary!.peakRssBytes!).toBeGreaterThan(10 * 2 ** 20);
      expect(run.summary!.tokensPerSecMedian!).toBeGreaterThan(0);
      expect(run.conditions).toMatchObject({ agentVersion: '0.1.0', backend: 'cpu-wasm', deviceModel: expect.any(String) });
      expect(store.getMemorySamples(r.runId).length).toBeGreaterThan(0);
      expect(store.getArtifacts(r.runId).some((a) => a.name === 'adapter_model.safetensors' || a.name === 'model.safetensors')).toBe(true);
    }
    expect(events).toContain('step');
    const html = readFileSync(result.reports.html, 'utf8');
    expect(html).toContain('<svg');
    expect(JSON.parse(readFileSync(result.reports.json, 'utf8'))).toBeTypeOf('object');
    expect(readFileSync(result.reports.runsCsv, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(3);
    expect(readFileSync(result.reports.stepsCsv, 'utf8')).toContain('\n');
    if (!torchMissing()) {
      // each device run is paired with a PyTorch replay of the same batches: the same losses
      const refs = store.listRuns({ suiteRunId: result.suiteRunId, kind: 'reference' });
      expect(refs).toHaveLength(2);
      for (const ref of refs) {
        const dev = result.runs.find((r) => r.jobKey === ref.jobKey)!;
        const a = store.getSteps(dev.runId);
        const b = store.getSteps(ref.id);
        a.forEach((s, i) => expect(Math.abs(s.loss! - b[i].loss!) / b[i].loss!).toBeLessThan(1e-4));
      }
    } else console.warn(`reference pairing not checked: ${torchMissing()}`);
    store.close();
  });

  it('an agent killed mid-run fails with the reason, keeps its steps, and a retry succeeds', async () => {
    const store = ResultsStore.open(path.join(dir, 'crash.db'));
    const s = suite({ base: { steps: 400, batchSize: 2, seqLen: 16 } });
    const crashing = new CrashingTransport(1, 3);
    const failed = await runSuite({ suite: s, devices: [crashing], store, outDir: path.join(dir, 'crash'), cacheDir: path.join(dir, 'cache'), onEvent: crashing.onEvent });
    expect(failed.failed).toBe(1);
    const run = store.getRun(failed.runs[0].runId)!;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/the agent process died \(code null, signal SIGKILL\)|the agent disconnected/);
    expect(store.getSteps(run.id).length).toBeGreaterThan(0); // what was recorded before the crash is kept
    expect(existsSync(failed.reports.html)).toBe(true);

    const again = new CrashingTransport(1, 3);
    const retried = await runSuite({ suite: { ...s, retries: 1, base: { ...s.base, steps: 30 } }, devices: [again], store, outDir: path.join(dir, 'crash2'), cacheDir: path.join(dir, 'cache'), onEvent: again.onEvent });
    expect(retried.failed).toBe(0);
    expect(store.getRun(retried.runs[0].runId)).toMatchObject({ status: 'done', attempt: 2 });
    expect(store.getSteps(retried.runs[0].runId).map((x) => x.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1)); // the failed attempt's steps were cleared
    store.close();
  });

  it('a job over its time limit is stopped and marked failed; a user cancel marks it cancelled', async () => {
    const store = ResultsStore.open(path.join(dir, 'timeout.db'));
    const slow = suite({ base: { steps: 5000, batchSize: 2, seqLen: 16 }, timeouts: { jobSeconds: 4, connectSeconds: 60 } });
    const r1 = await runSuite({ suite: slow, devices: [new LocalTransport()], store, outDir: path.join(dir, 't1'), cacheDir: path.join(dir, 'cache') });
    expect(store.getRun(r1.runs[0].runId)).toMatchObject({ status: 'failed', error: expect.stringMatching(/timed out after 4 s/) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 4000);
    const r2 = await runSuite({ suite: { ...slow, timeouts: { jobSeconds: 600, connectSeconds: 60 } }, devices: [new LocalTransport()], store, outDir: path.join(dir, 't2'), cacheDir: path.join(dir, 'cache'), signal: controller.signal });
    expect(store.getRun(r2.runs[0].runId)!.status).toBe('cancelled');
    expect(store.getSuiteRun(r2.suiteRunId)!.status).toBe('interrupted');
    store.close();
  });

  it('sharding, threads and the power monitor reach the agent: identical losses with fp32 shards, scheduled sleeps recorded', async () => {
    const store = ResultsStore.open(path.join(dir, 'shard.db'));
    const s = suite({
      matrix: { sharding: [{ enabled: false, budgetMb: 1 }, { enabled: true, budgetMb: 0.25, fp16: false }], threads: [1] },
      power: { schedule: '0-2:150' },
    });
    const bounded: (boolean | undefined)[] = [];
    const local = new (class extends LocalTransport {
      override launchAgent(l: AgentLaunch): Promise<RunningAgent> {
        bounded.push(l.boundedMemory);
        return super.launchAgent(l);
      }
    })();
    const r = await runSuite({ suite: s, devices: [local], store, outDir: path.join(dir, 'shard'), cacheDir: path.join(dir, 'cache') });
    expect(r.failed).toBe(0);
    expect(bounded).toEqual([false, true]); // only the sharded job's agent gets the bounded-memory malloc setting
    const [base, sharded] = r.runs.map((x) => store.getSteps(x.runId));
    expect(sharded.map((x) => x.loss)).toEqual(base.map((x) => x.loss)); // fp32 shards: bit-identical training
    expect(sharded.slice(0, 2).map((x) => x.sleepMs)).toEqual([150, 150]);
    expect(sharded[3].sleepMs).toBe(0);
    const mem = store.getMemorySamples(r.runs[1].runId);
    expect(mem.some((m) => (m.shardResidentBytes ?? 0) > 0)).toBe(true);
    expect(Math.max(...mem.map((m) => m.shardResidentBytes ?? 0))).toBeLessThanOrEqual(0.25 * 2 ** 20);
    expect(store.getPowerSamples(r.runs[1].runId).some((p) => p.state === 'schedule')).toBe(true);
    // the job's thread count replaced the hello's (the agent starts with one per core)
    for (const x of r.runs) expect(store.getRun(x.runId)!.conditions.backendLimits).toMatchObject({ threads: 1 });
    store.close();
  });

  it('the browser agent trains in headless Chromium (WASM in a Web Worker) with the same losses as Node', async () => {
    const chromium = new LocalTransport({ runtime: 'browser' });
    if ((await chromium.info()).state !== 'connected') {
      if (process.env.CI) throw new Error('headless Chromium is missing; CI installs it');
      console.warn('browser agent test skipped: no Chromium (apt-get install -y chromium)');
      return;
    }
    const store = ResultsStore.open(path.join(dir, 'browser.db'));
    const s = suite({ devices: ['local', 'local-chromium'] });
    const r = await runSuite({ suite: s, devices: [new LocalTransport(), chromium], store, outDir: path.join(dir, 'browser'), cacheDir: path.join(dir, 'cache'), agentDir: path.join(repoRoot, 'out/agent') });
    expect(r.runs.map((x) => [x.deviceId, x.status])).toEqual([['local', 'done'], ['local-chromium', 'done']]);
    const [node, browser] = r.runs.map((x) => store.getSteps(x.runId).map((st) => st.loss));
    expect(browser).toEqual(node); // the same seeded job, the same float32 arithmetic, in V8 either way
    const run = store.getRun(r.runs[1].runId)!;
    expect(run.conditions).toMatchObject({ runtime: 'browser', userAgent: expect.stringMatching(/HeadlessChrome/) });
    expect(run.summary!.peakRssBytes!).toBeGreaterThan(20 * 2 ** 20); // the renderer's own VmHWM
    store.close();
  });
});
