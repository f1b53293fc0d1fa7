// Loading safetensors tensor by tensor from a file (ByteSource): the header is read and checked
// first, each tensor is read at its offsets and handed to the sharder piece by piece, so a sharded
// load never holds the file, and never more than the budget plus one tensor. Truncated files fail
// with the same messages as the in-memory parser; pieces convert exactly as whole tensors do.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { gpt2NameFromHf, gpt2NameToHf, gpt2Parameters, gpt2Trainable, initGpt2, type Gpt2Config } from '../../../device-agent/models/gpt2.js';
import { blobSource, bytesSource, fileSource, type ByteSource } from '../../../device-agent/io/byte-source.js';
import { parseSafetensors, readSafetensorsHeader, serializeSafetensors, toFloat32, toFloat32Into, type SafetensorsTensor } from '../../../device-agent/io/safetensors.js';
import { loadWeights, loadWeightsFrom, saveWeights, writeWeights } from '../../../device-agent/io/weights.js';
import { ParameterSharder } from '../../../device-agent/memory/parameter-sharder.js';
import { MemoryShardStore } from '../../../device-agent/memory/shard-store.js';
import { buildGpt2 } from '../../../device-agent/run-setup.js';
import { Rng } from '../../../device-agent/core/rng.js';
import { tape } from '../../../device-agent/core/autograd.js';
import { addLora } from '../../../device-agent/nn/lora.js';

const cfg: Gpt2Config = { vocabSize: 300, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2, layerNormEpsilon: 1e-5 };
const shardCfg = (budgetBytes: number) => ({ budgetBytes, fp16: false, rowChunk: 64, chunkAboveBytes: 4096, poisonEvicted: true });
let dir: string;
let file: string;
let fileBytes: Uint8Array;

beforeAll(async () => {
  await initCpuWasmBackend();
  dir = mkdtempSync(path.join(tmpdir(), 'fleettune-stream-'));
  const params = gpt2Parameters(cfg);
  initGpt2(params, cfg, 3);
  fileBytes = saveWeights(params, gpt2NameToHf);
  file = path.join(dir, 'model.safetensors');
  writeFileSync(file, fileBytes);
});

/** A file source that records every read it serves. */
async function recorded(f: string): Promise<{ src: ByteSource; reads: number[] }> {
  const inner = await fileSource(f);
  const reads: number[] = [];
  return { reads, src: { size: inner.size, read: (o, n) => (reads.push(n), inner.read(o, n)), close: () => inner.close() } };
}

