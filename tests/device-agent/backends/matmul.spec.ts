// cpu-wasm matmul against a float64 TypeScript reference: all four transpose combinations, with and
// without accumulate, on odd shapes that hit every edge-tile and cache-block path of the kernel
// (MR=4, NR=8, MC=64, KC=256, NC=1024), plus argument validation and the missing-build message.
// Needs build/kernels.wasm: `npm test` builds it (pretest); before running vitest directly, run
// `npm run build:wasm`.
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../device-agent/core/rng';
import { loadWasmKernels, type WasmKernels } from '../../../device-agent/backends/cpu-wasm/wasm-kernels';

// Tolerance: the standard float32 dot-product bound |c - ĉ| <= γ_n (Σ_k |a_ik b_kj| + |c0_ij|),
// γ_n = n·u / (1 - n·u), u = 2^-24, with n = 2K + 2 covering the longest addition chain
// (K products, one add per K block, one add of the old C). It is a worst-case bound, so the test
// cannot flake, yet any indexing bug shows up as an error of order Σ|ab| / sqrt(K), far above it.
const U = 2 ** -24;
const gamma = (n: number) => (n * U) / (1 - n * U);

const SHAPES: [M: number, N: number, K: number][] = [
  [1, 1, 1], [3, 5, 7], [17, 33, 9], [64, 64, 64], [13, 100, 31], [5, 768, 4], [4, 8, 1],
  [1, 50, 300], // one row, K spans two K blocks
  [70, 1030, 260], // crosses the M, N and K block boundaries, with edge tiles in M and N
];

function reference(a: Float32Array, b: Float32Array, c0: Float32Array | null, M: number, N: number, K: number, transA: boolean, transB: boolean) {
  const val = new Float64Array(M * N);
  const mag = new Float64Array(M * N); // Σ|a b| (+ |c0|), the scale of the rounding error
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = c0 ? c0[i * N + j] : 0;
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
  return { val, mag };
}

function randn(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n);
  rng.fillNormal(x, 1);
  return x;
}

let kernels: WasmKernels;
beforeAll(async () => {
  kernels = await loadWasmKernels();
});

describe('WasmKernels.matmul', () => {
  const rng = new Rng(1234);
  for (const [M, N, K] of SHAPES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          it(`${M}x${N}x${K} transA=${transA} transB=${transB} accumulate=${accumulate}`, () => {
            const a = randn(rng, M * K), b = randn(rng, K * N);
            const c0 = randn(rng, M * N);
            const c = c0.slice(); // non-accumulating calls must ignore the old contents
            kernels.matmul(a, b, c, M, N, K, transA, transB, accumulate);
            const { val, mag } = reference(a, b, accumulate ? c0 : null, M, N, K, transA, transB);
            const g = gamma(2 * K + 2);
            let worst = 0; // max of |err| / bound; must be <= 1
            for (let i = 0; i < M * N; i++) worst = Math.max(worst, Math.abs(c[i] - val[i]) / (g * mag[i] + Number.MIN_VALUE));
            expect(worst).toBeLessThanOrEqual(1);
          });
        }
      }
    }
  }

  it('ignores trailing elements and leaves c past M*N untouched', () => {
    const [M, N, K] = [3, 9, 5];
    const a = randn(rng, M * K + 7), b = randn(rng, K * N + 3), c = new Float32Array(M * N + 4).fill(42);
    kernels.matmul(a, b, c, M, N, K, false, false, false);
    const { val } = reference(a, b, null, M, N, K, false, false);
    for (let i = 0; i < M * N; i++) expect(c[i]).toBeCloseTo(val[i], 4);
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

describe('loadWasmKernels', () => {
  it('says to run the build when the .wasm is missing', async () => {
    await expect(loadWasmKernels('/nonexistent/fleettune/kernels.wasm')).rejects.toThrow(/run `npm run build:wasm`/);
    await expect(loadWasmKernels(new URL('file:///nonexistent/fleettune/kernels.wasm'))).rejects.toThrow(/run `npm run build:wasm`/);
  });

  it('accepts the module bytes directly', async () => {
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(new URL('../../../device-agent/backends/cpu-wasm/build/kernels.wasm', import.meta.url));
    const k = await loadWasmKernels(bytes);
    const c = new Float32Array(1);
    k.matmul(Float32Array.of(3), Float32Array.of(4), c, 1, 1, 1, false, false, false);
    expect(c[0]).toBe(12);
  });
});
