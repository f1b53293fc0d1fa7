// Runs a benchmark's measured side in its own process, so that the OS peak RSS (VmHWM) it reports
// is its own: the Node children (memory-run, train-run) as bundles under plain node with the
// agent's flags and environment (node-flags.mjs), exactly as the local agent runs (out/bench/*.js, built by build-node-bundle.mjs;
// relaxed SIMD on Node 20), and the PyTorch peers. Each child prints one JSON line last on stdout;
// its stderr is passed through as it comes (progress) and kept for the error message.
// Knobs: BENCH_RUNNER=tsx runs the TypeScript sources under `--import tsx` instead of the bundles
// (what the children cost before bundling: +~40 MB RSS); BENCH_NODE_FLAGS="--flag ..." adds Node /
// V8 flags to every Node child (for trying heap settings); FLEETTUNE_MMAP_THRESHOLD (node-flags.mjs)
// sets or (=glibc) drops the malloc setting.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildNodeBundles } from '../../device-agent/runtime/build-node-bundle.mjs';
import { agentNodeEnv, agentNodeFlags, scriptArgs } from '../../device-agent/cli/node-flags.mjs';
import { benchRoot } from './bench-record.js';

/** The Node children and their sources. */
export const benchChildren = {
  'memory-run': 'benchmarks/memory/memory-run.ts',
  'train-run': 'benchmarks/perf/train-run.ts',
} as const;
export type BenchChild = keyof typeof benchChildren;

export function benchRunner(): 'bundle' | 'tsx' {
  const r = process.env.BENCH_RUNNER ?? 'bundle';
  if (r !== 'bundle' && r !== 'tsx') throw new Error(`BENCH_RUNNER must be "bundle" (default) or "tsx", got ${JSON.stringify(r)}`);
  return r;
}

/** The Node flags every Node child runs with: the agent's (agentNodeFlags) plus BENCH_NODE_FLAGS. */
export function benchNodeFlags(): string[] {
  return [...agentNodeFlags(), ...(process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)];
}

/** The malloc setting the Node children run with (agentNodeEnv), for headers and records. */
export function benchMallocSetting(): string {
  const t = agentNodeEnv().MALLOC_MMAP_THRESHOLD_;
  return t === undefined ? 'glibc default' : `MALLOC_MMAP_THRESHOLD_=${t}`;
}

let bundles: Promise<Record<string, string>> | null = null;
/** Builds out/bench/ (once per process; a no-op when up to date) and returns { child: bundle path }. */
function benchBundles(): Promise<Record<string, string>> {
  bundles ??= buildNodeBundles({
    outDir: path.join(benchRoot, 'out/bench'),
    entries: Object.fromEntries(Object.entries(benchChildren).map(([k, v]) => [k, path.join(benchRoot, v)])),
    log: (l) => console.error(l),
  }).then((r) => r.files);
  return bundles;
}

/** The command line that runs a Node child (for the record and for error messages). */
export async function benchChildCommand(name: BenchChild, args: string[]): Promise<string[]> {
  const script = benchRunner() === 'tsx' ? path.join(benchRoot, benchChildren[name]) : (await benchBundles())[name];
  return [process.execPath, ...benchNodeFlags(), ...scriptArgs(script), ...args];
}

/** Runs any command whose last stdout line is JSON; rejects with its exit status and stderr tail when it fails. */
export function runJsonChild<T>(cmd: string, args: string[], opts: { label: string; env?: NodeJS.ProcessEnv; echo?: boolean }): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: benchRoot, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-8000);
      if (opts.echo !== false) process.stderr.write(d);
    });
    child.once('error', (e) => reject(new Error(`${opts.label}: could not start ${cmd}: ${e.message}`)));
    child.once('close', (code, signal) => {
      const command = [cmd, ...args].join(' ');
      if (code !== 0) return reject(new Error(`${opts.label} failed (${signal ?? `exit ${code}`}): ${command}\n${err.trim().split('\n').slice(-15).join('\n')}`));
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${opts.label}: the last line of its output is not JSON: ${JSON.stringify(last.slice(0, 300))} (${command})`));
      }
    });
  });
}

/** Runs a Node child (bundled unless BENCH_RUNNER=tsx) with the agent's flags; resolves with its JSON line. */
export async function runBenchChild<T>(name: BenchChild, args: string[], opts: { label?: string; env?: NodeJS.ProcessEnv; echo?: boolean } = {}): Promise<T> {
  const [cmd, ...rest] = await benchChildCommand(name, args);
  return runJsonChild<T>(cmd, rest, { label: opts.label ?? name, env: agentNodeEnv(opts.env ?? process.env), echo: opts.echo });
}
