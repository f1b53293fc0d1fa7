// Loading the cpu-wasm kernels: the relaxed-SIMD probe, the choice between the four builds, every
// silent fallback (no relaxed SIMD, no SharedArrayBuffer, no worker script, module bytes), the
// missing-build message, and the worker pool under many back-to-back jobs. Numerics: matmul.spec.ts.
// Needs build/*.wasm (`npm test` builds them; else run `npm run build:wasm`).
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../device-agent/core/rng';
import { loadWasmKernels } from '../../../device-agent/backends/cpu-wasm/wasm-kernels';
import { canUseThreads, relaxedSimdSupported } from '../../../device-agent/backends/cpu-wasm/wasm-features';

const buildDir = new URL('../../../device-agent/backends/cpu-wasm/build/', import.meta.url);
if (!relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd'); // see matmul.spec.ts
const RELAXED = relaxedSimdSupported();
const nodeMajor = Number(process.versions.node.split('.')[0]);

function randn(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n);
  rng.fillNormal(x, 1);
  return x;
}

describe('feature detection', () => {
  it('the relaxed-SIMD probe agrees with validating the relaxed build', async () => {
    const bytes = await readFile(new URL('kernels-relaxed.wasm', buildDir));
    expect(relaxedSimdSupported()).toBe(WebAssembly.validate(bytes));
    expect(WebAssembly.validate(await readFile(new URL('kernels.wasm', buildDir)))).toBe(true);
  });

  it('Node can run threads', () => {
    expect(canUseThreads()).toBeNull();
  });
});

