// The cpu-wasm kernels that run in WASM besides matmul (attention, layer norm, GELU, AdamW, the LM
// head's online softmax): each against a float64 reference (reference-kernels.ts, or a direct
// formula), at shapes large enough to be split over 2 threads, and threaded == single-threaded bit
// for bit (every kernel splits its work so that no output element depends on the split).
// Gradients of the ops through autograd: tests/device-agent/ops (finite differences).
import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../device-agent/core/rng';
import { loadWasmKernels, type WasmKernels } from '../../../device-agent/backends/cpu-wasm/wasm-kernels';
import { relaxedSimdSupported } from '../../../device-agent/backends/cpu-wasm/wasm-features';
import { adamwOp, attentionOp, float16Op, geluOp, layerNormOp } from '../../../device-agent/backends/cpu-wasm/wasm-ops';
import { float16BitsToFloat32 } from '../../../device-agent/io/float16';
import { lmHeadCrossEntropy } from '../../../device-agent/backends/cpu-wasm/kernels/lm-head-cross-entropy';
import { refAdamw, refAttention, refGelu, refLayerNorm } from './reference-kernels';

if (!relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');

let one: WasmKernels, two: WasmKernels;
beforeAll(async () => {
  one = await loadWasmKernels(undefined, { threads: 1 });
  two = await loadWasmKernels(undefined, { threads: 2 });
  expect(two.threads).toBe(2);
});
afterAll(() => { one.dispose(); two.dispose(); });

const randn = (rng: Rng, n: number, s = 1) => { const x = new Float32Array(n); rng.fillNormal(x, s); return x; };
const maxRel = (a: Float32Array, b: Float32Array) => {
  let scale = 0, diff = 0;
  for (let i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(b[i])); diff = Math.max(diff, Math.abs(a[i] - b[i])); }
  return diff / scale;
};
/** Index of the first element whose bits differ, -1 if none (toEqual is slow on 1M-element arrays). */
const firstDiff = (a: Float32Array, b: Float32Array) => {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
};
function expectSameBits(a: Record<string, Float32Array>, b: Record<string, Float32Array>): void {
  for (const k of Object.keys(a)) expect(firstDiff(a[k], b[k]), k).toBe(-1);
}
/** Runs f on both kernel instances with fresh copies of the inputs; returns [single, threaded]. */
function both<T>(f: (wk: WasmKernels) => T): [T, T] {
  return [f(one), f(two)];
}

describe('attention (flash style: saves lse, recomputes probabilities)', () => {
  const B = 2, T = 64, C = 96, H = 4; // hs = 24
  const rng = new Rng(11);
  const qkv = randn(rng, B * T * 3 * C), dout = randn(rng, B * T * C), dqkv0 = randn(rng, B * T * 3 * C, 0.1);
  it('forward and backward match the float64 reference, and 2 threads match 1 bit for bit', () => {
    const refOut = new Float32Array(B * T * C), att = new Float32Array(B * H * T * T), refD = dqkv0.slice();
    refAttention.forward(refOut, att, qkv, B, T, C, H);
    refAttention.backward(refD, dout, qkv, att, B, T, C, H);
    const [a, b] = both((wk) => {
      const op = attentionOp(wk);
      const out = new Float32Array(B * T * C), lse = new Float32Array(B * H * T), d = dqkv0.slice();
      op.forward(out, lse, qkv, B, T, C, H);
      op.backward(d, dout, qkv, lse, B, T, C, H);
      return { out, lse, d };
    });
    expect(maxRel(a.out, refOut)).toBeLessThan(1e-5);
    expect(maxRel(a.d, refD)).toBeLessThan(1e-5);
    // lse of row t is log(sum of exp(scores)): check one row directly
    const hs = C / H, t = 17, h = 2, bi = 1;
    let m = -Infinity; const sc: number[] = [];
    for (let t2 = 0; t2 <= t; t2++) {
      let dot = 0;
      for (let i = 0; i < hs; i++) dot += qkv[(bi * T + t) * 3 * C + h * hs + i] * qkv[(bi * T + t2) * 3 * C + C + h * hs + i];
      sc.push(dot / Math.sqrt(hs)); m = Math.max(m, dot / Math.sqrt(hs));
    }
    expect(a.lse[(bi * H + h) * T + t]).toBeCloseTo(m + Math.log(sc.reduce((s, x) => s + Math.exp(x - m), 0)), 5);
    expectSameBits(a, b);
  });
});

