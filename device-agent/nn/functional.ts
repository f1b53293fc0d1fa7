// Differentiable ops: each runs the active backend's forward kernel, and records one tape entry
// whose closure calls the matching backward kernel. Tensors of shape (..., C) are treated as
// (rows, C). Gradients are only computed for inputs that require them (frozen base weights get no
// weight-gradient matmul, which is most of LoRA's saving).
import { Tensor, rowsOf } from '../core/tensor.js';
import { tape } from '../core/autograd.js';
import { kernel } from '../core/registry.js';
import { track } from '../core/memory-tracker.js';

function out(shape: readonly number[], needsGrad: boolean, data?: Float32Array): Tensor {
  return new Tensor(shape, data, needsGrad);
}

/**
 * Fills each row of y with the bias and returns true (so the matmul accumulates onto it: the bias
 * add costs a row copy instead of a pass over y), or returns false when there is no bias.
 */
function fillRows(y: Float32Array, bias: Tensor | null, rows: number, N: number): boolean {
  if (!bias) return false;
  for (let r = 0; r < rows; r++) y.set(bias.data.subarray(0, N), r * N);
  return true;
}

/**
 * y(rows, N) = x(rows, K) @ op(w) (+ bias); w is (K, N) (Conv1D layout) or (N, K) when transW.
 * valueUnused: record the op for backward but leave y's values unset (all zero) — for an
 * activation-checkpoint replay whose output only carries gradients back (a block's last linear:
 * its backward needs x and w, never y). value: y's values are given (the same op's output, kept
 * from the forward by a replay), so only the backward is recorded.
 */
export function matmul(x: Tensor, w: Tensor, opts: { transW?: boolean; bias?: Tensor | null; valueUnused?: boolean; value?: Float32Array } = {}): Tensor {
  const transW = opts.transW ?? false;
  const bias = opts.bias ?? null;
  const [rows, K] = x.rowsCols();
  const N = transW ? w.shape[0] : w.shape[1];
  const wK = transW ? w.shape[1] : w.shape[0];
  if (w.shape.length !== 2 || wK !== K) {
    throw new Error(`matmul: input has ${K} features but weight shape is [${w.shape.join(', ')}]${transW ? ' (transposed)' : ''}`);
  }
  if (opts.value && opts.value.length !== rows * N) throw new Error(`matmul: a given output has ${opts.value.length} values, expected ${rows * N}`);
  const y = opts.value ?? track(new Float32Array(rows * N));
  if (!opts.valueUnused && !opts.value) kernel('matmul')(x.data, w.data, y, rows, N, K, false, transW, fillRows(y, bias, rows, N));
  const res = out([...x.shape.slice(0, -1), N], false, y);
  res.requiresGrad = tape.record('matmul', [x, w, bias], () => {
    const dy = res.grad;
    if (!dy) return;
    const mm = kernel('matmul');
    // dx(rows,K) += dy(rows,N) @ op(w)^T
    if (x.requiresGrad) mm(dy, w.data, x.ensureGrad(), rows, K, N, false, !transW, true);
    // dw: (K,N) += x^T @ dy, or (N,K) += dy^T @ x
    if (w.requiresGrad) {
      if (transW) mm(dy, x.data, w.ensureGrad(), N, K, rows, true, false, true);
      else mm(x.data, dy, w.ensureGrad(), K, N, rows, true, false, true);
    }
    if (bias?.requiresGrad) kernel('bias-add').backward(bias.ensureGrad(), dy, rows, N);
  });
  return res;
}

export function add(a: Tensor, b: Tensor): Tensor {
  if (a.size !== b.size) throw new Error(`add: sizes differ ([${a.shape.join(', ')}] vs [${b.shape.join(', ')}])`);
  const res = out(a.shape, false);
  kernel('add').forward(res.data, a.data, b.data, a.size);
  res.requiresGrad = tape.record('add', [a, b], () => {
    const d = res.grad;
    if (!d) return;
    const sc = kernel('scale').backward;
    if (a.requiresGrad) sc(a.ensureGrad(), d, 1, a.size);
    if (b.requiresGrad) sc(b.ensureGrad(), d, 1, b.size);
  });
  return res;
}

