// `npm run bench:matmul`: f32 matmul throughput of the cpu-wasm kernel (plain SIMD and relaxed-SIMD
// FMA builds, 1 and 2 threads) at 512^3 and the GPT-2 small shapes, against OpenBLAS (torch.mm under
// /usr/bin/python3, matmul-openblas.py) in the same run. Not a test: it checks every configuration's
// result first (sampled entries against float64, the test suite's bound), warms up, then interleaves
// ours and OpenBLAS in rounds so both see the same load, and prints median (min-max) and best.
// Each round also times the WASM SIMD ceiling (simd-peak.ts: FMAs only), reported against OpenBLAS.
// Last line: the JSON summary; the full record is appended to benchmarks/results/matmul.jsonl.
// Usage: npm run bench:matmul [-- --rounds R --runs N]
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../device-agent/core/rng.js';
import { loadWasmKernels, type WasmKernels } from '../../device-agent/backends/cpu-wasm/wasm-kernels.js';
import { relaxedSimdSupported } from '../../device-agent/backends/cpu-wasm/wasm-features.js';
import { agentNodeFlags } from '../../device-agent/cli/node-flags.mjs';
import { appendResult, gitState, machineInfo } from '../lib/bench-record.js';
import { measureSimdPeak } from './simd-peak.js';

// The agent runs with agentNodeFlags() (Node 20: --experimental-wasm-relaxed-simd); measure under
// the same flags: re-run this script with them when they are missing.
const missing = agentNodeFlags().filter((f) => !process.execArgv.includes(f));
if (!relaxedSimdSupported() && missing.length && !process.env.FLEETTUNE_BENCH_CHILD) {
  const args = [...process.execArgv, ...missing, ...process.argv.slice(1)];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, FLEETTUNE_BENCH_CHILD: '1' } });
  process.exit(r.status ?? 1);
}

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
// Ours and OpenBLAS alternate once per shape and thread count per round: the host's speed drifts
// over seconds (README), so short rounds pair samples taken close together.
const ROUNDS = arg('rounds', 6);
const RUNS = arg('runs', 3); // timed runs per configuration per round
const WARMUP = 3;
const THREADS = [1, 2];
const PYTHON = process.env.FLEETTUNE_PYTHON ?? '/usr/bin/python3';

interface Shape { name: string; M: number; N: number; K: number; transA: boolean; transB: boolean }
// GPT-2 small at 512 rows (batch x seq): the forward of attn.c_proj (768x768), attn.c_attn
// (768x2304), mlp.c_fc (768x3072) and mlp.c_proj (3072x768), and the two backward products of c_attn.
const SHAPES: Shape[] = [
  { name: '512^3', M: 512, N: 512, K: 512, transA: false, transB: false },
  { name: 'c_proj 768x768', M: 512, N: 768, K: 768, transA: false, transB: false },
  { name: 'c_attn 768x2304', M: 512, N: 2304, K: 768, transA: false, transB: false },
  { name: 'c_fc 768x3072', M: 512, N: 3072, K: 768, transA: false, transB: false },
  { name: 'mlp.c_proj 3072x768', M: 512, N: 768, K: 3072, transA: false, transB: false },
  { name: 'c_attn dx (NT)', M: 512, N: 768, K: 2304, transA: false, transB: true },
  { name: 'c_attn dW (TN)', M: 768, N: 2304, K: 512, transA: true, transB: false },
];

const gflops = (s: Shape, ms: number) => (2 * s.M * s.N * s.K) / ms / 1e6;

interface Stats { median: number; min: number; max: number; n: number }
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
function stats(xs: number[]): Stats {
  return { median: round1(median(xs)), min: round1(Math.min(...xs)), max: round1(Math.max(...xs)), n: xs.length };
}
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const round1 = (x: number) => Math.round(x * 10) / 10;
const fmt = (st: Stats | undefined) => (st ? `${st.median.toFixed(1).padStart(6)} (${st.min.toFixed(1)}-${st.max.toFixed(1)})` : '     -');