describe('GELU', () => {
  it('forward and backward (accumulating) match the float64 reference over the whole range', () => {
    const n = 300_007; // two slices, not a multiple of 4: the tail path
    const rng = new Rng(3);
    const x = randn(rng, n, 3);
    x.set([0, -0, 1e-6, -1e-6, 20, -20, 88, -88, 1e4, -1e4], 0);
    const dout = randn(rng, n), dx0 = randn(rng, n);
    const refY = new Float32Array(n), refDx = dx0.slice();
    refGelu.forward(refY, x, n);
    refGelu.backward(refDx, x, dout, n);
    const [a, b] = both((wk) => {
      const op = geluOp(wk);
      const y = new Float32Array(n), dx = dx0.slice();
      op.forward(y, x, n);
      op.backward(dx, x, dout, n);
      return { y, dx };
    });
    // f32 arithmetic against float64: a few ulp of values around 1 (dx's (1 - tanh^2) term grows
    // like x^3 times tanh's rounding for |x| of 10 and more)
    let worstY = 0, worstDx = 0;
    for (let i = 0; i < n; i++) {
      worstY = Math.max(worstY, Math.abs(a.y[i] - refY[i]) / Math.max(1, Math.abs(refY[i])));
      worstDx = Math.max(worstDx, Math.abs(a.dx[i] - refDx[i]) / Math.max(1, Math.abs(refDx[i])));
    }
    expect(worstY).toBeLessThan(2e-6);
    expect(worstDx).toBeLessThan(1e-5);
    expectSameBits(a, b);
  });
});

describe('layer norm', () => {
  it('forward, dx, dw and db match the float64 reference; 2 threads match 1', () => {
    const rows = 300, C = 770; // C not a multiple of 4
    const rng = new Rng(4);
    const x = randn(rng, rows * C, 2), w = randn(rng, C), bias = randn(rng, C), dout = randn(rng, rows * C);
    for (let i = 0; i < C; i++) x[5 * C + i] += 100; // a row far from zero mean
    const ref = { out: new Float32Array(rows * C), mean: new Float32Array(rows), rstd: new Float32Array(rows), dx: new Float32Array(rows * C).fill(0.5), dw: new Float32Array(C).fill(0.25), db: new Float32Array(C) };
    refLayerNorm.forward(ref.out, ref.mean, ref.rstd, x, w, bias, rows, C, 1e-5);
    refLayerNorm.backward(ref.dx, ref.dw, ref.db, dout, x, w, ref.mean, ref.rstd, rows, C);
    const [a, b] = both((wk) => {
      const op = layerNormOp(wk);
      const r = { out: new Float32Array(rows * C), mean: new Float32Array(rows), rstd: new Float32Array(rows), dx: new Float32Array(rows * C).fill(0.5), dw: new Float32Array(C).fill(0.25), db: new Float32Array(C) };
      op.forward(r.out, r.mean, r.rstd, x, w, bias, rows, C, 1e-5);
      op.backward(r.dx, r.dw, r.db, dout, x, w, r.mean, r.rstd, rows, C);
      return r;
    });
    for (const k of ['out', 'mean', 'rstd', 'dx', 'dw', 'db'] as const) expect(maxRel(a[k], ref[k]), k).toBeLessThan(1e-5);
    expectSameBits(a, b);
  });

  it('skips the gradients it is not asked for', () => {
    const rows = 8, C = 16;
    const rng = new Rng(5);
    const x = randn(rng, rows * C), w = randn(rng, C), bias = randn(rng, C), dout = randn(rng, rows * C);
    const mean = new Float32Array(rows), rstd = new Float32Array(rows), out = new Float32Array(rows * C);
    const op = layerNormOp(two);
    op.forward(out, mean, rstd, x, w, bias, rows, C, 1e-5);
    const dw = new Float32Array(C);
    op.backward(null, dw, null, dout, x, w, mean, rstd, rows, C);
    const ref = new Float32Array(C);
    refLayerNorm.backward(null, ref, null, dout, x, w, mean, rstd, rows, C);
    expect(maxRel(dw, ref)).toBeLessThan(1e-5);
  });
});

