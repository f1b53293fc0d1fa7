// Parameter sharding and activation recomputation on a tiny GPT-2: with fp32 storage and any
// budget the training is bit-identical to the unsharded run, the resident bytes never exceed the
// budget, fp16 storage stays close, and a budget too small is refused with the minimum.
import { beforeAll, describe, expect, it } from 'vitest';
import { cfg, model, shardCfg, trainRun } from './lora-train-fixture.js';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { gpt2Loss, gpt2Parameters, initGpt2, type Gpt2 } from '../../../device-agent/models/gpt2.js';
import { addLora, type LoraTarget } from '../../../device-agent/nn/lora.js';
import { Tensor } from '../../../device-agent/core/tensor.js';
import { tape } from '../../../device-agent/core/autograd.js';
import { ParameterSharder } from '../../../device-agent/memory/parameter-sharder.js';
import { FsShardStore, MemoryShardStore } from '../../../device-agent/memory/shard-store.js';


const frozen = (m: Gpt2) => m.params.entries.filter((p) => !p.tensor.requiresGrad);

beforeAll(() => initCpuWasmBackend());

describe('activation recomputation', () => {
  it('gives bit-identical losses and adapters, with and without dropout', () => {
    for (const dropout of [0, 0.2]) {
      expect(trainRun(model({ recompute: true, dropout }), 4)).toEqual(trainRun(model({ dropout }), 4));
    }
  });

  it('is bit-identical with the MLP frozen, where the replay skips the GELU output too', () => {
    const targets: LoraTarget[] = ['attn.c_attn', 'attn.c_proj'];
    expect(trainRun(model({ recompute: true, targets }), 3)).toEqual(trainRun(model({ targets }), 3));
  });
});

