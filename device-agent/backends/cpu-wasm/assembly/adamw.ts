// AdamW update in place over elements [i0, i1), torch.optim.AdamW's single-tensor formula:
// p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= stepSize * m / (sqrt(v)/sqrt(bc2) + eps)
// The host computes the scalars in f64 as torch's Python code does (decay, stepSize, 1 - beta1,
// 1 - beta2: 1 - 0.999 rounded once, not 1 - f32(0.999), which is 1.3e-5 off) and rounds each
// once to f32; the element arithmetic is in f32 in torch's order.

export function adamwUpdate(p: usize, g: usize, m: usize, v: usize, i0: i32, i1: i32, decay: f32, stepSize: f32, beta1: f32, beta2: f32, omb1: f32, omb2: f32, eps: f32, sqrtBc2: f32): void {
  const dv = f32x4.splat(decay), sv = f32x4.splat(stepSize), b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(omb1), c2 = f32x4.splat(omb2), ev = f32x4.splat(eps), bc = f32x4.splat(sqrtBc2);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, gi));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(f32x4.mul(c2, gi), gi));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const den = f32x4.add(f32x4.div(f32x4.sqrt(vi), bc), ev);
    v128.store(p + o, f32x4.sub(f32x4.mul(v128.load(p + o), dv), f32x4.div(f32x4.mul(sv, mi), den)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = beta1 * load<f32>(m + o) + omb1 * gi;
    const vi = beta2 * load<f32>(v + o) + omb2 * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, load<f32>(p + o) * decay - (stepSize * mi) / (Mathf.sqrt(vi) / sqrtBc2 + eps));
  }
}