describe('AdamW', () => {
  it('matches the float64 torch formula over slices, with weight decay and bias corrections', () => {
    const n = (1 << 20) + 37; // two slices, a tail
    const rng = new Rng(6);
    const p0 = randn(rng, n), g = randn(rng, n, 0.1), m0 = randn(rng, n, 0.01), v0 = randn(rng, n, 0.01).map(Math.abs);
    const ref = { p: p0.slice(), m: m0.slice(), v: v0.slice() };
    refAdamw(ref.p, g, ref.m, ref.v, n, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1 - 0.9 ** 3, 1 - 0.999 ** 3);
    const [a, b] = both((wk) => {
      const r = { p: p0.slice(), m: m0.slice(), v: v0.slice() };
      adamwOp(wk)(r.p, g, r.m, r.v, n, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1 - 0.9 ** 3, 1 - 0.999 ** 3);
      return r;
    });
    expect(maxRel(a.p, ref.p)).toBeLessThan(1e-6);
    expect(maxRel(a.m, ref.m)).toBeLessThan(1e-6);
    expect(maxRel(a.v, ref.v)).toBeLessThan(1e-6);
    expectSameBits(a, b);
  });
});

describe.each([
  { V: 1001, chunk: 256 }, // several chunks, the last one short
  { V: 2500, chunk: 2048 }, // chunks larger than the kernel's 1024-row sub-blocks
])('LM head + cross-entropy, V $V in chunks of $chunk', ({ V, chunk }) => {
  const N = 40, C = 36;
  const rng = new Rng(8);
  const x = randn(rng, N * C), W = randn(rng, V * C, 0.5);
  const targets = Int32Array.from({ length: N }, (_, i) => (i === 3 ? -1 : rng.int(V)));
  const rows = (v0: number, v1: number) => W.subarray(v0 * C, v1 * C);
  // float64 reference: full logits, softmax, gradients
  const ref = { loss: new Float64Array(N), dx: new Float64Array(N * C), dw: new Float64Array(V * C) };
  for (let r = 0; r < N; r++) {
    const l = Array.from({ length: V }, (_, v) => { let s = 0; for (let i = 0; i < C; i++) s += x[r * C + i] * W[v * C + i]; return s; });
    const m = Math.max(...l), z = l.reduce((s, y) => s + Math.exp(y - m), 0);
    if (targets[r] < 0) continue;
    ref.loss[r] = m + Math.log(z) - l[targets[r]];
    for (let v = 0; v < V; v++) {
      const d = Math.exp(l[v] - m) / z - (v === targets[r] ? 1 : 0);
      for (let i = 0; i < C; i++) { ref.dx[r * C + i] += d * W[v * C + i]; ref.dw[v * C + i] += d * x[r * C + i]; }
    }
  }
  it('forward gives the losses and, in the same pass, dx; backward recomputes dx and dW equally', () => {
    const [a, b] = both((wk) => {
      const op = lmHeadCrossEntropy(wk);
      const losses = new Float32Array(N), lse = new Float32Array(N), dxu = new Float32Array(N * C);
      op.forward(losses, lse, dxu, x, rows, targets, N, C, V, chunk);
      const dx = new Float32Array(N * C), dw = new Float32Array(V * C);
      op.backward(dx, (v0, v1, d) => { for (let i = 0; i < d.length; i++) dw[v0 * C + i] += d[i]; }, x, rows, targets, lse, N, C, V, chunk, 1);
      return { losses, dxu, dx, dw };
    });
    expect(maxRel(a.losses, Float32Array.from(ref.loss))).toBeLessThan(1e-5);
    expect(maxRel(a.dxu, Float32Array.from(ref.dx))).toBeLessThan(1e-5);
    expect(maxRel(a.dx, Float32Array.from(ref.dx))).toBeLessThan(1e-5);
    expect(maxRel(a.dw, Float32Array.from(ref.dw))).toBeLessThan(1e-5);
    expect(Array.from(a.dxu.subarray(3 * C, 4 * C)).every((v) => v === 0)).toBe(true); // ignored row
    expectSameBits(a, b);
  });

  it('a row source that runs a kernel itself (fp16 shards decoded in WASM) leaves the LM head operands intact', () => {
    const half = new Uint16Array(V * C);
    for (let i = 0; i < half.length; i++) half[i] = 0x3c00 | (i & 0x3ff); // values in [1, 2)
    const Wh = float16BitsToFloat32(half);
    const run = (rowSource: (v0: number, v1: number) => Float32Array) => {
      const losses = new Float32Array(N), lse = new Float32Array(N), dxu = new Float32Array(N * C);
      lmHeadCrossEntropy(two).forward(losses, lse, dxu, x, rowSource, targets, N, C, V, chunk);
      return { losses, lse, dxu };
    };
    const plain = run((v0, v1) => Wh.subarray(v0 * C, v1 * C));
    const nested = run((v0, v1) => { const out = new Float32Array((v1 - v0) * C); float16Op(two)(out, half.subarray(v0 * C, v1 * C), out.length); return out; });
    expectSameBits(nested, plain);
  });

  it('refuses a target outside the vocabulary', () => {
    const bad = targets.slice(); bad[7] = V;
    expect(() => lmHeadCrossEntropy(one).forward(new Float32Array(N), new Float32Array(N), null, x, rows, bad, N, C, V, chunk)).toThrow(new RegExp(`target id ${V} at row 7 is outside the vocabulary`));
  });
});

