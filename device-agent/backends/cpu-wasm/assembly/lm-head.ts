// Row kernels of the fused LM head + cross-entropy (the host, ../kernels/lm-head-cross-entropy.ts,
// runs the matmuls around them), on rows [r0, r1) of one vocabulary chunk of logits L (rows x n):
// - lmSoftmaxChunk: online softmax. Updates the running max m (f32) and rescaled sum s (f64) per
//   row, turns L into exp(L - m_new) in place (the next matmul, P @ W_chunk, adds it into acc),
//   rescales the row of acc (rows x C) by exp(m_old - m_new) when the max moved, and picks the
//   target's logit into tl. So dx = acc / s - W[target] comes out of the forward pass.
// - lmSoftmaxGrad: L -> dscale * (softmax(L) - onehot(target)) with the saved log-sum-exp
//   (the backward's recompute, needed only when the embedding itself trains).
import { expRow, expv, exps, hmax } from './simd-math';

@inline function rowMax(row: usize, n: i32): f32 {
  let acc = f32x4.splat(-Infinity);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.max(acc, v128.load(row + (<usize>i << 2)));
  let m = hmax(acc);
  for (; i < n; i++) m = max(m, load<f32>(row + (<usize>i << 2)));
  return m;
}

export function lmSoftmaxChunk(L: usize, n: i32, m: usize, s: usize, acc: usize, C: i32, targets: usize, v0: i32, tl: usize, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const row = L + ((<usize>r * <usize>n) << 2);
    const mOld = load<f32>(m + (<usize>r << 2));
    const mNew = max(mOld, rowMax(row, n));
    const t = load<i32>(targets + (<usize>r << 2)) - v0;
    if (t >= 0 && t < n) store<f32>(tl + (<usize>r << 2), load<f32>(row + (<usize>t << 2)));
    const sum = expRow(row, n, mNew);
    const fac: f32 = mOld == -Infinity ? 0 : <f32>Math.exp(<f64>(mOld - mNew));
    const sp = s + (<usize>r << 3);
    store<f64>(sp, load<f64>(sp) * <f64>fac + sum);
    store<f32>(m + (<usize>r << 2), mNew);
    if (acc && fac != 1) {
      const a = acc + ((<usize>r * <usize>C) << 2);
      const fv = f32x4.splat(fac);
      let c = 0;
      for (; c + 4 <= C; c += 4) v128.store(a + (<usize>c << 2), f32x4.mul(v128.load(a + (<usize>c << 2)), fv));
      for (; c < C; c++) store<f32>(a + (<usize>c << 2), load<f32>(a + (<usize>c << 2)) * fac);
    }
  }
}

export function lmSoftmaxGrad(L: usize, n: i32, lse: usize, targets: usize, v0: i32, dscale: f32, r0: i32, r1: i32): void {
  const dv = f32x4.splat(dscale);
  for (let r = r0; r < r1; r++) {
    const row = L + ((<usize>r * <usize>n) << 2);
    const target = load<i32>(targets + (<usize>r << 2));
    if (target < 0) { memory.fill(row, 0, <usize>n << 2); continue; }
    const lv = f32x4.splat(load<f32>(lse + (<usize>r << 2)));
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const p = row + (<usize>i << 2);
      v128.store(p, f32x4.mul(dv, expv(f32x4.sub(v128.load(p), lv))));
    }
    const l = load<f32>(lse + (<usize>r << 2));
    for (; i < n; i++) { const p = row + (<usize>i << 2); store<f32>(p, dscale * exps(load<f32>(p) - l)); }
    const t = target - v0;
    if (t >= 0 && t < n) { const p = row + (<usize>t << 2); store<f32>(p, load<f32>(p) - dscale); }
  }
}