describe('streaming safetensors load into a sharder', () => {
  it('reads tensor by tensor: at most one tensor besides the budget, and the same weights as loading the bytes', async () => {
    const params = gpt2Parameters(cfg, true);
    const budget = 12 * 1024;
    const sharder = new ParameterSharder(new MemoryShardStore(), shardCfg(budget));
    sharder.check(params.entries);
    const { src, reads } = await recorded(file);
    let mostResident = 0;
    const sink = {
      adoptFrom: (p: (typeof params.entries)[number], fill: (out: Float32Array, offset: number) => void) => {
        sharder.adoptFrom(p, fill);
        mostResident = Math.max(mostResident, params.entries.filter((q) => q.tensor.resident).length);
      },
    };
    const report = await loadWeightsFrom(params, src, file, gpt2NameFromHf, { sink });
    await src.close();
    expect(report.loaded).toBe(params.entries.length);
    const largest = Math.max(...params.entries.map((p) => p.tensor.size * 4));
    expect(Math.max(...reads)).toBe(largest); // never the whole file: one tensor at a time
    expect(reads.reduce((a, b) => a + b, 0)).toBe(fileBytes.length); // each byte once
    expect(mostResident).toBe(0); // each tensor went to the store before the next was read
    expect(sharder.getStats().peakResidentBytes).toBeLessThanOrEqual(budget);
    // the sharded weights, written out again piece by piece, are the file
    const out: Uint8Array[] = [];
    writeWeights(params, gpt2NameToHf, (b) => out.push(b.slice()));
    expect(Buffer.concat(out).equals(Buffer.from(fileBytes))).toBe(true);
    expect(sharder.getStats().peakResidentBytes).toBeLessThanOrEqual(budget);
  });

  it('buildGpt2 from a file source, sharded, trains like the model loaded from bytes', async () => {
    const open = async (params: Parameters<ParameterSharder['check']>[0]) => {
      const s = new ParameterSharder(new MemoryShardStore(), shardCfg(12 * 1024));
      s.check(params);
      return s;
    };
    const src = await fileSource(file);
    const a = await buildGpt2(cfg, { kind: 'safetensors-source', src, source: file }, open);
    await src.close();
    const b = await buildGpt2(cfg, { kind: 'safetensors', bytes: fileBytes, source: file });
    const losses = (m: typeof a.model) => {
      addLora(m, cfg.nLayer, { r: 2, alpha: 4, dropout: 0, targets: ['attn.c_attn'] }, 1);
      m.recompute = true;
      const rng = new Rng(2);
      const out: number[] = [];
      for (let s = 0; s < 2; s++) {
        const tokens = Int32Array.from({ length: 2 * 9 }, () => rng.int(cfg.vocabSize));
        const loss = gpt2Trainable(m).loss(tokens, 2, 8);
        out.push(loss.item());
        tape.backward(loss);
      }
      return out;
    };
    expect(a.sharder).not.toBeNull();
    expect(losses(a.model)).toEqual(losses(b.model));
  });

  it('fails on a truncated file with the same message as the in-memory parser, before reading tensors', async () => {
    for (const cut of [5, 20, fileBytes.length - 100, fileBytes.length - 1]) {
      const f = path.join(dir, `cut-${cut}.safetensors`);
      writeFileSync(f, fileBytes.subarray(0, cut));
      let expected = '';
      try {
        parseSafetensors(fileBytes.subarray(0, cut), f);
      } catch (e) {
        expected = (e as Error).message;
      }
      expect(expected).toMatch(/truncated/);
      const { src, reads } = await recorded(f);
      await expect(loadWeightsFrom(gpt2Parameters(cfg), src, f, gpt2NameFromHf)).rejects.toThrow(expected);
      expect(reads.length).toBeLessThanOrEqual(2); // the size field and the header, no tensor
      await src.close();
    }
  });

  it('a file cut while it is being read fails clearly', async () => {
    const f = path.join(dir, 'shrinking.safetensors');
    writeFileSync(f, fileBytes);
    const src = await fileSource(f);
    await readSafetensorsHeader(src, f);
    truncateSync(f, fileBytes.length - 64);
    await expect(loadWeightsFrom(gpt2Parameters(cfg), src, f, gpt2NameFromHf)).rejects.toThrow(/truncated while reading — download it again/);
    await src.close();
    await expect(fileSource(path.join(dir, 'missing.safetensors'))).rejects.toThrow(/cannot open the file .*check the path/);
  });

  it('bytes, Blob and file sources give the same weights as loadWeights', async () => {
    const expected = gpt2Parameters(cfg);
    loadWeights(expected, fileBytes, file, gpt2NameFromHf);
    for (const src of [bytesSource(fileBytes), blobSource(new Blob([new Uint8Array(fileBytes)])), await fileSource(file)]) {
      const params = gpt2Parameters(cfg);
      await loadWeightsFrom(params, src, file, gpt2NameFromHf);
      expect(params.entries.map((p) => p.tensor.data)).toEqual(expected.entries.map((p) => p.tensor.data));
      await src.close();
      await expect(src.read(fileBytes.length - 4, 8)).rejects.toThrow(/outside the .*-byte file/);
    }
  });
});

describe('toFloat32Into', () => {
  it('converts any piece exactly as toFloat32 converts the whole tensor, aligned or not', () => {
    const values = Float32Array.from({ length: 37 }, (_, i) => (i - 18) * 0.37 + 1e-3 * i * i);
    const file = serializeSafetensors([{ name: 'a', dtype: 'F32', shape: [37], data: values }, { name: 'h', dtype: 'F16', shape: [37], data: values }]);
    const extra = (dtype: 'BF16' | 'F64', bytes: Uint8Array): SafetensorsTensor => ({ name: dtype, dtype, shape: [37], data: bytes });
    const bf = new Uint16Array(new Uint32Array(values.buffer).map((x) => x >>> 16));
    const f64 = Float64Array.from(values);
    const shifted = (b: Uint8Array) => new Uint8Array([0, ...b]).subarray(1); // odd byte offset
    const parsed = parseSafetensors(file, 'x');
    const tensors = [parsed.tensors.get('a')!, parsed.tensors.get('h')!, extra('BF16', new Uint8Array(bf.buffer)), extra('F64', new Uint8Array(f64.buffer))];
    for (const t of [...tensors, ...tensors.map((t) => ({ ...t, data: shifted(t.data) }))]) {
      const whole = toFloat32(t);
      for (const [start, n] of [[0, 37], [5, 10], [36, 1], [0, 0]]) {
        const out = new Float32Array(n);
        toFloat32Into(t, out, start);
        expect(out).toEqual(whole.subarray(start, start + n));
      }
      expect(() => toFloat32Into(t, new Float32Array(5), 35)).toThrow(/outside its 37/);
    }
  });
});

describe('writeWeights', () => {
  it('writes the same bytes as saveWeights, piece by piece', () => {
    expect(readFileSync(file).equals(Buffer.from(fileBytes))).toBe(true);
    const params = gpt2Parameters(cfg);
    loadWeights(params, fileBytes, file, gpt2NameFromHf);
    const pieces: Uint8Array[] = [];
    const size = writeWeights(params, gpt2NameToHf, (b) => pieces.push(b.slice()), undefined, 'F16');
    const whole = saveWeights(params, gpt2NameToHf, undefined, 'F16');
    expect(size).toBe(whole.length);
    expect(Buffer.concat(pieces).equals(Buffer.from(whole))).toBe(true);
  });
});
