// float16 bits -> float32 over elements [i0, i1), 8 at a time: the sharder's fp16 storage decodes
// every frozen weight it reads (~200M values per GPT-2-small step at a 128 MB budget), which as a
// JS loop cost ~2 s a step. Exact for every input (F. Giesen's half_to_float, branch-free): normal
// values rebias the exponent, inf/NaN keep their payload, subnormals go through one exact subtract.
// Mirrors float16BitsToFloat32Bits in device-agent/io/float16.ts (the test checks all 65536 inputs).

@inline function decode4(h: v128): v128 {
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const u = i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13);
  const e = v128.and(u, i32x4.splat(0x0f800000));
  const normal = i32x4.add(u, i32x4.splat(0x38000000));
  const special = i32x4.add(u, i32x4.splat(0x70000000)); // inf / NaN: exponent 255, payload kept
  const sub = f32x4.sub(i32x4.add(u, i32x4.splat(0x38800000)), f32x4.splat(6.103515625e-05)); // mant * 2^-24
  let r = v128.bitselect(special, normal, i32x4.eq(e, i32x4.splat(0x0f800000)));
  r = v128.bitselect(sub, r, i32x4.eq(e, i32x4.splat(0)));
  return v128.or(r, sign);
}

export function float16Decode(dst: usize, src: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 8 <= i1; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    v128.store(dst + (<usize>i << 2), decode4(i32x4.extend_low_i16x8_u(h)));
    v128.store(dst + (<usize>i << 2), decode4(i32x4.extend_high_i16x8_u(h)), 16);
  }
  for (; i < i1; i++) {
    const v = decode4(i32x4.splat(<i32>load<u16>(src + (<usize>i << 1))));
    store<i32>(dst + (<usize>i << 2), i32x4.extract_lane(v, 0));
  }
}