// ---- ours ------------------------------------------------------------------------------------------
interface Config { variant: string; threads: number; kernels: WasmKernels }
const configs: Config[] = [];
for (const relaxed of relaxedSimdSupported() ? [true, false] : [false]) {
  for (const threads of THREADS) {
    const kernels = await loadWasmKernels(undefined, { threads, relaxedSimd: relaxed });
    if (kernels.threads !== threads) console.log(`note: ${kernels.variant} asked for ${threads} threads, got ${kernels.threads}: ${kernels.notes.join('; ')}`);
    configs.push({ variant: kernels.variant, threads: kernels.threads, kernels });
  }
}

const rng = new Rng(1);
const data = new Map<Shape, { a: Float32Array; b: Float32Array; c: Float32Array }>();
for (const s of SHAPES) {
  const a = new Float32Array(s.M * s.K), b = new Float32Array(s.K * s.N);
  rng.fillUniform(a, -1, 1);
  rng.fillUniform(b, -1, 1);
  data.set(s, { a, b, c: new Float32Array(s.M * s.N) });
}

// Correctness first: 256 sampled entries per configuration and shape against float64, within the
// worst-case float32 bound of tests/device-agent/backends/matmul.spec.ts.
function check(cfg: Config, s: Shape): void {
  const { a, b, c } = data.get(s)!;
  cfg.kernels.matmul(a, b, c, s.M, s.N, s.K, s.transA, s.transB, false);
  const u = 2 ** -24, g = ((2 * s.K + 2) * u) / (1 - (2 * s.K + 2) * u);
  for (let t = 0; t < 256; t++) {
    const i = rng.int(s.M), j = rng.int(s.N);
    let v = 0, m = 0;
    for (let k = 0; k < s.K; k++) {
      const p = (s.transA ? a[k * s.M + i] : a[i * s.K + k]) * (s.transB ? b[j * s.K + k] : b[k * s.N + j]);
      v += p;
      m += Math.abs(p);
    }
    if (Math.abs(c[i * s.N + j] - v) > g * m) throw new Error(`cpu-wasm ${cfg.variant} ${cfg.threads}t ${s.name}: C[${i},${j}] = ${c[i * s.N + j]}, float64 says ${v}`);
  }
}
for (const cfg of configs) for (const s of SHAPES) check(cfg, s);

function timeOurs(cfg: Config, s: Shape, runs: number, warmup: number): number[] {
  const { a, b, c } = data.get(s)!;
  for (let i = 0; i < warmup; i++) cfg.kernels.matmul(a, b, c, s.M, s.N, s.K, s.transA, s.transB, false);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    cfg.kernels.matmul(a, b, c, s.M, s.N, s.K, s.transA, s.transB, false);
    out.push(gflops(s, performance.now() - t));
  }
  return out;
}

// ---- OpenBLAS (torch.mm in a long-lived python per thread count) -----------------------------------
class BlasPeer {
  private readonly lines: AsyncIterator<string>;
  private constructor(private readonly proc: ChildProcessWithoutNullStreams, readonly info: { torch: string; blas: string[]; threads: number }, lines: AsyncIterator<string>) {
    this.lines = lines;
  }

  static async start(threads: number): Promise<BlasPeer> {
    const script = fileURLToPath(new URL('./matmul-openblas.py', import.meta.url));
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
    const proc = spawn(PYTHON, [script, String(threads)], { env });
    let stderr = '';
    proc.stderr.on('data', (d) => { stderr += d; });
    const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`${PYTHON} matmul-openblas.py exited: ${stderr.trim().split('\n').at(-1) ?? 'no output'}`);
    return new BlasPeer(proc, JSON.parse(first.value), lines);
  }

  async time(s: Shape, runs: number, warmup: number): Promise<number[]> {
    this.proc.stdin.write(JSON.stringify({ M: s.M, N: s.N, K: s.K, transA: s.transA, transB: s.transB, runs, warmup }) + '\n');
    const r = await this.lines.next();
    if (r.done) throw new Error('matmul-openblas.py exited mid-run');
    const msg = JSON.parse(r.value) as { gflops?: number[]; error?: string };
    if (msg.error) throw new Error(msg.error);
    return msg.gflops!;
  }

  stop(): void {
    this.proc.stdin.end();
  }
}

