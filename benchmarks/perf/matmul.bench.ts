// Matmul throughput of the cpu-wasm kernel (WASM SIMD, one thread) at 512^3 in all four transpose
// combinations, with a plain-JS triple loop as the peer in the same run. Not a test: it checks each
// variant against the peer once, then warms up and prints median and min-max GFLOP/s over RUNS.
// Run: npm run build:wasm && npx tsx benchmarks/perf/matmul.bench.ts [M N K]
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { Rng } from '../../device-agent/core/rng.js';
import { loadWasmKernels } from '../../device-agent/backends/cpu-wasm/wasm-kernels.js';

const [M, N, K] = process.argv.length >= 5 ? process.argv.slice(2, 5).map(Number) : [512, 512, 512];
const RUNS = 15;
const WARMUP = 3;

// Plain-JS peer: i-k-j order when B's rows are contiguous, dot products when B is transposed.
function jsMatmul(a: Float32Array, b: Float32Array, c: Float32Array, transA: boolean, transB: boolean): void {
  // op(A)(i, k) = a[i * sI + k * sK]
  const sI = transA ? 1 : K, sK = transA ? M : 1;
  for (let i = 0; i < M; i++) {
    const row = i * N;
    if (transB) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[i * sI + k * sK] * b[j * K + k];
        c[row + j] = s;
      }
    } else {
      c.fill(0, row, row + N);
      for (let k = 0; k < K; k++) {
        const aik = a[i * sI + k * sK], brow = k * N;
        for (let j = 0; j < N; j++) c[row + j] += aik * b[brow + j];
      }
    }
  }
}

function time(fn: () => void, runs: number, warmup: number): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return ms;
}

function summary(ms: number[]): string {
  const gf = ms.map((t) => (2 * M * N * K) / t / 1e6).sort((x, y) => x - y);
  return `${gf[gf.length >> 1].toFixed(1)} GFLOP/s (min ${gf[0].toFixed(1)}, max ${gf[gf.length - 1].toFixed(1)})`;
}

let commit = 'unknown';
try { commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { /* not a checkout */ }
console.log(`matmul ${M}x${N}x${K} f32 | device: ${cpus()[0]?.model ?? 'unknown'} | node ${process.version} | commit ${commit}`);

const kernels = await loadWasmKernels();
const rng = new Rng(1);
const a = new Float32Array(M * K), b = new Float32Array(K * N);
rng.fillUniform(a, -1, 1);
rng.fillUniform(b, -1, 1);
const c = new Float32Array(M * N), ref = new Float32Array(M * N);

for (const transA of [false, true]) {
  for (const transB of [false, true]) {
    const name = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
    jsMatmul(a, b, ref, transA, transB);
    kernels.matmul(a, b, c, M, N, K, transA, transB, false);
    let err = 0;
    for (let i = 0; i < M * N; i++) err = Math.max(err, Math.abs(c[i] - ref[i]));
    if (err > 1e-5 * K) throw new Error(`cpu-wasm ${name} disagrees with the JS peer: max abs diff ${err}`);
    console.log(`cpu-wasm ${name}: ${summary(time(() => kernels.matmul(a, b, c, M, N, K, transA, transB, false), RUNS, WARMUP))}`);
    console.log(`js       ${name}: ${summary(time(() => jsMatmul(a, b, ref, transA, transB), 3, 1))}`);
  }
}
