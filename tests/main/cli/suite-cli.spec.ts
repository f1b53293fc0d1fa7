// The headless controller CLI: exit codes, a malformed suite, and a controller killed mid-suite
// (SIGKILL, no cleanup) that `--resume` continues without redoing finished jobs or losing data.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../main/cli/suite-cli.js';
import { ResultsStore } from '../../../main/store/results-store.js';
import { repoRoot } from '../../../main/transports/local-transport.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleettune-cli-'));
});

function writeSuite(name: string, body: object): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, models: { tiny: { kind: 'fixture' } }, datasets: { wiki: { kind: 'fixture' } }, ...body }));
  return file;
}

describe('suite-cli', () => {
  it('exits 2 with the JSON path for a malformed suite, and for bad usage', async () => {
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await main([writeSuite('broken', { base: { batchSize: 'four' } })])).toBe(2);
      expect(errors.join('\n')).toMatch(/broken\.json: base\.batchSize: /);
      expect(await main([])).toBe(2);
      expect(await main([path.join(dir, 'missing.json')])).toBe(2);
      expect(errors.join('\n')).toMatch(/missing\.json: cannot read the suite file/);
    } finally {
      console.error = orig;
    }
  });

  it('a controller killed mid-suite resumes: finished runs kept, the rest completed', async () => {
    const suite = writeSuite('resume-me', { base: { steps: 60, batchSize: 2, seqLen: 16 }, matrix: { seed: [1, 2, 3] } });
    const db = path.join(dir, 'resume.db');
    const out = path.join(dir, 'resume-out');
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/suite-cli.ts', suite, '--db', db, '--out', out, '--cache', path.join(dir, 'cache')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d;
        // first job finished and the second one is training: kill the controller without warning
        if (/local\s+done/.test(output) && /step\s+\d+\/60/.test(output.split(/local\s+done/)[1] ?? '')) {
          child.kill('SIGKILL');
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', () => reject(new Error(`the controller exited before it could be killed:\n${output}`)));
    });
    const before = ResultsStore.open(db);
    const [firstSuiteRun] = before.listSuiteRuns('resume-me');
    expect(firstSuiteRun.status).toBe('running'); // nobody could mark it: the process was killed
    const runsBefore = before.listRuns({ suiteRunId: firstSuiteRun.id, kind: 'device' });
    const done = runsBefore.filter((r) => r.status === 'done');
    expect(done).toHaveLength(1);
    const doneSteps = before.getSteps(done[0].id);
    const interruptedSteps = runsBefore.filter((r) => r.status === 'running').map((r) => before.getSteps(r.id).length);
    expect(interruptedSteps.some((n) => n > 0)).toBe(true); // the killed run's steps up to the crash were committed
    before.close();

    const logs: string[] = [];
    const orig = console.log;
    expect(await main([suite, '--resume', '--db', db, '--cache', path.join(dir, 'cache')]).finally(() => (console.log = orig))).toBe(0);
    void logs;
    const after = ResultsStore.open(db);
    expect(after.listSuiteRuns('resume-me')).toHaveLength(1); // the same suite run, continued
    expect(after.getSuiteRun(firstSuiteRun.id)!.status).toBe('done');
    const runsAfter = after.listRuns({ suiteRunId: firstSuiteRun.id, kind: 'device' });
    expect(runsAfter.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    const kept = after.getRun(done[0].id)!;
    expect(kept.finishedAt).toBe(done[0].finishedAt); // not re-run
    expect(after.getSteps(done[0].id)).toEqual(doneSteps);
    for (const r of runsAfter) expect(after.getSteps(r.id).map((s) => s.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(existsSync(path.join(out, 'report.html'))).toBe(true); // --resume reuses the interrupted run's folder
    after.close();
  });
});
