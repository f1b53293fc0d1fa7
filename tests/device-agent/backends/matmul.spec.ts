// cpu-wasm matmul against a float64 TypeScript reference: all four transpose combinations, with and
// without accumulate, on odd shapes that hit every edge-tile, cache-block and thread-split path of
// the kernel (MR=4, NR=8, MC=64, KC=256, NC=1024; row and column chunks), for the plain-SIMD and the
// relaxed-SIMD (FMA) builds on 1, 2 and 3 threads; threaded results must equal one thread's bit for
// bit. Plus argument validation. Loading and fallbacks: wasm-kernels.spec.ts.
// Needs build/*.wasm: `npm test` builds them (pretest); before running vitest directly, run
// `npm run build:wasm`.
import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../device-agent/core/rng';
import { loadWasmKernels, type WasmKernelOptions, type WasmKernels } from '../../../device-agent/backends/cpu-wasm/wasm-kernels';
import { relaxedSimdSupported } from '../../../device-agent/backends/cpu-wasm/wasm-features';

// Node 20 validates relaxed SIMD only with --experimental-wasm-relaxed-simd (the agent process gets
// it); vitest's workers do not, so turn it on here, before any module is compiled. V8 reads wasm
// feature flags at validation time. Node 22+ has it on already.
if (!relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');
const RELAXED = relaxedSimdSupported();
if (!RELAXED) console.log('matmul.spec: relaxed SIMD unavailable in this engine even with the flag: skipping the FMA configurations');

// Tolerance: the standard float32 dot-product bound |c - ĉ| <= γ_n (Σ_k |a_ik b_kj| + |c0_ij|),
// γ_n = n·u / (1 - n·u), u = 2^-24, with n = 2K + 2 covering the longest rounding chain
// (K products and K adds, one add per K block, one add of the old C). The FMA build rounds once per
// k step instead of twice (or twice, where the engine lowers relaxed_madd unfused), so the same
// bound holds for it. Threads change no rounding: each C element is computed by one thread, in the
// same order. It is a worst-case bound, so the test cannot flake, yet any indexing bug shows up as an
// error of order Σ|ab| / sqrt(K), far above it.
const U = 2 ** -24;
const gamma = (n: number) => (n * U) / (1 - n * U);

const SHAPES: [M: number, N: number, K: number][] = [
  [1, 1, 1], [3, 5, 7], [17, 33, 9], [64, 64, 64], [13, 100, 31], [5, 768, 4], [4, 8, 1],
  [1, 50, 300], // one row, K spans two K blocks
  [70, 1030, 260], // crosses the M, N and K block boundaries, with edge tiles in M and N
  [67, 45, 301], // M > N: threads split rows (17 four-row units over 4-6 chunks, the last partial)
  [5, 515, 130], // M < N: threads split columns (65 eight-column units, the last partial)
  [9, 8, 300], // M > N but 3 row units: 3 row chunks, fewer than 2 per thread
];

interface Config { name: string; opts: WasmKernelOptions; relaxed: boolean; threads: number }
// parallelMin 0: every shape takes the threaded path, however small.
const CONFIGS: Config[] = [
  { name: 'simd, 1 thread', opts: { relaxedSimd: false, threads: 1 }, relaxed: false, threads: 1 },
  { name: 'simd, 3 threads', opts: { relaxedSimd: false, threads: 3, parallelMin: 0 }, relaxed: false, threads: 3 },
  { name: 'relaxed-simd, 1 thread', opts: { threads: 1 }, relaxed: true, threads: 1 },
  { name: 'relaxed-simd, 2 threads', opts: { threads: 2, parallelMin: 0 }, relaxed: true, threads: 2 },
  { name: 'relaxed-simd, 3 threads', opts: { threads: 3, parallelMin: 0 }, relaxed: true, threads: 3 },
];

interface Case { a: Float32Array; b: Float32Array; c0: Float32Array; val: Float64Array; mag: Float64Array }
const cases = new Map<string, Case>();

// Inputs and the float64 reference, made once per shape and flags and shared by every config.
function getCase(M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean): Case {
  const key = `${M},${N},${K},${transA},${transB},${accumulate}`;
  let cs = cases.get(key);
  if (cs) return cs;
  const rng = new Rng(M * 1_000_003 + N * 1009 + K * 7 + (transA ? 1 : 0) + (transB ? 2 : 0) + (accumulate ? 4 : 0));
  const a = randn(rng, M * K), b = randn(rng, K * N), c0 = randn(rng, M * N);
  const val = new Float64Array(M * N);
  const mag = new Float64Array(M * N); // Σ|a b| (+ |c0|), the scale of the rounding error
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = accumulate ? c0[i * N + j] : 0;
      let m = Math.abs(s);
      for (let k = 0; k < K; k++) {
        const p = (transA ? a[k * M + i] : a[i * K + k]) * (transB ? b[j * K + k] : b[k * N + j]);
        s += p;
        m += Math.abs(p);
      }
      val[i * N + j] = s;
      mag[i * N + j] = m;
    }
  }
  cases.set(key, (cs = { a, b, c0, val, mag }));
  return cs;
}

