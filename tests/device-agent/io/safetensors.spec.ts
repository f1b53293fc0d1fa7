// Tests for device-agent/io/safetensors.ts: known-answer bytes written by hand from the format
// (8-byte LE size, JSON header space-padded to 8, packed data), the reference writer's own test
// vectors (safetensors/src/tensor.rs), round trips, unaligned reads, and one test per malformed
// input. When /usr/bin/python3 has numpy, an independent Python reader checks our files too.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../../device-agent/io/float16.js';
import { parseSafetensors, serializeSafetensors, toFloat32 } from '../../../device-agent/io/safetensors.js';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const le64 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff, 0, 0, 0, 0];
const f32le = (...vs: number[]): number[] => [...new Uint8Array(new Float32Array(vs).buffer)];

/** A file with the given header text (unpadded unless the text carries its own spaces) and data. */
function raw(header: string, data: number[] = [], headerLen?: number): Uint8Array {
  const h = new TextEncoder().encode(header);
  return new Uint8Array([...le64(headerLen ?? h.length), ...h, ...data]);
}

const SRC = 'model.safetensors';

describe('serializeSafetensors known answers', () => {
  it('writes a one-tensor file byte for byte as the format specifies', () => {
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes -> 2 spaces of padding
    const expected = [56, 0, 0, 0, 0, 0, 0, 0, ...ascii(json), 0x20, 0x20, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0];
    const out = serializeSafetensors([{ name: 'a', dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) }]);
    expect([...out]).toEqual(expected);
  });

  it('writes F16 data little-endian after F32 tensors, whatever the names', () => {
    const out = serializeSafetensors([
      { name: 'a', dtype: 'F16', shape: [3], data: new Float32Array([1, -2, 65504]) },
      { name: 'z', dtype: 'F32', shape: [1], data: new Float32Array([0.5]) },
    ]);
    const json = '{"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F16","shape":[3],"data_offsets":[4,10]}}';
    expect(json.length).toBe(108); // -> 4 spaces, header 112
    const expected = [112, 0, 0, 0, 0, 0, 0, 0, ...ascii(json), ...ascii('    '), ...f32le(0.5), 0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b];
    expect([...out]).toEqual(expected);
  });

  it('matches the reference writer test vectors (safetensors/src/tensor.rs)', () => {
    // test_serialization_forced_alignement: 65 bytes of JSON + 7 spaces, then 0..5 as F32.
    const attn = serializeSafetensors([{ name: 'attn0', dtype: 'F32', shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }]);
    const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect([...attn]).toEqual([72, 0, 0, 0, 0, 0, 0, 0, ...ascii(json), ...ascii('       '), ...f32le(0, 1, 2, 3, 4, 5)]);
    // test_empty: no tensors, with and without metadata.
    expect([...serializeSafetensors([])]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...ascii('{}      ')]);
    expect([...serializeSafetensors([], { framework: 'pt' })]).toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...ascii('{"__metadata__":{"framework":"pt"}}     ')]);
  });

  it('lists integer-like names in data order too (a plain JS object would move them first)', () => {
    const one = (name: string) => ({ name, dtype: 'F32' as const, shape: [1], data: new Float32Array([1]) });
    const out = serializeSafetensors([one('b'), one('9'), one('10')], { '2': 'x', a: 'y', '10': 'z' });
    const headerLen = new DataView(out.buffer).getUint32(0, true);
    const text = new TextDecoder().decode(out.subarray(8, 8 + headerLen)).trimEnd();
    expect(text).toBe(
      '{"__metadata__":{"10":"z","2":"x","a":"y"},"10":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
        '"9":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
    );
  });

  it('pads every header to a multiple of 8 so tensor data is 8-aligned', () => {
    for (let len = 1; len <= 16; len++) {
      const out = serializeSafetensors([{ name: 'x'.repeat(len), dtype: 'F32', shape: [1], data: new Float32Array([1]) }]);
      const headerLen = new DataView(out.buffer).getUint32(0, true);
      expect(headerLen % 8).toBe(0);
      expect(out[8 + headerLen - 1] === 0x7d || out[8 + headerLen - 1] === 0x20).toBe(true);
    }
  });
});