describe('ParameterSharder', () => {
  it('fp32 storage: bit-identical training under a budget that forces evictions, never over budget', () => {
    const reference = trainRun(model(), 4);
    const m = model({ recompute: true });
    const budget = 8 * 1024; // a few weight blocks of this tiny model
    const sharder = new ParameterSharder(new MemoryShardStore(), shardCfg(budget));
    sharder.shard(frozen(m));
    expect(m.params.tensor('h.0.mlp.c_fc.weight').resident).toBe(false);
    expect(trainRun(m, 4)).toEqual(reference);
    const stats = sharder.getStats();
    expect(stats.evictions).toBeGreaterThan(0);
    expect(stats.peakResidentBytes).toBeLessThanOrEqual(budget);
    expect(stats.reads).toBeGreaterThan(stats.writes); // weights came back from the store, repeatedly
  });

  it('offloads checkpointed block inputs to the store until backward: bit-identical, and they leave memory', () => {
    const reference = trainRun(model(), 3);
    const m = model({ recompute: true });
    const store = new MemoryShardStore();
    const sharder = new ParameterSharder(store, shardCfg(8 * 1024));
    sharder.shard(frozen(m));
    expect(sharder.offloadsActivations).toBe(true);
    const offloaded: Tensor[] = [];
    m.activations = {
      offload: (key, t) => {
        sharder.offloadActivation(key, t);
        offloaded.push(t);
        expect(t.resident).toBe(false); // gone from memory right away, read back in backward
      },
      save: (key, v) => sharder.saveActivation(key, v),
      load: (key, n) => sharder.loadActivation(key, n),
    };
    expect(trainRun(m, 3)).toEqual(reference);
    expect(offloaded.length).toBe(3 * cfg.nLayer); // every block's input, every step
    tape.noGrad(() => gpt2Loss(m, Int32Array.from({ length: 2 * 9 }, (_, i) => i % cfg.vocabSize), 2, 8)); // no backward coming: nothing offloaded
    expect(offloaded.length).toBe(3 * cfg.nLayer);
  });

  it('replays blocks from the saved outputs of c_attn, attn.c_proj and c_fc: bit-identical, with and without dropout', () => {
    for (const dropout of [0, 0.2]) {
      for (const targets of [undefined, ['attn.c_attn', 'attn.c_proj'] as LoraTarget[]]) {
        const reference = trainRun(model({ dropout, targets }), 3);
        const m = model({ recompute: true, dropout, targets });
        const sharder = new ParameterSharder(new MemoryShardStore(), shardCfg(8 * 1024));
        sharder.shard(frozen(m));
        const saved: string[] = [];
        const loaded: string[] = [];
        m.activations = {
          offload: (key, t) => sharder.offloadActivation(key, t),
          save: (key, v) => (saved.push(key), sharder.saveActivation(key, v)),
          load: (key, n) => (loaded.push(key), sharder.loadActivation(key, n)),
        };
        expect(trainRun(m, 3)).toEqual(reference);
        expect(saved.length).toBe(3 * cfg.nLayer * 3); // three linears a block, every step
        expect([...loaded].sort()).toEqual([...saved].sort()); // each saved output loaded once, by its replay
        expect(new Set(loaded)).toEqual(new Set(['attn.c_attn', 'attn.c_proj', 'mlp.c_fc'].flatMap((n) => Array.from({ length: cfg.nLayer }, (_, i) => `h.${i}.${n}`))));
        expect(() => sharder.loadActivation('h.0.nothing', 4)).toThrow();
      }
    }
  });

  it('loads a replay\'s activations into the budget in place of weights, pinned until released, and bit-identical', () => {
    const reference = trainRun(model(), 3);
    const m = model({ recompute: true });
    const budget = 32 * 1024; // a block's activations and the minimum for weights, less than all weights
    const sharder = new ParameterSharder(new MemoryShardStore(), shardCfg(budget));
    sharder.shard(frozen(m));
    let maxLoaded = 0;
    const views: Float32Array[] = [];
    const inputs: { t: Tensor; values: Float32Array }[] = [];
    m.activations = {
      offload: (key, t) => {
        inputs.push({ t, values: t.data.slice() });
        sharder.offloadActivation(key, t);
      },
      save: (key, v) => sharder.saveActivation(key, v),
      load: (key, n) => {
        const v = sharder.loadActivation(key, n);
        views.push(v);
        return v;
      },
      release: (keep) => {
        sharder.releaseActivations(keep);
        maxLoaded = Math.max(maxLoaded, sharder.getStats().residentBytes);
      },
    };
    expect(trainRun(m, 3)).toEqual(reference); // released memory reads NaN: a view used too long would show
    const s = sharder.getStats();
    expect(s.peakResidentBytes).toBeLessThanOrEqual(budget);
    expect(s.evictions).toBeGreaterThan(0);
    const arena = views[0].buffer;
    expect(views.every((v) => v.buffer === arena)).toBe(true); // all in the budget's arena
    // a key saved again is read again, never served from its last loaded values
    const key = 'h.0.attn.c_attn';
    const n = views[0].length;
    sharder.saveActivation(key, new Float32Array(n).fill(1));
    expect(sharder.loadActivation(key, n)[0]).toBe(1);
    sharder.saveActivation(key, new Float32Array(n).fill(2));
    expect(sharder.loadActivation(key, n)[0]).toBe(2);
    sharder.releaseActivations();
    expect(sharder.getStats().residentBytes).toBeLessThanOrEqual(maxLoaded);
    // block inputs read back in backward forget their released memory; the last step's read again from the store
    expect(inputs.every(({ t }) => !t.resident)).toBe(true);
    const last = inputs.slice(-cfg.nLayer);
    for (const { t, values } of last) expect(t.data).toEqual(values);
  });

  it('does not offload activations where the store cannot take new keys (OPFS opens its files up front)', () => {
    const store = Object.assign(new MemoryShardStore(), { newKeys: false });
    const sharder = new ParameterSharder(store, shardCfg(1 << 20));
    expect(sharder.offloadsActivations).toBe(false);
    expect(() => sharder.offloadActivation('h.0.input', new Tensor([2, 2]))).toThrow(/cannot take activations/);
  });

  it('row-chunks the token embedding (the LM head and the lookup read rows)', () => {
    const m = model();
    const sharder = new ParameterSharder(new MemoryShardStore(), shardCfg(1 << 20));
    sharder.shard(frozen(m));
    const wte = m.params.tensor('wte.weight');
    expect(wte.rowSource).not.toBeNull();
    expect(() => wte.data).toThrow(/read it through its rows/);
    expect(trainRun(m, 2)).toEqual(trainRun(model(), 2));
  });

  it('fp16 storage: close to fp32 (the rounding error the memory benchmark reports)', () => {
    const reference = trainRun(model(), 3);
    const m = model();
    new ParameterSharder(new MemoryShardStore(), shardCfg(1 << 20, { fp16: true })).shard(frozen(m));
    const got = trainRun(m, 3);
    got.losses.forEach((l, i) => expect(Math.abs(l - reference.losses[i])).toBeLessThan(1e-2));
    expect(got.losses).not.toEqual(reference.losses);
  });

  it('refuses a budget that cannot hold one step, naming the minimum, before moving anything', () => {
    const m = model();
    const sharder = new ParameterSharder(new MemoryShardStore(), shardCfg(1000));
    expect(() => sharder.shard(frozen(m))).toThrow(/--shard_budget_mb 0 is too small: one step needs at least 0\.1 MB resident/);
    expect(m.params.tensor('h.0.mlp.c_fc.weight').resident).toBe(true);
  });

  it('stores parameters that train whole and fp32 (frozen ones in fp16 row chunks), so write-backs never round them', () => {
    const m = model();
    const trains = (name: string) => name === 'wte.weight' || name === 'h.0.mlp.c_fc.weight';
    const config = shardCfg(1 << 20, { fp16: true, trains: (p) => trains(p.name) });
    expect(ParameterSharder.plan(frozen(m), config)).toEqual(expect.arrayContaining(['wte.weight', 'wte.weight@grad', 'wte.weight@m#0', 'h.1.mlp.c_fc.weight', 'wpe.weight']));
    const sharder = new ParameterSharder(new MemoryShardStore(), config);
    sharder.shard(frozen(m));
    const w = m.params.tensor('h.0.mlp.c_fc.weight');
    const f = m.params.tensor('h.1.mlp.c_fc.weight');
    const exact = 0.1 + 2 ** -20; // not a float16 value
    w.mutableData()[0] = exact;
    expect(() => f.mutableData()).toThrow(/stored fp16 as a frozen weight, so changing it would round it/);
    sharder.evictAll();
    expect(w.resident).toBe(false);
    expect(w.data[0]).toBe(Math.fround(exact)); // written back fp32 before its buffer was dropped
    expect(m.params.tensor('wte.weight').rowSource).toBeNull(); // a trainable embedding is read whole
  });

  it('the file-system store round-trips through files and removes them on close', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleettune-shards-'));
    const store = await FsShardStore.open(dir);
    const m = model();
    const sharder = new ParameterSharder(store, shardCfg(8 * 1024));
    sharder.shard(frozen(m));
    expect(readdirSync(dir)).toHaveLength(1);
    expect(readdirSync(path.join(dir, readdirSync(dir)[0])).length).toBeGreaterThan(10);
    expect(trainRun(m, 2)).toEqual(trainRun(model(), 2));
    sharder.close();
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('a lazy model sharded while it is initialised never holds all weights, and trains identically', () => {
    const params = gpt2Parameters(cfg, true);
    expect(params.entries.every((p) => !p.tensor.resident)).toBe(true);
    const sharder = new ParameterSharder(new MemoryShardStore(), shardCfg(8 * 1024));
    sharder.check(params.entries);
    let residentMax = 0;
    initGpt2(params, cfg, 5, {
      adoptFrom: (p, fill) => {
        sharder.adoptFrom(p, fill);
        residentMax = Math.max(residentMax, params.entries.filter((q) => q.tensor.resident).length);
      },
    });
    expect(residentMax).toBe(0); // each tensor was stored and dropped before the next one was made
    params.setTrainable(() => false);
    const m: Gpt2 = { config: cfg, params, lora: null, recompute: true };
    addLora(m, cfg.nLayer, { r: 4, alpha: 8, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] }, 9);
    expect(trainRun(m, 3)).toEqual(trainRun(model(), 3));
  });

  it('pinned activations leave the minimum to the weights even when only a probe checked the budget (as a job does)', () => {
    const reference = trainRun(model(), 4);
    for (const budget of [8 * 1024, 12 * 1024, 16 * 1024, 24 * 1024]) {
      const params = gpt2Parameters(cfg, true);
      new ParameterSharder(new MemoryShardStore(), shardCfg(budget)).check(params.entries); // run-setup's openSharder
      const sharder = new ParameterSharder(new MemoryShardStore(), shardCfg(budget)); // never check()ed itself
      initGpt2(params, cfg, 5, sharder);
      params.setTrainable(() => false);
      const m: Gpt2 = { config: cfg, params, lora: null, recompute: true };
      addLora(m, cfg.nLayer, { r: 4, alpha: 8, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] }, 9);
      m.activations = {
        offload: (key, t) => sharder.offloadActivation(key, t),
        save: (key, v) => sharder.saveActivation(key, v),
        load: (key, n) => sharder.loadActivation(key, n),
        release: (keep) => sharder.releaseActivations(keep),
      };
      // evicted memory reads NaN (shardCfg): an operand evicted while in use would change the losses
      expect(trainRun(m, 4)).toEqual(reference);
      expect(sharder.getStats().peakResidentBytes).toBeLessThanOrEqual(budget);
    }
  });
});