function randn(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n);
  rng.fillNormal(x, 1);
  return x;
}

// Single-thread results of each variant, to compare threaded ones with bit for bit.
const oneThread = new Map<string, Float32Array>();

for (const cfg of CONFIGS) {
  describe.skipIf(cfg.relaxed && !RELAXED)(`WasmKernels.matmul (${cfg.name})`, () => {
    let kernels: WasmKernels;
    beforeAll(async () => {
      kernels = await loadWasmKernels(undefined, cfg.opts);
      expect(kernels.variant).toBe(cfg.relaxed ? 'relaxed-simd' : 'simd');
      expect(kernels.threads, kernels.notes.join('; ')).toBe(cfg.threads);
    });
    afterAll(() => kernels.dispose());

    for (const [M, N, K] of SHAPES) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const accumulate of [false, true]) {
            it(`${M}x${N}x${K} transA=${transA} transB=${transB} accumulate=${accumulate}`, () => {
              const { a, b, c0, val, mag } = getCase(M, N, K, transA, transB, accumulate);
              const c = c0.slice(); // non-accumulating calls must ignore the old contents
              kernels.matmul(a, b, c, M, N, K, transA, transB, accumulate);
              const g = gamma(2 * K + 2);
              let worst = 0; // max of |err| / bound; must be <= 1
              for (let i = 0; i < M * N; i++) worst = Math.max(worst, Math.abs(c[i] - val[i]) / (g * mag[i] + Number.MIN_VALUE));
              expect(worst).toBeLessThanOrEqual(1);
              const key = `${cfg.relaxed} ${M},${N},${K},${transA},${transB},${accumulate}`;
              if (cfg.threads === 1) oneThread.set(key, c);
              else if (oneThread.has(key)) expect(c).toEqual(oneThread.get(key));
            });
          }
        }
      }
    }
  });
}

describe('WasmKernels.matmul (default instance)', () => {
  const rng = new Rng(1234);
  let kernels: WasmKernels;
  beforeAll(async () => {
    kernels = await loadWasmKernels();
  });
  afterAll(() => kernels.dispose());

  it('ignores trailing elements and leaves c past M*N untouched', () => {
    const [M, N, K] = [3, 9, 5];
    const a = randn(rng, M * K + 7), b = randn(rng, K * N + 3), c = new Float32Array(M * N + 4).fill(42);
    kernels.matmul(a, b, c, M, N, K, false, false, false);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
        expect(c[i * N + j]).toBeCloseTo(s, 4);
      }
    }
    expect(Array.from(c.subarray(M * N))).toEqual([42, 42, 42, 42]);
  });

  it('stays correct when a large call grows memory between small ones', () => {
    const small = () => {
      const a = Float32Array.of(1, 2, 3, 4), b = Float32Array.of(5, 6, 7, 8), c = new Float32Array(4);
      kernels.matmul(a, b, c, 2, 2, 2, false, false, false);
      expect(Array.from(c)).toEqual([19, 22, 43, 50]);
    };
    small();
    const pagesBefore = kernels.memory.buffer.byteLength;
    const n = 600; // 3 x 600 x 600 floats = ~4 MB of operands, more than the memory held before
    const ones = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
    kernels.matmul(ones, ones, c, n, n, n, false, true, false);
    expect(c[0]).toBe(n);
    expect(c[n * n - 1]).toBe(n);
    expect(kernels.memory.buffer.byteLength).toBeGreaterThan(pagesBefore);
    small();
  });

  it('K = 0 gives zeros, or leaves c as is when accumulating', () => {
    const empty = new Float32Array(0), c = Float32Array.of(1, 2, 3, 4, 5, 6);
    kernels.matmul(empty, empty, c, 2, 3, 0, false, false, true);
    expect(Array.from(c)).toEqual([1, 2, 3, 4, 5, 6]);
    kernels.matmul(empty, empty, c, 2, 3, 0, false, false, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects short operands and bad dimensions with messages that name them', () => {
    const x = new Float32Array(12);
    expect(() => kernels.matmul(new Float32Array(11), x, x, 3, 4, 4, false, false, false)).toThrow(/a has 11 elements, needs at least 12/);
    expect(() => kernels.matmul(x, new Float32Array(5), x, 3, 2, 4, false, true, false)).toThrow(/b has 5 elements, needs at least 8 .*transB/);
    expect(() => kernels.matmul(x, x, new Float32Array(2), 3, 4, 1, false, false, false)).toThrow(/c has 2 elements, needs at least 12/);
    expect(() => kernels.matmul(x, x, x, 1.5, 1, 1, false, false, false)).toThrow(/M must be a non-negative integer/);
  });
});
