// Causal multi-head self-attention from a fused qkv (B, T, 3C), flash-attention style: per query row
// the scores against the keys up to it live in one row of scratch (T floats), so nothing of size
// T x T is ever stored; forward saves only the log-sum-exp per row (B, H, T) and backward recomputes
// the probabilities from it (FlashAttention-2's backward, one row at a time). A unit of work is one
// (batch, head) pair: units write disjoint slices of out / dqkv, so threads never share a write.
// Follows llm.c attention_forward/backward for the maths, FlashAttention for the saved statistics.
import { expRow, hsum, madd } from './simd-math';

@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    acc0 = madd(v128.load(a + o), v128.load(b + o), acc0);
    acc1 = madd(v128.load(a + o, 16), v128.load(b + o, 16), acc1);
  }
  for (; i + 4 <= n; i += 4) acc0 = madd(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2)), acc0);
  let s = hsum(f32x4.add(acc0, acc1));
  for (; i < n; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}

/** y[0..n) += s * x[0..n) */
@inline function axpy(y: usize, s: f32, x: usize, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, madd(sv, v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) + s * load<f32>(x + (<usize>i << 2)));
}

/** Forward for (batch, head) pairs [u0, u1): out (B,T,C), lse (B,H,T). scratch: T floats. */
export function attentionForward(out: usize, lse: usize, qkv: usize, B: i32, T: i32, C: i32, H: i32, u0: i32, u1: i32, scratch: usize): void {
  const hs = C / H;
  const scale = <f32>(1.0 / Math.sqrt(<f64>hs));
  const row3 = <usize>(3 * C) << 2, rowC = <usize>C << 2;
  for (let u = u0; u < u1; u++) {
    const b = u / H, h = u % H;
    const q0 = qkv + <usize>b * <usize>T * row3 + (<usize>(h * hs) << 2);
    const k0 = q0 + rowC, v0 = q0 + 2 * rowC;
    const o0 = out + <usize>b * <usize>T * rowC + (<usize>(h * hs) << 2);
    for (let t = 0; t < T; t++) {
      const q = q0 + <usize>t * row3;
      let mx: f32 = -Infinity;
      for (let t2 = 0; t2 <= t; t2++) {
        const s = dot(q, k0 + <usize>t2 * row3, hs) * scale;
        store<f32>(scratch + (<usize>t2 << 2), s);
        mx = max(mx, s);
      }
      const sum = <f32>expRow(scratch, t + 1, mx);
      const o = o0 + <usize>t * rowC;
      memory.fill(o, 0, <usize>hs << 2);
      for (let t2 = 0; t2 <= t; t2++) axpy(o, load<f32>(scratch + (<usize>t2 << 2)), v0 + <usize>t2 * row3, hs);
      const inv = <f32>1 / sum;
      const iv = f32x4.splat(inv);
      let i = 0;
      for (; i + 4 <= hs; i += 4) v128.store(o + (<usize>i << 2), f32x4.mul(v128.load(o + (<usize>i << 2)), iv));
      for (; i < hs; i++) store<f32>(o + (<usize>i << 2), load<f32>(o + (<usize>i << 2)) * inv);
      store<f32>(lse + ((<usize>u * <usize>T + <usize>t) << 2), mx + Mathf.log(sum));
    }
  }
}

/** Backward for (batch, head) pairs [u0, u1): dqkv += d(out)/d(qkv) . dout. scratch: 2T floats. */
export function attentionBackward(dqkv: usize, dout: usize, qkv: usize, lse: usize, B: i32, T: i32, C: i32, H: i32, u0: i32, u1: i32, scratch: usize): void {
  const hs = C / H;
  const scale = <f32>(1.0 / Math.sqrt(<f64>hs));
  const row3 = <usize>(3 * C) << 2, rowC = <usize>C << 2;
  const p = scratch, da = scratch + (<usize>T << 2);
  for (let u = u0; u < u1; u++) {
    const b = u / H, h = u % H;
    const off3 = <usize>b * <usize>T * row3 + (<usize>(h * hs) << 2);
    const q0 = qkv + off3, k0 = q0 + rowC, v0 = q0 + 2 * rowC;
    const dq0 = dqkv + off3, dk0 = dq0 + rowC, dv0 = dq0 + 2 * rowC;
    const g0 = dout + <usize>b * <usize>T * rowC + (<usize>(h * hs) << 2);
    for (let t = 0; t < T; t++) {
      const q = q0 + <usize>t * row3, g = g0 + <usize>t * rowC;
      const l = load<f32>(lse + ((<usize>u * <usize>T + <usize>t) << 2));
      // probabilities (recomputed from the saved log-sum-exp) and d(probabilities)
      for (let t2 = 0; t2 <= t; t2++) {
        store<f32>(p + (<usize>t2 << 2), dot(q, k0 + <usize>t2 * row3, hs) * scale);
        store<f32>(da + (<usize>t2 << 2), dot(g, v0 + <usize>t2 * row3, hs));
      }
      expRow(p, t + 1, l);
      let D: f32 = 0;
      for (let t2 = 0; t2 <= t; t2++) D += load<f32>(p + (<usize>t2 << 2)) * load<f32>(da + (<usize>t2 << 2));
      const dq = dq0 + <usize>t * row3;
      for (let t2 = 0; t2 <= t; t2++) {
        const pt = load<f32>(p + (<usize>t2 << 2));
        const ds = pt * (load<f32>(da + (<usize>t2 << 2)) - D) * scale;
        const r = <usize>t2 * row3;
        axpy(dv0 + r, pt, g, hs);
        axpy(dq, ds, k0 + r, hs);
        axpy(dk0 + r, ds, q, hs);
      }
    }
  }
}