describe('matmul with operand B in K panels (bounded WASM memory)', () => {
  it('equals the unsplit product bit for bit, for every transpose case, with and without accumulate, on 1 and 2 threads', async () => {
    const rng = new Rng(12);
    const M = 37, N = 45, K = 1100; // K panels of 256 rows: 256 * 45 * 4 bytes = 46 KB
    const split = [await loadWasmKernels(undefined, { threads: 1, panelBytes: 50_000 }), await loadWasmKernels(undefined, { threads: 2, panelBytes: 50_000, parallelMin: 0 })];
    try {
      for (const transA of [false, true]) for (const transB of [false, true]) for (const acc of [false, true]) {
        const a = randn(rng, M * K), b = randn(rng, K * N), c0 = randn(rng, M * N);
        const whole = c0.slice();
        one.matmul(a, b, whole, M, N, K, transA, transB, acc);
        for (const wk of split) {
          const c = c0.slice();
          wk.matmul(a, b, c, M, N, K, transA, transB, acc);
          expect(firstDiff(c, whole), `transA ${transA} transB ${transB} acc ${acc} threads ${wk.threads}`).toBe(-1);
        }
      }
    } finally {
      for (const wk of split) wk.dispose();
    }
  });
});

describe('setThreads', () => {
  it('restarts the pool with fewer or more threads (capped at what was loaded), same results', async () => {
    const wk = await loadWasmKernels(undefined, { threads: 2, parallelMin: 0 });
    try {
      const rng = new Rng(13);
      const a = randn(rng, 64 * 96), b = randn(rng, 96 * 80);
      const product = () => { const c = new Float32Array(64 * 80); wk.matmul(a, b, c, 64, 80, 96, false, false, false); return c; };
      const two = product();
      expect(await wk.setThreads(1)).toBe(1);
      expect(wk.threads).toBe(1);
      expect(firstDiff(product(), two)).toBe(-1);
      expect(await wk.setThreads(8)).toBe(2); // scratch for 2 threads was laid out at load
      expect(firstDiff(product(), two)).toBe(-1);
      await expect(wk.setThreads(0)).rejects.toThrow(/positive integer/);
    } finally {
      wk.dispose();
    }
  });
});

describe('float16 -> float32 (the sharder fp16 storage decoder)', () => {
  it('equals the JS decoder bit for bit on all 65536 bit patterns (NaN payloads, subnormals, signed zeros), on 1 and 2 threads', () => {
    const bits = new Uint16Array(65536 * 5 + 3); // several slices and a tail
    for (let i = 0; i < bits.length; i++) bits[i] = (i * 40503) & 0xffff; // every pattern, shuffled
    const want = float16BitsToFloat32(bits);
    for (const wk of [one, two]) {
      const out = new Float32Array(bits.length);
      float16Op(wk)(out, bits, bits.length);
      expect(firstDiff(out, want)).toBe(-1);
    }
  });
});
