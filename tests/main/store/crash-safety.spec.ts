// Crash safety of the results store: rows written and committed by a connection that never closes
// are visible to a second connection, and a writer process killed with SIGKILL in the middle of
// writing loses nothing it had committed and leaves no half batch (each write API is one
// transaction; WAL + synchronous=NORMAL).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultsStore } from '../../../main/store/results-store';

const dirs: string[] = [];
const tmpDb = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleettune-store-'));
  dirs.push(dir);
  return path.join(dir, 'results.db');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('crash safety', () => {
  it('a second connection sees every committed row of a writer that never closed', () => {
    const file = tmpDb();
    const writer = ResultsStore.open(file);
    writer.upsertDevice({ id: 'local', transport: 'local' });
    const run = writer.createRun({ kind: 'device', impl: 'fleettune', deviceId: 'local' });
    writer.addSteps(run, Array.from({ length: 300 }, (_, i) => ({ step: i + 1, loss: 3 - i / 1000, tokens: (i + 1) * 64, ms: 10 })));
    writer.addPowerSamples(run, [{ tMs: 0, source: 'test', energyJ: 0 }, { tMs: 1000, source: 'test', energyJ: 2.5, charging: false }]);
    writer.setRunStatus(run, 'running');
    expect(existsSync(`${file}-wal`)).toBe(true); // WAL mode is on
    // no close(): the "controller" is still running (or died without closing)
    const reader = ResultsStore.open(file);
    expect(reader.getSteps(run)).toHaveLength(300);
    expect(reader.getPowerSamples(run).map((p) => p.energyJ)).toEqual([0, 2.5]);
    expect(reader.getRun(run)?.status).toBe('running');
    reader.close();
    writer.close();
  });

  it('a writer killed with SIGKILL mid-write keeps every committed batch and no partial one', async () => {
    const file = tmpDb();
    const script = path.join(import.meta.dirname, 'crash-writer.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lastCommitted = await new Promise<number>((resolve, reject) => {
      let buf = '';
      let last = 0;
      let commits = 0;
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) {
          const m = /^committed (\d+)$/.exec(l);
          if (!m) continue;
          last = Number(m[1]);
          if (++commits === 40) {
            child.kill('SIGKILL'); // the writer is inside its loop: most likely mid-transaction
            resolve(last);
          }
        }
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`writer exited early (code ${code}): ${stderr}`));
      });
    });
    await new Promise((r) => child.on('close', r));
    expect(child.signalCode).toBe('SIGKILL');

    const store = ResultsStore.open(file);
    const steps = store.getSteps('crash-run');
    // everything reported committed is there (later batches may have committed before the kill landed)
    expect(steps.length).toBeGreaterThanOrEqual(lastCommitted);
    // no partial batch: whole batches of 50, contiguous from step 1
    expect(steps.length % 50).toBe(0);
    expect(steps.every((s, i) => s.step === i + 1)).toBe(true);
    expect(store.getMemorySamples('crash-run').length).toBeGreaterThanOrEqual(lastCommitted / 50);
    expect(store.getRun('crash-run')?.status).toBe('running');
    // the controller's restart marks the cut-off run instead of leaving it 'running' forever
    expect(store.recoverInterrupted()).toEqual({ suiteRuns: 0, runs: 1 });
    expect(store.getRun('crash-run')).toMatchObject({ status: 'failed', error: expect.stringMatching(/interrupted/) });
    store.close();
  });
});