describe('parseSafetensors round trips', () => {
  it('reads back names, dtypes, shapes, values and metadata', () => {
    const big = new Float32Array(6 * 5).map((_, i) => Math.sin(i) * 100);
    const out = serializeSafetensors(
      [
        { name: 'h.10.w', dtype: 'F32', shape: [6, 5], data: big },
        { name: 'h.2.w', dtype: 'F16', shape: [2, 2], data: new Float32Array([0.1, -3.3, 1e-6, 7e4]) },
        { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([42]) },
        { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
      ],
      { format: 'pt', note: 'ünïcode ✓ "quoted"' },
    );
    const file = parseSafetensors(out, SRC);
    expect(file.metadata).toEqual({ format: 'pt', note: 'ünïcode ✓ "quoted"' });
    expect([...file.tensors.keys()]).toEqual(['empty', 'h.10.w', 'scalar', 'h.2.w']); // file order
    const w = file.tensors.get('h.10.w')!;
    expect(w.dtype).toBe('F32');
    expect(w.shape).toEqual([6, 5]);
    expect(toFloat32(w)).toEqual(big);
    const h = file.tensors.get('h.2.w')!;
    expect(h.dtype).toBe('F16');
    expect(toFloat32(h)).toEqual(float16BitsToFloat32(float32ToFloat16Bits(new Float32Array([0.1, -3.3, 1e-6, 7e4]))));
    expect(toFloat32(h)[3]).toBe(Infinity); // 7e4 overflows float16
    expect(toFloat32(file.tensors.get('scalar')!)).toEqual(new Float32Array([42]));
    expect(file.tensors.get('empty')!.shape).toEqual([0, 3]);
    expect(toFloat32(file.tensors.get('empty')!).length).toBe(0);
  });

  it('returns views into the input bytes, and toFloat32 returns a copy', () => {
    const out = serializeSafetensors([{ name: 'a', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]);
    const t = parseSafetensors(out, SRC).tensors.get('a')!;
    expect(t.data.buffer).toBe(out.buffer);
    const copy = toFloat32(t);
    copy[0] = 99;
    expect(toFloat32(t)[0]).toBe(1);
  });

  it('reads F32, F16, BF16 and F64 at unaligned offsets (unpadded header, file inside a larger buffer)', () => {
    const header =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[1],"data_offsets":[8,10]},' +
      '"c":{"dtype":"BF16","shape":[1],"data_offsets":[10,12]},"d":{"dtype":"F64","shape":[1],"data_offsets":[12,20]}}';
    const f64 = [...new Uint8Array(new Float64Array([-0.25]).buffer)];
    const body = [...f32le(1.5, -2), 0x00, 0x3c, 0xc0, 0x3f /* bf16 1.5 */, ...f64];
    const file = raw(header, body);
    expect((8 + header.length) % 4).not.toBe(0);
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1); // also misalign the file itself
    const parsed = parseSafetensors(shifted.subarray(1), SRC);
    expect(toFloat32(parsed.tensors.get('a')!)).toEqual(new Float32Array([1.5, -2]));
    expect(toFloat32(parsed.tensors.get('b')!)).toEqual(new Float32Array([1]));
    expect(toFloat32(parsed.tensors.get('c')!)).toEqual(new Float32Array([1.5]));
    expect(toFloat32(parsed.tensors.get('d')!)).toEqual(new Float32Array([-0.25]));
  });

  it('accepts integer dtypes but toFloat32 refuses them, naming the tensor', () => {
    const file = parseSafetensors(raw('{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [1, 0, 0, 0, 0, 0, 0, 0]), SRC);
    expect(file.tensors.get('ids')!.dtype).toBe('I64');
    expect(() => toFloat32(file.tensors.get('ids')!)).toThrow(/tensor "ids" has dtype I64; toFloat32 converts only F32, F16, BF16 and F64/);
  });
});

describe('parseSafetensors rejects malformed files', () => {
  const T = 'h.0.attn.c_attn.weight';
  const entry = (dtype: string, shape: number[], begin: number, end: number): string =>
    `"${T}":{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

  it.each([
    ['a file shorter than 8 bytes', new Uint8Array([1, 2, 3]), /^model\.safetensors: file is 3 bytes, shorter than the 8-byte .* download it again$/],
    ['an empty file', new Uint8Array(0), /file is 0 bytes/],
    ['a header length beyond the file', raw('{}', [], 64), /header size field says 64 bytes but the file has only 2 after it; the file is truncated/],
    ['a header length over 100 MB', new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, ...ascii('{}')]), /header size field says 4294967296 bytes, over the 100000000-byte limit/],
    ['a header that is not UTF-8', new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe]), /header is not valid UTF-8/],
    ['a header that is not JSON', raw('{"a":'), /header is not valid JSON \(.*\); the file is corrupt/],
    ['a header that is a JSON array', raw('[1,2]'), /header JSON is not an object/],
    ['an unsupported dtype', raw(`{${entry('Q4_0', [2], 0, 2)}}`, [0, 0]), new RegExp(`tensor "${T}" has unsupported dtype "Q4_0"; supported: BOOL, .*F32.*— convert`)],
    ['a missing dtype', raw(`{"${T}":{"shape":[1],"data_offsets":[0,4]}}`, [0, 0, 0, 0]), /has unsupported dtype undefined/],
    ['a bad shape', raw(`{${entry('F32', [-1], 0, 4)}}`, [0, 0, 0, 0]), /has shape \[-1\]; it must be a list of non-negative integers/],
    ['malformed data_offsets', raw(`{"${T}":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, [0, 0, 0, 0]), /has data_offsets \[0\]; it must be \[begin, end\]/],
    ['data_offsets that end before they begin', raw(`{${entry('F32', [0], 4, 0)}}`, [0, 0, 0, 0]), /has data_offsets \[4, 0\] that end before they begin/],
    [
      'a size that disagrees with dtype and shape',
      raw(`{${entry('F32', [768, 576], 0, 1000)}}`, new Array(1000).fill(0)),
      new RegExp(`^model\\.safetensors: tensor "${T}" needs 1769472 bytes \\(F32 \\[768,576\\]\\) but its data_offsets span 1000; the file is truncated or corrupt — download it again$`),
    ],
    ['data_offsets past the end (truncated file)', raw(`{${entry('F32', [4], 0, 16)}}`, new Array(12).fill(0)), /tensor "h\.0\.attn\.c_attn\.weight" has data_offsets \[0, 16\] past the end of the data \(12 bytes\); the file is truncated/],
    [
      'overlapping data_offsets',
      raw(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},${entry('F32', [2], 4, 12)}}`, new Array(12).fill(0)),
      /tensor "h\.0\.attn\.c_attn\.weight" has data_offsets \[4, 12\] overlapping the previous tensor, which ends at 8/,
    ],
    ['a gap between tensors', raw(`{${entry('F32', [1], 4, 8)}}`, new Array(8).fill(0)), /tensor "h\.0\.attn\.c_attn\.weight" starts at 4, leaving a gap/],
    ['trailing bytes after the last tensor', raw(`{${entry('F32', [1], 0, 4)}}`, new Array(6).fill(0)), /the tensors cover 4 data bytes but the file has 6; the file has trailing bytes/],
    ['non-string metadata', raw('{"__metadata__":{"step":3}}'), /"__metadata__" value for "step" is 3, but the format allows only strings/],
  ])('%s', (_label, bytes, message) => {
    expect(() => parseSafetensors(bytes, SRC)).toThrow(message);
  });

  it('names the source in every error', () => {
    expect(() => parseSafetensors(new Uint8Array(2), 'https://example.test/gpt2/model.safetensors')).toThrow(/^https:\/\/example\.test\/gpt2\/model\.safetensors: /);
  });

  it('catches a real file cut short', () => {
    const good = serializeSafetensors([{ name: T, dtype: 'F32', shape: [3, 4], data: new Float32Array(12) }]);
    expect(() => parseSafetensors(good.subarray(0, good.length - 1), SRC)).toThrow(/past the end of the data \(47 bytes\)/);
    expect(() => parseSafetensors(good.subarray(0, 20), SRC)).toThrow(/header size field says/);
  });
});

describe('serializeSafetensors rejects bad input', () => {
  it.each([
    ['data that disagrees with the shape', [{ name: 'w', dtype: 'F32' as const, shape: [2, 3], data: new Float32Array(5) }], /tensor "w" has shape \[2,3\] \(6 values\) but 5 values of data/],
    ['a duplicate name', [{ name: 'w', dtype: 'F32' as const, shape: [1], data: new Float32Array(1) }, { name: 'w', dtype: 'F16' as const, shape: [1], data: new Float32Array(1) }], /tensor "w" appears twice/],
    ['the reserved name', [{ name: '__metadata__', dtype: 'F32' as const, shape: [1], data: new Float32Array(1) }], /must be non-empty and not "__metadata__"/],
    ['a fractional dim', [{ name: 'w', dtype: 'F32' as const, shape: [1.5], data: new Float32Array(1) }], /dims must be non-negative integers/],
  ])('%s', (_label, tensors, message) => {
    expect(() => serializeSafetensors(tensors)).toThrow(message);
  });
});

const PYTHON = '/usr/bin/python3';
const numpyCheck = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
const numpyMissing = numpyCheck.status !== 0 ? `${PYTHON} with numpy is not available (${numpyCheck.error?.message ?? numpyCheck.stderr.trim().split('\n').pop()})` : '';
if (numpyMissing) console.log(`safetensors.spec: skipping the Python reader test: ${numpyMissing}`);

describe('an independent Python reader', () => {
  it.skipIf(numpyMissing !== '')('reads our file: header JSON, 8-byte alignment, F32 and F16 values', () => {
    const a = new Float32Array([1, -2.5, 3.25, 1e-3, 6e4, -7]);
    const out = serializeSafetensors(
      [
        { name: 'a', dtype: 'F32', shape: [2, 3], data: a },
        { name: 'b', dtype: 'F16', shape: [3, 2], data: a },
      ],
      { format: 'pt' },
    );
    const dir = mkdtempSync(join(tmpdir(), 'fleettune-st-'));
    try {
      writeFileSync(join(dir, 'x.safetensors'), out);
      const script = [
        'import json, struct, sys, numpy as np',
        "b = open(sys.argv[1], 'rb').read()",
        "n = struct.unpack('<Q', b[:8])[0]",
        "h = json.loads(b[8:8 + n].decode('utf-8'))",
        'base = 8 + n',
        "dt = {'F32': '<f4', 'F16': '<f2'}",
        "res = {'n_mod_8': n % 8, 'meta': h.pop('__metadata__'), 'total': len(b)}",
        'for k, v in h.items():',
        "    s, e = v['data_offsets']",
        "    x = np.frombuffer(b[base + s: base + e], dtype=dt[v['dtype']]).reshape(v['shape'])",
        "    res[k] = {'shape': list(x.shape), 'values': x.astype(np.float64).ravel().tolist()}",
        'print(json.dumps(res))',
      ].join('\n');
      const run = spawnSync(PYTHON, ['-c', script, join(dir, 'x.safetensors')], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      const res = JSON.parse(run.stdout);
      expect(res.n_mod_8).toBe(0);
      expect(res.meta).toEqual({ format: 'pt' });
      expect(res.total).toBe(out.length);
      expect(res.a).toEqual({ shape: [2, 3], values: [...a] });
      expect(res.b.shape).toEqual([3, 2]);
      expect(res.b.values).toEqual([...float16BitsToFloat32(float32ToFloat16Bits(a))]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
