// What every benchmark records with its result, and where: the machine (CPU model, cores, memory,
// load), the commit (and whether the tree had uncommitted changes), the Node version and flags,
// appended as one JSON line to benchmarks/results/<name>.jsonl. Shared by matmul, memory and train.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = path.join(benchRoot, 'benchmarks/results');

/**
 * The checked-out commit and whether tracked files differ from it ('unknown' outside a checkout).
 * benchmarks/results/ does not count: appending a result must not make the next run "dirty".
 */
export function gitState(): { commit: string; dirty: boolean } {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: benchRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!benchmarks/results') !== '' };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export interface Machine { cpu: string; cores: number; memory_gb: number; node: string; loadavg: number[] }

/** This machine, now. `loadavg` (1, 5, 15 min): the host is shared, so say how busy it was. */
export function machineInfo(): Machine {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg: loadavg().map(round2) };
}

/** Appends `{ date, commit, dirty, machine, ...record }` to benchmarks/results/<name>.jsonl; returns the file. */
export function appendResult(name: string, record: Record<string, unknown>): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`appendResult: bad result name ${JSON.stringify(name)} (lower-case letters, digits, '-')`);
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.jsonl`);
  appendFileSync(file, JSON.stringify({ date: new Date().toISOString(), ...gitState(), machine: machineInfo(), ...record }) + '\n');
  return file;
}