const peers = new Map<number, BlasPeer>();
let blasNote = '';
for (const t of THREADS) {
  try { peers.set(t, await BlasPeer.start(t)); } catch (e) { blasNote = `OpenBLAS peer unavailable: ${(e as Error).message} (apt-get install -y python3-torch libopenblas0-pthread)`; }
}
if (blasNote) console.log(blasNote);

// ---- header ----------------------------------------------------------------------------------------
const { commit, dirty } = gitState();
const machine = machineInfo();
const nodeFlags = process.execArgv.filter((f) => f.startsWith('--experimental-wasm'));
const peerInfo = peers.get(1)?.info;
console.log(`matmul f32 | ${machine.cpu} x ${machine.cores} | node ${machine.node} ${nodeFlags.join(' ')} | commit ${commit}${dirty ? '+dirty' : ''} | load ${machine.loadavg.map((x) => x.toFixed(2)).join(' ')}`);
if (peerInfo) console.log(`peer: torch ${peerInfo.torch} torch.mm, BLAS ${peerInfo.blas.join(', ') || 'unknown'}`);
const shownPeak = () => (simdPeak.length ? `WASM SIMD ceiling (FMA loop, 1 thread): ${median(simdPeak).toFixed(1)} GFLOP/s, / OpenBLAS 1t paired ${median(ceilingPaired).toFixed(3)}` : 'WASM SIMD ceiling: not measured (no relaxed SIMD)');
console.log(`${ROUNDS} rounds x ${RUNS} runs per configuration, after ${WARMUP} warm-up runs; GFLOP/s median (min-max)`);

// ---- measure: interleaved rounds --------------------------------------------------------------------
// Each round also times the WASM FMA ceiling (simd-peak.ts): what no 128-bit kernel can beat here.
const simdPeak: number[] = [];
const ceilingPaired: number[] = []; // per round: the ceiling / OpenBLAS's 512^3 1-thread median
const ours = new Map<string, number[]>(), blas = new Map<string, number[]>();
const paired = new Map<string, number[]>(); // per round: our median / OpenBLAS's median
const key = (s: Shape, variant: string, t: number) => `${s.name}|${variant}|${t}`;
for (let r = 0; r < ROUNDS; r++) {
  const peak = relaxedSimdSupported() ? median((await measureSimdPeak(RUNS)).gflops) : null;
  if (peak !== null) simdPeak.push(peak);
  for (const s of SHAPES) {
    for (const t of THREADS) {
      const mine = new Map<string, number[]>();
      for (const cfg of configs.filter((c) => c.threads === t)) {
        const k = key(s, cfg.variant, t), xs = timeOurs(cfg, s, RUNS, r === 0 ? WARMUP : 1);
        ours.set(k, [...(ours.get(k) ?? []), ...xs]);
        mine.set(k, xs);
      }
      const peer = peers.get(t);
      if (peer) {
        const k = key(s, 'openblas', t), xs = await peer.time(s, RUNS, r === 0 ? WARMUP : 1);
        blas.set(k, [...(blas.get(k) ?? []), ...xs]);
        for (const [km, ys] of mine) paired.set(km, [...(paired.get(km) ?? []), median(ys) / median(xs)]);
        if (s === SHAPES[0] && t === 1 && peak !== null) ceilingPaired.push(peak / median(xs));
      }
    }
  }
}
for (const p of peers.values()) p.stop();
for (const cfg of configs) cfg.kernels.dispose();

