// The cpu-wasm backend's non-matmul kernels on WasmKernels: each call copies its operands into the
// arena, runs one WASM kernel through a job record (threaded when large enough, see
// WasmKernels.run) and copies the results out. Signatures are the op vocabulary's (core/ops.ts).
// Backward kernels accumulate (+=) into their gradients, so gradients are copied in and out.
import type { OpKernels } from '../../core/ops.js';
import { JOB, OP } from './kernel-pool.js';
import type { WasmKernels } from './wasm-kernels.js';

// A unit of an elementwise kernel: enough floats that claiming a chunk costs nothing in comparison.
const ELEMS_PER_UNIT = 4096;
// Elementwise kernels (GELU, AdamW) go through WASM memory in slices this long: 1 MB per operand,
// so neither a (B, T, 4C) activation nor a 38M-parameter embedding grows the memory (which never
// shrinks) by its own size; a slice still has 64 units to share between threads.
const SLICE = 1 << 18;

const elemUnits = (n: number) => Math.ceil(n / ELEMS_PER_UNIT);

/** fn on each slice of [0, n), each in its own arena scope. */
function slices(wk: WasmKernels, n: number, fn: (i0: number, len: number) => void): void {
  for (let i0 = 0; i0 < n; i0 += SLICE) wk.scoped(() => fn(i0, Math.min(SLICE, n - i0)));
}

export function geluOp(wk: WasmKernels): OpKernels['gelu'] {
  return {
    forward(out, x, n) {
      slices(wk, n, (i0, len) => {
        const ox = wk.put(x.subarray(i0, i0 + len)), oo = wk.alloc(4 * len);
        wk.run(OP.GELU_FWD, elemUnits(len), len, (c) => c.set([oo, ox, len, ELEMS_PER_UNIT], JOB.ARGS));
        wk.take(oo, out.subarray(i0, i0 + len));
      });
    },
    backward(dx, x, dout, n) {
      slices(wk, n, (i0, len) => {
        const sub = (a: Float32Array) => a.subarray(i0, i0 + len);
        const od = wk.put(sub(dx)), ox = wk.put(sub(x)), og = wk.put(sub(dout));
        wk.run(OP.GELU_BWD, elemUnits(len), len, (c) => c.set([od, ox, og, len, ELEMS_PER_UNIT], JOB.ARGS));
        wk.take(od, sub(dx));
      });
    },
  };
}

// dw / db: columns are split over threads, 64 per unit (each unit's accumulators stay in L1).
const LN_COLS_PER_UNIT = 64;

export function layerNormOp(wk: WasmKernels): OpKernels['layer-norm'] {
  return {
    forward(out, mean, rstd, x, w, b, rows, C, eps) {
      wk.scoped(() => {
        const n = rows * C;
        const ox = wk.put(x, n), ow = wk.put(w, C), ob = wk.put(b, C), oo = wk.alloc(4 * n), om = wk.alloc(4 * rows), or = wk.alloc(4 * rows);
        wk.run(OP.LN_FWD, rows, n, (c, f) => {
          c.set([oo, om, or, ox, ow, ob, C], JOB.ARGS);
          f[JOB.FARGS] = eps;
        });
        wk.take(oo, out, n);
        wk.take(om, mean, rows);
        wk.take(or, rstd, rows);
      });
    },
    backward(dx, dw, db, dout, x, w, mean, rstd, rows, C) {
      wk.scoped(() => {
        const n = rows * C;
        const og = wk.put(dout, n), ox = wk.put(x, n), ow = wk.put(w, C), om = wk.put(mean, rows), or = wk.put(rstd, rows);
        if (dx) {
          const od = wk.put(dx, n);
          wk.run(OP.LN_BWD_X, rows, n, (c) => c.set([od, og, ox, ow, om, or, C], JOB.ARGS));
          wk.take(od, dx, n);
        }
        if (dw || db) {
          const odw = dw ? wk.put(dw, C) : 0, odb = db ? wk.put(db, C) : 0;
          wk.run(OP.LN_BWD_W, Math.ceil(C / LN_COLS_PER_UNIT), n, (c) => c.set([odw, odb, og, ox, om, or, rows, C, LN_COLS_PER_UNIT], JOB.ARGS));
          if (dw) wk.take(odw, dw, C);
          if (db) wk.take(odb, db, C);
        }
      });
    },
  };
}

export function attentionOp(wk: WasmKernels): OpKernels['attention'] {
  return {
    forward(out, lse, qkv, B, T, C, H) {
      wk.scoped(() => {
        const oq = wk.put(qkv, B * T * 3 * C), oo = wk.alloc(4 * B * T * C), ol = wk.alloc(4 * B * H * T);
        wk.run(OP.ATTN_FWD, B * H, B * T * T * C, (c) => c.set([oo, ol, oq, B, T, C, H], JOB.ARGS));
        wk.take(oo, out, B * T * C);
        wk.take(ol, lse, B * H * T);
      });
    },
    backward(dqkv, dout, qkv, lse, B, T, C, H) {
      wk.scoped(() => {
        const n3 = B * T * 3 * C;
        const od = wk.put(dqkv, n3), og = wk.put(dout, B * T * C), oq = wk.put(qkv, n3), ol = wk.put(lse, B * H * T);
        wk.run(OP.ATTN_BWD, B * H, B * T * T * C, (c) => c.set([od, og, oq, ol, B, T, C, H], JOB.ARGS));
        wk.take(od, dqkv, n3);
      });
    },
  };
}

export function adamwOp(wk: WasmKernels): OpKernels['adamw'] {
  return (p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2) => {
    const decay = 1 - lr * weightDecay, stepSize = lr / bc1, sqrtBc2 = Math.sqrt(bc2);
    slices(wk, n, (i0, len) => {
      const sub = (a: Float32Array) => a.subarray(i0, i0 + len);
      const op = wk.put(sub(p)), og = wk.put(sub(g)), om = wk.put(sub(m)), ov = wk.put(sub(v));
      wk.run(OP.ADAMW, elemUnits(len), 4 * len, (c, f) => {
        c.set([op, og, om, ov, len, ELEMS_PER_UNIT], JOB.ARGS);
        f.set([decay, stepSize, beta1, beta2, 1 - beta1, 1 - beta2, eps, sqrtBc2], JOB.FARGS);
      });
      wk.take(op, sub(p));
      wk.take(om, sub(m));
      wk.take(ov, sub(v));
    });
  };
}

export function float16Op(wk: WasmKernels): OpKernels['float16-to-float32'] {
  return (out, bits, n) => {
    // also runs inside other calls (the LM head's row source reads fp16 shards): scoped above their operands
    slices(wk, n, (i0, len) => {
      const os = wk.putU16(bits.subarray(i0, i0 + len)), od = wk.alloc(4 * len);
      wk.run(OP.F16_DECODE, elemUnits(len), len, (c) => c.set([od, os, len, ELEMS_PER_UNIT], JOB.ARGS));
      wk.take(od, out.subarray(i0, i0 + len));
    });
  };
}
