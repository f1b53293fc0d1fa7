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
import { createInterface } from 'node:readline';
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

/** The malloc setting a Node child runs with (agentNodeEnv: it depends on whether it bounds memory), for headers and records. */
export function benchMallocSetting(boundedMemory: boolean): string {
  const t = agentNodeEnv(process.env, { boundedMemory }).MALLOC_MMAP_THRESHOLD_;
  return t === undefined ? 'glibc default' : `MALLOC_MMAP_THRESHOLD_=${t}`;
}

/** NODE_OPTIONS a Node child runs with (agentNodeEnv: a small young generation where memory is bounded), for records. */
export function benchNodeOptions(boundedMemory: boolean): string {
  return agentNodeEnv(process.env, { boundedMemory }).NODE_OPTIONS ?? '';
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

interface ChildOpts { label: string; env?: NodeJS.ProcessEnv; echo?: boolean }

/** Spawns a child whose stderr is echoed (unless echo: false) and kept; `failure()` words its exit. */
function spawnChild(cmd: string, args: string[], opts: ChildOpts, stdin: 'ignore' | 'pipe') {
  const child = spawn(cmd, args, { cwd: benchRoot, env: opts.env ?? process.env, stdio: [stdin, 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-8000);
    if (opts.echo !== false) process.stderr.write(d);
  });
  const command = [cmd, ...args].join(' ');
  const failure = (why: string) => new Error(`${opts.label} ${why}: ${command}\n${err.trim().split('\n').slice(-15).join('\n')}`);
  const closed = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`${opts.label}: could not start ${cmd}: ${e.message}`)));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, closed, failure, command };
}

function parseLast<T>(out: string, label: string, command: string): T {
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${label}: the last line of its output is not JSON: ${JSON.stringify(last.slice(0, 300))} (${command})`);
  }
}

/** Runs any command whose last stdout line is JSON; rejects with its exit status and stderr tail when it fails. */
export async function runJsonChild<T>(cmd: string, args: string[], opts: ChildOpts): Promise<T> {
  const { child, closed, failure, command } = spawnChild(cmd, args, opts, 'ignore');
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const { code, signal } = await closed;
  if (code !== 0) throw failure(`failed (${signal ?? `exit ${code}`})`);
  return parseLast<T>(out, opts.label, command);
}

/**
 * A child that trains one step per request (train-run.ts and train-pytorch.py with --lockstep):
 * start() resolves once it printed {"ready":true} (initialised), step() lets it run one step and
 * resolves with {"step","ms","loss"}, finish() closes its stdin and resolves with its last JSON line.
 * So two implementations' steps can alternate and share the machine's load of the moment.
 */
export class LockstepChild<T> {
  private constructor(
    private readonly proc: ReturnType<typeof spawnChild>,
    private readonly lines: AsyncIterator<string>,
    private readonly label: string,
  ) {}

  static async start<T>(cmd: string, args: string[], opts: ChildOpts): Promise<LockstepChild<T>> {
    const proc = spawnChild(cmd, [...args, '--lockstep'], opts, 'pipe');
    proc.closed.catch(() => {}); // errors surface through next()
    const lines = createInterface({ input: proc.child.stdout! })[Symbol.asyncIterator]();
    const c = new LockstepChild<T>(proc, lines, opts.label);
    const ready = await c.next();
    if (!(ready as { ready?: boolean }).ready) throw proc.failure(`said ${JSON.stringify(ready)} instead of {"ready":true}`);
    return c;
  }

  private async next(): Promise<unknown> {
    const r = await this.lines.next(); // done once the child's stdout ends (it exited)
    if (r.done) {
      const { code, signal } = await this.proc.closed;
      throw this.proc.failure(`ended early (${signal ?? `exit ${code}`})`);
    }
    try {
      return JSON.parse(r.value);
    } catch {
      throw this.proc.failure(`printed a line that is not JSON: ${JSON.stringify(String(r.value).slice(0, 300))}`);
    }
  }

  async step(): Promise<{ step: number; ms: number; loss: number }> {
    this.proc.child.stdin!.write('go\n');
    return (await this.next()) as { step: number; ms: number; loss: number };
  }

  async finish(): Promise<T> {
    this.proc.child.stdin!.end();
    const rest: string[] = [];
    for (let r = await this.lines.next(); !r.done; r = await this.lines.next()) rest.push(r.value);
    const { code, signal } = await this.proc.closed;
    if (code !== 0) throw this.proc.failure(`failed (${signal ?? `exit ${code}`})`);
    return parseLast<T>(rest.join('\n'), this.label, this.proc.command);
  }
}

/** A Node child's label, environment and whether it bounds memory (a sharded run: the agent's malloc setting for that, agentNodeEnv). */
interface BenchChildOpts { label?: string; env?: NodeJS.ProcessEnv; echo?: boolean; boundedMemory: boolean }

/** What spawnChild gets for a Node child: its label (default: its name) and the agent's environment. */
function childOpts(name: BenchChild, opts: BenchChildOpts): ChildOpts {
  return { label: opts.label ?? name, env: agentNodeEnv(opts.env ?? process.env, { boundedMemory: opts.boundedMemory }), echo: opts.echo };
}

/** Runs a Node child (bundled unless BENCH_RUNNER=tsx) with the agent's flags; resolves with its JSON line. */
export async function runBenchChild<T>(name: BenchChild, args: string[], opts: BenchChildOpts): Promise<T> {
  const [cmd, ...rest] = await benchChildCommand(name, args);
  return runJsonChild<T>(cmd, rest, childOpts(name, opts));
}

/** Starts a Node child as a LockstepChild (bundled unless BENCH_RUNNER=tsx, the agent's flags and environment). */
export async function startLockstepBenchChild<T>(name: BenchChild, args: string[], opts: BenchChildOpts): Promise<LockstepChild<T>> {
  const [cmd, ...rest] = await benchChildCommand(name, args);
  return LockstepChild.start<T>(cmd, rest, childOpts(name, opts));
}