export function scale(x: Tensor, s: number): Tensor {
  const res = out(x.shape, false);
  kernel('scale').forward(res.data, x.data, s, x.size);
  res.requiresGrad = tape.record('scale', [x], () => {
    if (res.grad && x.requiresGrad) kernel('scale').backward(x.ensureGrad(), res.grad, s, x.size);
  });
  return res;
}

/** Inverted dropout with a caller-supplied keep mask (values 0 or 1/(1-p)), so masks are seeded. */
export function dropout(x: Tensor, mask: Float32Array): Tensor {
  const res = out(x.shape, false);
  kernel('dropout').forward(res.data, x.data, mask, x.size);
  res.requiresGrad = tape.record('dropout', [x], () => {
    if (!res.grad || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    for (let i = 0; i < x.size; i++) dx[i] += res.grad[i] * mask[i];
  });
  return res;
}

export function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  const [rows, C] = x.rowsCols();
  const res = out(x.shape, false);
  const mean = track(new Float32Array(rows));
  const rstd = track(new Float32Array(rows));
  kernel('layer-norm').forward(res.data, mean, rstd, x.data, w.data, b.data, rows, C, eps);
  res.requiresGrad = tape.record('layer-norm', [x, w, b], () => {
    if (!res.grad) return;
    kernel('layer-norm').backward(
      x.requiresGrad ? x.ensureGrad() : null, w.requiresGrad ? w.ensureGrad() : null, b.requiresGrad ? b.ensureGrad() : null,
      res.grad, x.data, w.data, mean, rstd, rows, C,
    );
  });
  return res;
}

/**
 * GELU (tanh form). valueUnused: record the op for backward (which needs x, not the output) but do
 * not compute the output: it stays unallocated (reads as zeros) — for a checkpoint replay whose
 * consumer never reads it (a frozen linear whose output is itself unused).
 */
export function gelu(x: Tensor, opts: { valueUnused?: boolean } = {}): Tensor {
  const res = opts.valueUnused ? new Tensor(x.shape, undefined, false, true) : out(x.shape, false);
  if (!opts.valueUnused) kernel('gelu').forward(res.data, x.data, x.size);
  res.requiresGrad = tape.record('gelu', [x], () => {
    if (res.grad && x.requiresGrad) kernel('gelu').backward(x.ensureGrad(), x.data, res.grad, x.size);
  });
  return res;
}

/** Causal self-attention: qkv (B, T, 3C) -> (B, T, C) with H heads. */
export function attention(qkv: Tensor, B: number, T: number, H: number): Tensor {
  const C = qkv.shape[qkv.shape.length - 1] / 3;
  if (!Number.isInteger(C) || C % H !== 0) throw new Error(`attention: qkv width ${3 * C} is not 3 * (a multiple of ${H} heads)`);
  const res = out([B, T, C], false);
  const lse = track(new Float32Array(B * H * T));
  kernel('attention').forward(res.data, lse, qkv.data, B, T, C, H);
  res.requiresGrad = tape.record('attention', [qkv], () => {
    if (res.grad && qkv.requiresGrad) kernel('attention').backward(qkv.ensureGrad(), res.grad, qkv.data, lse, B, T, C, H);
  });
  return res;
}

