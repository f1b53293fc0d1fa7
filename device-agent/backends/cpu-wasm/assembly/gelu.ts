// GELU, tanh approximation (Hugging Face "gelu_new", GPT-2's), forward and backward (accumulating
// into dx) over elements [i0, i1). tanh(u) = 1 - 2 / (e^(2u) + 1) with the vector exp.
import { expv, madd } from './simd-math';

const S: f32 = 0.7978845608028654; // sqrt(2 / pi)
const A: f32 = 0.044715;

@inline function tanhOfInner(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(f32x4.mul(x, madd(f32x4.splat(A), x2, f32x4.splat(1))), f32x4.splat(S));
  const e = expv(f32x4.add(u, u));
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
}

// Scalar tails go through one lane of the vector code, so every element rounds the same way.
@inline function lanes(p: usize, i: i32, i1: i32): v128 {
  if (i + 4 <= i1) return v128.load(p + (<usize>i << 2));
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p + (<usize>i << 2)));
  if (i + 1 < i1) v = f32x4.replace_lane(v, 1, load<f32>(p + (<usize>i << 2), 4));
  if (i + 2 < i1) v = f32x4.replace_lane(v, 2, load<f32>(p + (<usize>i << 2), 8));
  return v;
}

@inline function put(p: usize, i: i32, i1: i32, v: v128): void {
  if (i + 4 <= i1) { v128.store(p + (<usize>i << 2), v); return; }
  store<f32>(p + (<usize>i << 2), f32x4.extract_lane(v, 0));
  if (i + 1 < i1) store<f32>(p + (<usize>i << 2), f32x4.extract_lane(v, 1), 4);
  if (i + 2 < i1) store<f32>(p + (<usize>i << 2), f32x4.extract_lane(v, 2), 8);
}

export function geluForward(out: usize, x: usize, i0: i32, i1: i32): void {
  const half = f32x4.splat(0.5), one = f32x4.splat(1);
  for (let i = i0; i < i1; i += 4) {
    const v = lanes(x, i, i1);
    put(out, i, i1, f32x4.mul(f32x4.mul(half, v), f32x4.add(one, tanhOfInner(v))));
  }
}

export function geluBackward(dx: usize, x: usize, dout: usize, i0: i32, i1: i32): void {
  const half = f32x4.splat(0.5), one = f32x4.splat(1);
  for (let i = i0; i < i1; i += 4) {
    const v = lanes(x, i, i1);
    const t = tanhOfInner(v);
    const dudx = f32x4.mul(f32x4.splat(S), madd(f32x4.splat(3 * A), f32x4.mul(v, v), one));
    const sech2 = f32x4.sub(one, f32x4.mul(t, t));
    const grad = madd(f32x4.mul(f32x4.mul(half, v), sech2), dudx, f32x4.mul(half, f32x4.add(one, t)));
    put(dx, i, i1, madd(lanes(dout, i, i1), grad, lanes(dx, i, i1)));
  }
}
