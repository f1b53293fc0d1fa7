// `npm run train` as a person runs it: the package script goes through run-node.mjs, which starts
// the CLI with the agent's Node flags (node-flags.mjs). Proves the CLI process really loads the
// relaxed-SIMD (FMA) matmul build, which Node 20 only validates behind
// --experimental-wasm-relaxed-simd (plain `tsx train-cli.ts` got the slower plain-SIMD build), and
// that exit codes come through the launcher.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTinyGpt2Fixture } from '../../../device-agent/fixtures/tiny-gpt2.js';
import { parseRunLog } from '../../../device-agent/run-log.js';
import { repoRoot } from '../../../device-agent/runtime/build-node-bundle.mjs';

let dir: string;
let modelDir: string;
let dataDir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleettune-cli-launch-'));
  ({ modelDir, dataDir } = writeTinyGpt2Fixture(dir));
});

const npmTrain = (args: string[]) => spawnSync('npm', ['run', 'train', '--silent', '--', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });

describe('npm run train', () => {
  it('runs the CLI on the relaxed-SIMD kernels and records the build and threads in the run log', () => {
    const log = path.join(dir, 'run.jsonl');
    const r = npmTrain(['--pretrained_dir', modelDir, '--data_dir', dataDir, '--max_steps', '2', '--batch_size', '2', '--seq_len', '16', '--log', log]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cpu-wasm kernels: relaxed-simd, \d+ threads?$/m);
    const run = parseRunLog(readFileSync(log, 'utf8'), log)[0];
    if (run.type !== 'run') throw new Error(`first record is ${run.type}, not run`);
    expect(run.config?.kernels).toMatchObject({ variant: 'relaxed-simd', notes: [] });
  });

  it("passes the CLI's exit code and message through the launcher", () => {
    const r = npmTrain(['--max_step', '3']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown flag --max_step');
  });
});
