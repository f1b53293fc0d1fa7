// Tests for device-agent/io/float16.ts: known float16/bfloat16 values, float32 -> float16 rounding
// (ties to even, carries into the next exponent, overflow, subnormals), an exhaustive round trip of
// all 65536 float16 bit patterns, a slow float64 reference encoder on random and boundary inputs,
// and, when /usr/bin/python3 has numpy, numpy's own float32 -> float16 cast as the oracle.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../device-agent/core/rng.js';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32BitsToFloat16Bits,
  float32ToFloat16Bits,
} from '../../../device-agent/io/float16.js';

const f32Bits = (v: number): number => new Uint32Array(new Float32Array([v]).buffer)[0];
const fromF32Bits = (b: number): number => new Float32Array(new Uint32Array([b]).buffer)[0];
const encode = (v: number): number => float32ToFloat16Bits(new Float32Array([v]))[0];
const decode = (h: number): number => float16BitsToFloat32(new Uint16Array([h]))[0];
const isHalfNaN = (h: number): boolean => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

describe('float16 decode', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x0400, 2 ** -14], // smallest normal
    [0x3555, 0.333251953125],
    [0x0000, 0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('bits %i decode to %s', (h, v) => {
    expect(decode(h)).toBe(v);
  });

  it('keeps the sign of zero and decodes NaN as NaN, payload included', () => {
    expect(Object.is(decode(0x8000), -0)).toBe(true);
    expect(decode(0x7e00)).toBeNaN();
    expect(decode(0xfc01)).toBeNaN();
    const bits = new Uint32Array(float16BitsToFloat32(new Uint16Array([0x7c01, 0xfe00])).buffer);
    expect([bits[0], bits[1]]).toEqual([0x7f802000, 0xffc00000]);
  });
});

describe('bfloat16 decode', () => {
  it('decodes known values exactly', () => {
    const out = bfloat16BitsToFloat32(new Uint16Array([0x3f80, 0xc000, 0x0001, 0x7f7f, 0x7f80, 0xff80, 0x7fc0, 0x8000]));
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(-2);
    expect(out[2]).toBe(2 ** -133); // smallest bfloat16 subnormal
    expect(out[3]).toBe(fromF32Bits(0x7f7f0000)); // largest finite, ~3.3895e38
    expect(out[4]).toBe(Infinity);
    expect(out[5]).toBe(-Infinity);
    expect(out[6]).toBeNaN();
    expect(Object.is(out[7], -0)).toBe(true);
  });
});