// ---- report ----------------------------------------------------------------------------------------
const variants = [...new Set(configs.map((c) => c.variant))];
const best = variants[0]; // relaxed-simd when the engine has it
const cols = THREADS.flatMap((t) => [...variants.map((v) => ({ v, t })), { v: 'openblas', t }]);
console.log(`${'shape (M x N x K)'.padEnd(40)}${cols.map(({ v, t }) => `${v} ${t}t`.padStart(22)).join('')}`);
interface Result { shape: string; M: number; N: number; K: number; transA: boolean; transB: boolean; impl: string; threads: number; gflops: Stats & { best: number } }
const results: Result[] = [];
for (const s of SHAPES) {
  const cells = cols.map(({ v, t }) => {
    const xs = (v === 'openblas' ? blas : ours).get(key(s, v, t));
    if (!xs) return fmt(undefined).padStart(22);
    const st = stats(xs);
    const impl = v === 'openblas' ? 'openblas' : `cpu-wasm ${v}`;
    results.push({ shape: s.name, M: s.M, N: s.N, K: s.K, transA: s.transA, transB: s.transB, impl, threads: t, gflops: { ...st, best: st.max } });
    return fmt(st).padStart(22);
  });
  const pr = THREADS.map((t) => { const xs = paired.get(key(s, best, t)); return xs ? `${t}t ${median(xs).toFixed(2)}` : ''; });
  console.log(`${`${s.name} (${s.M}x${s.N}x${s.K})`.padEnd(40)}${cells.join('')}   paired ratio ${pr.join(' ')}`);
}

const med = (v: string, t: number) => { const xs = (v === 'openblas' ? blas : ours).get(key(SHAPES[0], v, t)); return xs ? stats(xs) : null; };
const ratio = (a: Stats | null, b: Stats | null, f: 'median' | 'max') => (a && b ? round3(a[f] / b[f]) : null);
const pairedRatio = (v: string, t: number) => { const xs = paired.get(key(SHAPES[0], v, t)); return xs ? round3(median(xs)) : null; };
const o1 = med(best, 1), o2 = med(best, 2), b1 = med('openblas', 1), b2 = med('openblas', 2);
const summary = {
  bench: 'matmul', gflops_1t: o1?.median ?? null, gflops_2t: o2?.median ?? null,
  openblas_gflops_1t: b1?.median ?? null, openblas_gflops_2t: b2?.median ?? null,
  ratio_1t: ratio(o1, b1, 'median'), ratio_2t: ratio(o2, b2, 'median'),
  variant: best, shape: '512^3', stat: 'median',
  best_gflops_1t: o1?.max ?? null, best_gflops_2t: o2?.max ?? null,
  best_openblas_gflops_1t: b1?.max ?? null, best_openblas_gflops_2t: b2?.max ?? null,
  best_ratio_1t: ratio(o1, b1, 'max'), best_ratio_2t: ratio(o2, b2, 'max'),
  // Median over rounds of (our median / OpenBLAS's median) within the round: the least noisy ratio.
  paired_ratio_1t: pairedRatio(best, 1), paired_ratio_2t: pairedRatio(best, 2),
  // The WASM SIMD ceiling: independent f32x4 FMAs only (simd-peak.ts), and that / OpenBLAS 1 thread,
  // paired per round: the highest ratio_1t a 128-bit WASM kernel could reach on this machine.
  simd_peak_gflops_1t: simdPeak.length ? round1(median(simdPeak)) : null,
  ceiling_ratio_1t: ceilingPaired.length ? round3(median(ceilingPaired)) : null,
};

console.log(shownPeak());
const pairedRatios = Object.fromEntries([...paired].map(([k, xs]) => [k, xs.map(round3)]));
// appendResult records the machine with its load at the end; loadavg_start is the header's
appendResult('matmul', { loadavg_start: machine.loadavg, node_flags: nodeFlags, peer: peerInfo ?? blasNote, threads: THREADS, rounds: ROUNDS, runs: RUNS, results, pairedRatios, summary });
console.log(`appended to benchmarks/results/matmul.jsonl`);
console.log(JSON.stringify(summary));
