// Vector maths shared by the cpu-wasm kernels: FMA-or-mul+add, horizontal sums and a 4-lane exp.
// exp is Cephes' expf (range reduction by ln 2 in two parts, degree-6 polynomial, 2^n built in the
// exponent bits): ~2 ulp on [-87.3, 88.7], inputs clamped to that range (so exp(-inf) is ~1e-38,
// not 0: callers mask what must be exactly 0). WASM has no exp instruction.

/** a*b + c: fused in the relaxed-SIMD build, mul then add otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Sum of the four lanes. */
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Largest of the four lanes. */
@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** e^x in each lane. */
@inline export function expv(x: v128): v128 {
  x = f32x4.max(f32x4.min(x, f32x4.splat(88.3762626647949)), f32x4.splat(-87.3365447504));
  const fx = f32x4.floor(madd(x, f32x4.splat(1.44269504088896341), f32x4.splat(0.5)));
  x = madd(fx, f32x4.splat(-0.693359375), x);
  x = madd(fx, f32x4.splat(2.12194440e-4), x);
  let y = f32x4.splat(1.9875691500e-4);
  y = madd(y, x, f32x4.splat(1.3981999507e-3));
  y = madd(y, x, f32x4.splat(8.3334519073e-3));
  y = madd(y, x, f32x4.splat(4.1665795894e-2));
  y = madd(y, x, f32x4.splat(1.6666665459e-1));
  y = madd(y, x, f32x4.splat(5.0000001201e-1));
  y = madd(y, f32x4.mul(x, x), f32x4.add(x, f32x4.splat(1)));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2n);
}

/** e^x for one value, the same arithmetic as expv (so scalar tails round like the vector body). */
@inline export function exps(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}

/** row[0..n) = exp(row - sub) in place; returns their sum (lane sums added in f64). */
export function expRow(row: usize, n: i32, sub: f32): f64 {
  const sv = f32x4.splat(sub);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = row + (<usize>i << 2);
    const e = expv(f32x4.sub(v128.load(p), sv));
    v128.store(p, e);
    acc = f32x4.add(acc, e);
  }
  let s = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  for (; i < n; i++) {
    const p = row + (<usize>i << 2);
    const e = exps(load<f32>(p) - sub);
    store<f32>(p, e);
    s += <f64>e;
  }
  return s;
}