/** Token + position embeddings: ids (B, T) -> (B, T, C). */
export function embedding(ids: Int32Array, wte: Tensor, wpe: Tensor, B: number, T: number): Tensor {
  const C = wte.shape[1];
  if (T > wpe.shape[0]) throw new Error(`sequence length ${T} exceeds the model's ${wpe.shape[0]} positions; use a smaller --seq_len`);
  const res = out([B, T, C], false);
  if (wte.rowSource) {
    // wte lives in row chunks (sharded): gather the rows this batch uses, then look them up in order
    if (wte.requiresGrad) throw new Error('embedding: a trainable token embedding must be resident');
    const rows = wte.rowSource;
    const gathered = track(new Float32Array(B * T * C));
    for (let i = 0; i < B * T; i++) gathered.set(rows(ids[i], ids[i] + 1), i * C);
    const order = Int32Array.from({ length: B * T }, (_, i) => i); // row i of `gathered` is token i
    kernel('embedding').forward(res.data, order, gathered, wpe.data, B, T, C);
  } else kernel('embedding').forward(res.data, ids, wte.data, wpe.data, B, T, C);
  res.requiresGrad = tape.record('embedding', [wte, wpe], () => {
    if (!res.grad) return;
    kernel('embedding').backward(wte.requiresGrad ? wte.ensureGrad() : null, wpe.requiresGrad ? wpe.ensureGrad() : null, res.grad, ids, B, T, C);
  });
  return res;
}

/** Mean of per-row losses over the rows whose target is not ignored (< 0). */
function meanOverTargets(losses: Float32Array, targets: Int32Array): { mean: number; count: number } {
  let count = 0;
  let sum = 0;
  for (let n = 0; n < losses.length; n++) {
    if (targets[n] >= 0) {
      count++;
      sum += losses[n];
    }
  }
  if (count === 0) throw new Error('cross-entropy: every target is ignored; the batch holds no tokens to predict');
  return { mean: sum / count, count };
}

/** Mean softmax cross-entropy of logits (N, V) against targets (N); targets < 0 are ignored. Returns a scalar. */
export function crossEntropy(logits: Tensor, targets: Int32Array): Tensor {
  const [N, V] = logits.rowsCols();
  const losses = track(new Float32Array(N));
  const probs = track(new Float32Array(N * V));
  kernel('cross-entropy').forward(losses, probs, logits.data, targets, N, V);
  const { mean, count } = meanOverTargets(losses, targets);
  const res = out([1], false, new Float32Array([mean]));
  res.requiresGrad = tape.record('cross-entropy', [logits], () => {
    if (res.grad && logits.requiresGrad) kernel('cross-entropy').backward(logits.ensureGrad(), probs, targets, N, V, res.grad[0] / count);
  });
  return res;
}

/** Vocabulary chunk of the fused LM head: (N, 4096) floats of logits at a time (8 MB at N = 512). */
export const LM_HEAD_CHUNK = 4096;

/**
 * Mean cross-entropy of the tied LM head x(N,C) @ w(V,C)^T against targets (N), computed in vocabulary
 * chunks so the (N, V) logits never exist. Same value and gradients as crossEntropy(matmul(x, w^T)).
 */
export function lmHeadCrossEntropy(x: Tensor, w: Tensor, targets: Int32Array, chunk = LM_HEAD_CHUNK): Tensor {
  const [N, C] = x.rowsCols();
  const [V, wC] = w.shape;
  if (wC !== C) throw new Error(`lm head: hidden size ${C} does not match the embedding's ${wC}`);
  const losses = track(new Float32Array(N));
  const lse = track(new Float32Array(N));
  const rows = rowsOf(w);
  // The input gradient comes out of the forward pass (one pass over the vocabulary instead of two)
  // whenever it will be needed; it is unscaled: backward multiplies by the upstream gradient.
  const dxu = tape.recording && x.requiresGrad ? track(new Float32Array(N * C)) : null;
  kernel('lm-head-cross-entropy').forward(losses, lse, dxu, x.data, rows, targets, N, C, V, chunk);
  const { mean, count } = meanOverTargets(losses, targets);
  const res = out([1], false, new Float32Array([mean]));
  res.requiresGrad = tape.record('lm-head-cross-entropy', [x, w], () => {
    if (!res.grad) return;
    const dscale = res.grad[0] / count;
    if (dxu) {
      const dx = x.ensureGrad();
      for (let i = 0; i < dxu.length; i++) dx[i] += dscale * dxu[i];
    }
    const sink = w.requiresGrad
      ? (v0: number, v1: number, d: Float32Array) => {
          const g = w.ensureGrad();
          for (let i = 0, o = v0 * C; i < (v1 - v0) * C; i++) g[o + i] += d[i];
        }
      : null;
    const dx = !dxu && x.requiresGrad ? x.ensureGrad() : null;
    if (dx || sink) kernel('lm-head-cross-entropy').backward(dx, sink, x.data, rows, targets, lse, N, C, V, chunk, dscale);
  });
  return res;
}

