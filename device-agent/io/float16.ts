// IEEE 754 binary16 (float16) and bfloat16 conversions on raw bit patterns, for safetensors I/O and
// the fp16 parameter store. Not a tensor type and not a math library: arrays in, arrays out.
// float32 -> float16 rounds to nearest, ties to even, with correct subnormals and overflow to inf;
// NaN payloads keep their top 10 bits (a payload that truncates to zero becomes 1, so a NaN stays a
// NaN). This is exactly what numpy's npy_floatbits_to_halfbits does, and the tests check against it.
// Bits are read and written through Uint32 views, never through JS numbers, so NaN payloads survive.

/** float32 bits (as an unsigned 32-bit integer) -> float16 bits, round to nearest even. */
export function float32BitsToFloat16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    if (mant === 0) return sign | 0x7c00; // +-inf
    const payload = mant >>> 13;
    return sign | 0x7c00 | (payload === 0 ? 1 : payload); // NaN stays NaN
  }
  const e = exp - 112; // float16 biased exponent (127 - 15 = 112)
  if (e >= 31) return sign | 0x7c00; // too large even before rounding: overflow to inf
  if (e <= 0) {
    // float16 subnormal (or zero). The value is M * 2^(exp - 150) and float16 subnormals count in
    // units of 2^-24, so q = M * 2^(exp - 126) = M >> (126 - exp) = M >> (14 - e), then rounded.
    const shift = 14 - e;
    // Below half the smallest subnormal (2^-25) everything rounds to zero; exactly 2^-25 is a tie
    // that goes to the even value 0, which the general path below also gets right for shift = 24.
    if (shift > 24) return sign;
    const m = mant | 0x800000; // restore the implicit leading 1
    let q = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (q & 1) !== 0)) q++; // may carry into the smallest normal, correctly
    return sign | q;
  }
  let q = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and out of exponent 30 gives 0x7c00 = inf.
  if (rem > 0x1000 || (rem === 0x1000 && (q & 1) !== 0)) q++;
  return sign | q;
}

/** float16 bits -> float32 bits (exact: every float16 value is a float32 value). */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN with payload
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0; // +-0
  // Subnormal: normalize so the leading 1 becomes the implicit bit.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** Converts each float32 to float16 bits (round to nearest even). */
export function float32ToFloat16Bits(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]);
  return out;
}

/** Expands float16 bits to float32 (exact), into `out` when given (it may overlap src as decodeFloat16Into describes). */
export function float16BitsToFloat32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) bits[i] = float16BitsToFloat32Bits(src[i]);
  return out;
}

/** Expands bfloat16 bits to float32 (exact: bfloat16 is the top half of a float32). */
export function bfloat16BitsToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}