describe('float32 -> float16 rounding', () => {
  it.each([
    ['exact 1', 1, 0x3c00],
    ['exact -2', -2, 0xc000],
    ['exact 65504 (max)', 65504, 0x7bff],
    ['tie 1 + 2^-11 -> even 1', 1 + 2 ** -11, 0x3c00],
    ['tie 1 + 3*2^-11 -> even 0x3c02', 1 + 3 * 2 ** -11, 0x3c02],
    ['just above a tie rounds up', 1 + 2 ** -11 + 2 ** -23, 0x3c01],
    ['just below a tie rounds down', 1 + 3 * 2 ** -11 - 2 ** -22, 0x3c01],
    ['2 - 2^-12 rounds up into the next exponent', 2 - 2 ** -12, 0x4000],
    ['tie 2 - 2^-11 -> even, carrying into the next exponent', 2 - 2 ** -11, 0x4000],
    ['tie 2048 + 1 -> even 2048', 2049, 0x6800],
    ['tie 2048 + 3 -> even 2052', 2051, 0x6802],
    ['65519 stays at max', 65519, 0x7bff],
    ['tie 65520 -> even, which overflows to inf', 65520, 0x7c00],
    ['1e10 overflows to inf', 1e10, 0x7c00],
    ['-1e10 overflows to -inf', -1e10, 0xfc00],
    ['float32 max overflows to inf', fromF32Bits(0x7f7fffff), 0x7c00],
    ['smallest subnormal 2^-24', 2 ** -24, 0x0001],
    ['-2^-24', -(2 ** -24), 0x8001],
    ['tie 2^-25 -> even 0', 2 ** -25, 0x0000],
    ['just above 2^-25 -> 2^-24', 2 ** -25 * (1 + 2 ** -23), 0x0001],
    ['2^-26 -> 0', 2 ** -26, 0x0000],
    ['tie 3*2^-25 -> even 2*2^-24', 3 * 2 ** -25, 0x0002],
    ['tie 5*2^-25 -> even 2*2^-24', 5 * 2 ** -25, 0x0002],
    ['largest subnormal', 1023 * 2 ** -24, 0x03ff],
    ['tie above the largest subnormal -> smallest normal', 1023.5 * 2 ** -24, 0x0400],
    ['smallest normal 2^-14', 2 ** -14, 0x0400],
    ['float32 subnormal -> 0', fromF32Bits(0x00000001), 0x0000],
    ['-tiny -> -0', -(2 ** -30), 0x8000],
    ['-0', -0, 0x8000],
    ['inf', Infinity, 0x7c00],
    ['-inf', -Infinity, 0xfc00],
  ])('%s', (_label, v, h) => {
    expect(Math.fround(v)).toBe(v); // every input is exactly a float32
    expect(encode(v)).toBe(h);
  });

  it('keeps NaN a NaN, with its sign and top payload bits', () => {
    expect(isHalfNaN(encode(NaN))).toBe(true);
    expect(float32BitsToFloat16Bits(0x7fc00000)).toBe(0x7e00);
    expect(float32BitsToFloat16Bits(0xffc00000)).toBe(0xfe00);
    expect(float32BitsToFloat16Bits(0x7f800001)).toBe(0x7c01); // payload truncates to 0 -> forced to 1
    expect(float32BitsToFloat16Bits(0x7f802000)).toBe(0x7c01);
  });

  it('round-trips all 65536 float16 bit patterns exactly (NaNs included)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToFloat16Bits(float16BitsToFloat32(all));
    let mismatches = 0;
    for (let i = 0; i < 65536; i++) if (back[i] !== i) mismatches++;
    expect(mismatches).toBe(0);
    for (let i = 0; i < 65536; i++) if (isHalfNaN(i)) expect(Number.isNaN(float16BitsToFloat32(new Uint16Array([i]))[0])).toBe(true);
  });

  it('matches a slow float64 reference on random and boundary float32 inputs', () => {
    // Reference: all finite float16 values, nearest by float64 distance, ties to the even pattern.
    const finite: Array<{ v: number; h: number }> = [];
    for (let h = 0; h < 0x7c00; h++) finite.push({ v: decode(h), h });
    const reference = (v: number): number => {
      const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
      const a = Math.abs(v);
      if (a >= 65520) return sign | 0x7c00; // 65520 is the tie between 65504 and 2^16, which rounds to even (inf)
      let lo = 0;
      let hi = finite.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (finite[mid].v <= a) lo = mid;
        else hi = mid;
      }
      const dLo = a - finite[lo].v;
      const dHi = finite[hi].v - a;
      const pick = dLo < dHi ? lo : dHi < dLo ? hi : (finite[lo].h & 1) === 0 ? lo : hi;
      return sign | finite[pick].h;
    };
    const rng = new Rng(1234);
    const inputs: number[] = [];
    for (let i = 0; i < 200_000; i++) inputs.push(rng.nextU32());
    // Dense sweeps around each float16 rounding boundary: the tie point and its float32 neighbours.
    for (let h = 0; h < 0x7c00; h += 7) {
      const tie = f32Bits((decode(h) + decode(h + 1)) / 2);
      for (let d = -2; d <= 2; d++) inputs.push((tie + d) >>> 0, (tie + d + 0x80000000) >>> 0);
    }
    let bad = 0;
    let first = '';
    for (const bits of inputs) {
      const v = fromF32Bits(bits);
      if (Number.isNaN(v)) continue;
      const got = float32BitsToFloat16Bits(bits);
      const want = reference(v);
      if (got !== want) {
        if (bad++ === 0) first = `0x${bits.toString(16)} (${v}): got 0x${got.toString(16)}, want 0x${want.toString(16)}`;
      }
    }
    expect(first).toBe('');
    expect(bad).toBe(0);
  });
});

const PYTHON = '/usr/bin/python3';
const numpyCheck = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
const numpyMissing = numpyCheck.status !== 0 ? `${PYTHON} with numpy is not available (${numpyCheck.error?.message ?? numpyCheck.stderr.trim().split('\n').pop()})` : '';
if (numpyMissing) console.log(`float16.spec: skipping the numpy oracle test: ${numpyMissing}`);

describe('float32 -> float16 against numpy', () => {
  it.skipIf(numpyMissing !== '')('agrees with numpy astype(float16) bit for bit (NaNs: both NaN)', () => {
    const rng = new Rng(99);
    const n = 300_000;
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = rng.nextU32();
    // Bias a third of the inputs into the float16 range, where rounding happens.
    for (let i = 0; i < n; i += 3) bits[i] = ((rng.nextU32() & 0x8fffffff) | 0x30000000) >>> 0;
    const dir = mkdtempSync(join(tmpdir(), 'fleettune-f16-'));
    try {
      writeFileSync(join(dir, 'in.bin'), new Uint8Array(bits.buffer));
      const script = [
        'import numpy as np, sys',
        'd = sys.argv[1]',
        "x = np.fromfile(d + '/in.bin', dtype='<u4').view(np.float32)",
        "with np.errstate(all='ignore'): h = x.astype(np.float16)",
        "h.view('<u2').tofile(d + '/out.bin')",
      ].join('\n');
      const run = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const want = new Uint16Array(new Uint8Array(readFileSync(join(dir, 'out.bin'))).buffer);
      const got = float32ToFloat16Bits(new Float32Array(bits.buffer));
      let bad = 0;
      let first = '';
      for (let i = 0; i < n; i++) {
        const same = got[i] === want[i] || (isHalfNaN(got[i]) && isHalfNaN(want[i]));
        if (!same && bad++ === 0) first = `0x${bits[i].toString(16)}: got 0x${got[i].toString(16)}, numpy 0x${want[i].toString(16)}`;
      }
      expect(first).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
