// Fused, vocabulary-chunked LM head + softmax cross-entropy (cpu-wasm backend). Only one (N, chunk)
// block of logits exists at a time, in WASM memory. Forward keeps an online softmax per row (running
// max + rescaled sum, FlashAttention's trick) and, when asked for the input gradient, also
// accumulates acc = sum_v exp(l_v - max) W_v with the same rescaling, so that
// d(sum of row losses)/dx = acc / sum - W[target] comes out of the forward pass: no second pass
// over the vocabulary unless the embedding itself trains (backward then recomputes each block for
// dW). Follows llm.c's fused classifier, chunked over V as Liger-Kernel's fused-linear-cross-entropy.
// Targets < 0 are ignored rows (zero loss, zero gradient). Each chunk the row source hands over goes
// through WASM memory in sub-blocks of SUB rows (3 MB of W, 2 MB of logits at GPT-2 small's
// N = 512), which bounds the kernels' memory, which never shrinks, independently of the chunk.
import type { OpKernels, RowSource } from '../../../core/ops.js';
import { JOB, OP } from '../kernel-pool.js';
import type { WasmKernels } from '../wasm-kernels.js';

const SUB = 1024;

function checkTargets(targets: Int32Array, N: number, V: number): void {
  for (let r = 0; r < N; r++) {
    if (targets[r] >= V) throw new Error(`cross-entropy: target id ${targets[r]} at row ${r} is outside the vocabulary (size ${V})`);
  }
}

/**
 * Walks W (V, C) chunk by chunk from the row source and each chunk in sub-blocks of at most cs
 * rows: copies the block into the arena slot ow and calls fn(v0, n, rows) with the block's first
 * vocabulary id, its row count and its rows (a view of the source's chunk).
 */
function forEachBlock(wk: WasmKernels, w: RowSource, V: number, C: number, chunk: number, cs: number, ow: number, fn: (v0: number, n: number, rows: Float32Array) => void): void {
  for (let c0 = 0; c0 < V; c0 += chunk) {
    const end = Math.min(c0 + chunk, V);
    const rows = w(c0, end);
    for (let v0 = c0; v0 < end; v0 += cs) {
      const n = Math.min(cs, end - v0);
      const block = rows.subarray((v0 - c0) * C, (v0 - c0 + n) * C);
      wk.f32At(ow, n * C).set(block);
      fn(v0, n, block);
    }
  }
}

export function lmHeadCrossEntropy(wk: WasmKernels): OpKernels['lm-head-cross-entropy'] {
  return {
    forward(losses, lse, dxu, x, w, targets, N, C, V, chunk) {
      checkTargets(targets, N, V);
      const cs = Math.min(chunk, V, SUB);
      wk.scoped(() => {
        const ox = wk.put(x, N * C), ot = wk.put(targets, N);
        const om = wk.alloc(4 * N), os = wk.alloc(8 * N), otl = wk.alloc(4 * N);
        const ow = wk.alloc(4 * cs * C), oL = wk.alloc(4 * N * cs);
        const oacc = dxu ? wk.alloc(4 * N * C) : 0;
        wk.f32At(om, N).fill(-Infinity);
        wk.f64At(os, N).fill(0);
        wk.f32At(otl, N).fill(0);
        if (dxu) wk.f32At(oacc, N * C).fill(0);
        const wt = dxu ? new Float32Array(N * C) : null; // W[target] rows
        forEachBlock(wk, w, V, C, chunk, cs, ow, (v0, n, rows) => {
          wk.matmulAt(ox, ow, oL, N, n, C, false, true, false); // logits (N, n)
          wk.run(OP.LM_SOFTMAX, N, N * n, (c) => c.set([oL, n, om, os, oacc, C, ot, v0, otl], JOB.ARGS));
          if (!dxu) return;
          wk.matmulAt(oL, ow, oacc, N, C, n, false, false, true); // acc(N,C) += P(N,n) @ W(n,C)
          for (let r = 0; r < N; r++) {
            const t = targets[r] - v0;
            if (t >= 0 && t < n) wt!.set(rows.subarray(t * C, (t + 1) * C), r * C);
          }
        });
        const m = wk.f32At(om, N), s = wk.f64At(os, N), tl = wk.f32At(otl, N);
        for (let r = 0; r < N; r++) {
          lse[r] = m[r] + Math.log(s[r]);
          losses[r] = targets[r] < 0 ? 0 : lse[r] - tl[r];
        }
        if (dxu) {
          const acc = wk.f32At(oacc, N * C);
          for (let r = 0; r < N; r++) {
            const o = r * C;
            if (targets[r] < 0) { dxu.fill(0, o, o + C); continue; }
            const inv = 1 / s[r];
            for (let i = 0; i < C; i++) dxu[o + i] = acc[o + i] * inv - wt![o + i];
          }
        }
      });
    },
    backward(dx, dw, x, w, targets, lse, N, C, V, chunk, dscale) {
      if (!dx && !dw) return;
      const cs = Math.min(chunk, V, SUB);
      wk.scoped(() => {
        const ox = wk.put(x, N * C), ot = wk.put(targets, N), ol = wk.put(lse, N);
        const odx = dx ? wk.put(dx, N * C) : 0;
        const ow = wk.alloc(4 * cs * C), oL = wk.alloc(4 * N * cs), odw = dw ? wk.alloc(4 * cs * C) : 0;
        forEachBlock(wk, w, V, C, chunk, cs, ow, (v0, n) => {
          wk.matmulAt(ox, ow, oL, N, n, C, false, true, false); // recompute logits (N, n)
          wk.run(OP.LM_GRAD, N, N * n, (c, f) => { c.set([oL, n, ol, ot, v0], JOB.ARGS); f[JOB.FARGS] = dscale; });
          if (dx) wk.matmulAt(oL, ow, odx, N, C, n, false, false, true); // dx(N,C) += d(N,n) @ W(n,C)
          if (dw) {
            wk.matmulAt(oL, ox, odw, n, C, N, true, false, false); // dW(n,C) = d^T(n,N) @ x(N,C)
            dw(v0, v0 + n, wk.f32At(odw, n * C));
          }
        });
        if (dx) wk.take(odx, dx, N * C);
      });
    },
  };
}