describe('loadWasmKernels', () => {
  it.skipIf(!RELAXED)('loads the FMA build with threads by default, and says so', async () => {
    const k = await loadWasmKernels(undefined, { threads: 2 });
    expect(k.variant).toBe('relaxed-simd');
    expect(k.threads).toBe(2);
    expect(k.notes).toEqual([]);
    k.dispose();
  });

  it('defaults to the cores available', async () => {
    const { availableParallelism } = await import('node:os');
    const k = await loadWasmKernels();
    expect(k.threads).toBe(availableParallelism());
    k.dispose();
  });

  it('relaxedSimd: false loads the plain SIMD build', async () => {
    const k = await loadWasmKernels(undefined, { relaxedSimd: false, threads: 1 });
    expect(k.variant).toBe('simd');
    k.dispose();
  });

  it('sharedMemory: false (as without SharedArrayBuffer) falls back to one thread without error', async () => {
    const k = await loadWasmKernels(undefined, { threads: 3, sharedMemory: false });
    expect(k.threads).toBe(1);
    expect(k.memory.buffer).toBeInstanceOf(ArrayBuffer); // the private-memory build
    expect(k.notes.join(' ')).toMatch(/single thread: shared memory disabled/);
    const c = new Float32Array(4);
    k.matmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), c, 2, 2, 2, false, false, false);
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
  });

  it('a worker script that cannot load falls back to one thread without error', async () => {
    const k = await loadWasmKernels(undefined, { threads: 2, workerUrl: new URL('file:///nonexistent/fleettune/kernel-worker.js') });
    expect(k.threads).toBe(1);
    expect(k.notes.join(' ')).toMatch(/single thread: kernel workers did not start/);
    const c = new Float32Array(1);
    k.matmul(Float32Array.of(3), Float32Array.of(4), c, 1, 1, 1, false, false, false);
    expect(c[0]).toBe(12);
  });

  it('finds the builds and the worker script next to a kernels.wasm path, or loads what is there', async () => {
    const { mkdtemp, copyFile, readdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'fleettune-wasm-'));
    try {
      // Only the plain build (an agent bundle that ships just kernels.wasm): plain SIMD, one thread.
      await copyFile(new URL('kernels.wasm', buildDir), path.join(dir, 'kernels.wasm'));
      const alone = await loadWasmKernels(path.join(dir, 'kernels.wasm'), { threads: 2 });
      expect(alone.variant).toBe('simd');
      expect(alone.threads).toBe(1);
      expect(alone.notes.join(' ')).toMatch(/shared-memory build not found/);
      // The whole build/ directory moved elsewhere: every variant and the workers come along.
      for (const f of await readdir(buildDir)) await copyFile(new URL(f, buildDir), path.join(dir, f));
      const all = await loadWasmKernels(path.join(dir, 'kernels.wasm'), { threads: 2 });
      expect(all.variant).toBe(RELAXED ? 'relaxed-simd' : 'simd');
      expect(all.threads, all.notes.join('; ')).toBe(2);
      all.dispose();
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('accepts the module bytes directly (one thread) and reports their build', async () => {
    for (const [file, variant] of [['kernels.wasm', 'simd'], ...(RELAXED ? [['kernels-relaxed.wasm', 'relaxed-simd']] : [])]) {
      const k = await loadWasmKernels(await readFile(new URL(file, buildDir)), { threads: 2 });
      expect(k.variant).toBe(variant);
      expect(k.threads).toBe(1);
      const c = new Float32Array(1);
      k.matmul(Float32Array.of(3), Float32Array.of(4), c, 1, 1, 1, false, false, false);
      expect(c[0]).toBe(12);
    }
  });

  it('says to run the build when the .wasm is missing', async () => {
    await expect(loadWasmKernels('/nonexistent/fleettune/kernels.wasm')).rejects.toThrow(/run `npm run build:wasm`/);
    await expect(loadWasmKernels(new URL('file:///nonexistent/fleettune/kernels.wasm'))).rejects.toThrow(/run `npm run build:wasm`/);
  });

  // An engine without the features, in a child process: Node 20 without the relaxed-SIMD flag, and
  // no SharedArrayBuffer global (as on a page that is not cross-origin isolated). V8's
  // --no-harmony-sharedarraybuffer would be closer, but tsx's own loader needs the global.
  it.skipIf(nodeMajor >= 22)('in an engine without relaxed SIMD or SharedArrayBuffer, loads plain SIMD on one thread', () => {
    const script = `
      delete globalThis.SharedArrayBuffer;
      const { loadWasmKernels } = await import(${JSON.stringify(new URL('../../../device-agent/backends/cpu-wasm/wasm-kernels.ts', import.meta.url).href)});
      const k = await loadWasmKernels(undefined, { threads: 2 });
      const c = new Float32Array(1);
      k.matmul(Float32Array.of(3), Float32Array.of(4), c, 1, 1, 1, false, false, false);
      console.log(JSON.stringify({ variant: k.variant, threads: k.threads, notes: k.notes, c: c[0] }));`;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8', timeout: 60_000, cwd: new URL('../../../', import.meta.url).pathname,
    });
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!);
    expect(out).toMatchObject({ variant: 'simd', threads: 1, c: 12 });
    expect(out.notes.join(' ')).toMatch(/relaxed SIMD unavailable.*SharedArrayBuffer unavailable/);
  });
});

describe('KernelPool', () => {
  it('many back-to-back jobs of every shape and split give exactly the single-thread results', async () => {
    const one = await loadWasmKernels(undefined, { threads: 1 });
    const three = await loadWasmKernels(undefined, { threads: 3, parallelMin: 0 });
    expect(three.threads).toBe(3);
    const rng = new Rng(7);
    for (let t = 0; t < 300; t++) {
      const M = 1 + rng.int(40), N = 1 + rng.int(70), K = 1 + rng.int(50);
      const transA = rng.int(2) === 1, transB = rng.int(2) === 1, accumulate = rng.int(2) === 1;
      const a = randn(rng, M * K), b = randn(rng, K * N), c0 = randn(rng, M * N);
      const c1 = c0.slice(), c3 = c0.slice();
      one.matmul(a, b, c1, M, N, K, transA, transB, accumulate);
      three.matmul(a, b, c3, M, N, K, transA, transB, accumulate);
      expect(c3, `${M}x${N}x${K} ${transA} ${transB} ${accumulate}`).toEqual(c1);
    }
    one.dispose();
    three.dispose();
  });

  it('after dispose, matmul runs on the calling thread', async () => {
    const k = await loadWasmKernels(undefined, { threads: 2, parallelMin: 0 });
    k.dispose();
    expect(k.threads).toBe(1);
    const c = new Float32Array(4);
    k.matmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), c, 2, 2, 2, false, false, false);
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
  });
});