/**
 * Fused LoRA linear: y = x @ W + b + scale * (drop(x) @ A^T) @ B^T, with W (K, N) in Conv1D layout,
 * A (r, K), B (N, r). One op instead of five keeps only x and the small h = drop(x) @ A^T (rows, r)
 * for backward, not three (rows, N) intermediates per adapted layer. valueUnused, value: as matmul's
 * (with a given value, h is still computed: backward needs it).
 */
export function loraLinear(x: Tensor, w: Tensor, bias: Tensor | null, A: Tensor, B: Tensor, scale: number, mask: Float32Array | null, valueUnused = false, value?: Float32Array): Tensor {
  const [rows, K] = x.rowsCols();
  const [wK, N] = w.shape;
  const r = A.shape[0];
  if (wK !== K || A.shape[1] !== K || B.shape[0] !== N || B.shape[1] !== r) {
    throw new Error(`lora linear: x (${rows}, ${K}), W [${w.shape}], A [${A.shape}], B [${B.shape}] do not fit together`);
  }
  const mm = kernel('matmul');
  let xd = x.data;
  if (mask) {
    xd = track(new Float32Array(x.size));
    kernel('dropout').forward(xd, x.data, mask, x.size);
  }
  if (value && value.length !== rows * N) throw new Error(`lora linear: a given output has ${value.length} values, expected ${rows * N}`);
  const y = value ?? track(new Float32Array(rows * N));
  const compute = !valueUnused && !value;
  if (compute) mm(x.data, w.data, y, rows, N, K, false, false, fillRows(y, bias, rows, N)); // y = x @ W (+ b)
  const hs = track(new Float32Array(rows * r));
  mm(xd, A.data, hs, rows, r, K, false, true, false); // h = drop(x) @ A^T: (rows, r), kept for dB
  kernel('scale').forward(hs, hs, scale, hs.length); // hs = scale * h
  if (compute) mm(hs, B.data, y, rows, N, r, false, true, true); // y += hs @ B^T
  const res = out([...x.shape.slice(0, -1), N], false, y);
  res.requiresGrad = tape.record('lora-linear', [x, w, bias, A, B], () => {
    const dy = res.grad;
    if (!dy) return;
    if (x.requiresGrad) mm(dy, w.data, x.ensureGrad(), rows, K, N, false, true, true); // dx += dy @ W^T
    if (w.requiresGrad) mm(x.data, dy, w.ensureGrad(), K, N, rows, true, false, true); // dW += x^T @ dy
    if (bias?.requiresGrad) kernel('bias-add').backward(bias.ensureGrad(), dy, rows, N);
    if (B.requiresGrad) mm(dy, hs, B.ensureGrad(), N, r, rows, true, false, true); // dB += dy^T @ hs
    if (!A.requiresGrad && !x.requiresGrad) return;
    const dh = new Float32Array(rows * r);
    mm(dy, B.data, dh, rows, r, N, false, false, false); // d(hs) = dy @ B
    kernel('scale').forward(dh, dh, scale, dh.length); // dh = scale * d(hs)
    if (A.requiresGrad) mm(dh, xd, A.ensureGrad(), r, K, rows, true, false, true); // dA += dh^T @ drop(x)
    if (x.requiresGrad) {
      const dxd = new Float32Array(rows * K);
      mm(dh, A.data, dxd, rows, K, r, false, false, false); // d(drop(x)) = dh @ A
      const dx = x.ensureGrad();
      if (mask) for (let i = 0; i < dx.length; i++) dx[i] += dxd[i] * mask[i];
      else kernel('scale').backward(dx, dxd, 1, dx.length);
    }
  });
  return res;
}
