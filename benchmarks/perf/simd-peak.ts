// The most f32 multiply-adds per second WASM SIMD can do on this machine, one thread: a loop of
// independent f32x4 FMAs (relaxed_madd) with nothing else in it, no memory traffic. No matmul kernel
// can beat it, so `peak / OpenBLAS` is the highest ratio_1t any 128-bit WASM kernel could reach
// here (matmul.bench.ts reports it beside the measured one). Compiled from the AssemblyScript below
// with the project's compiler, the same way build-wasm.mjs builds the kernels.

// 12 accumulators: an FMA has 4 cycles of latency and x86 cores issue 2 a cycle, so 8 chains keep
// both FMA ports busy; 12 leaves slack and, with the two operands, fits V8's 16 xmm registers.
const CHAINS = 12;
const SOURCE = `
export function fmaLoop(iters: i32): f32 {
  const x = f32x4.splat(0.999999), y = f32x4.splat(0.000001);
${Array.from({ length: CHAINS }, (_, i) => `  let a${i} = f32x4.splat(${i + 1}.0);`).join('\n')}
  for (let i = 0; i < iters; i++) {
${Array.from({ length: CHAINS }, (_, i) => `    a${i} = f32x4.relaxed_madd(a${i}, x, y);`).join('\n')}
  }
  let s = a0;
${Array.from({ length: CHAINS - 1 }, (_, i) => `  s = f32x4.add(s, a${i + 1});`).join('\n')}
  return f32x4.extract_lane(s, 0);
}
`;

let compiled: Promise<(iters: number) => number> | null = null;

async function compile(): Promise<(iters: number) => number> {
  const { default: asc } = await import('assemblyscript/asc');
  const out = await asc.compileString(SOURCE, { optimizeLevel: 3, runtime: 'stub', noAssert: true, enable: ['simd', 'relaxed-simd'] });
  if (out.error || !out.binary) throw new Error(`simd-peak: compiling the FMA loop failed: ${out.error?.message}\n${out.stderr.toString()}`);
  const { instance } = await WebAssembly.instantiate(out.binary as Uint8Array<ArrayBuffer>);
  return instance.exports.fmaLoop as (iters: number) => number;
}

/** FLOPs of one loop iteration: CHAINS FMAs of 4 lanes, 2 FLOPs each. */
const FLOPS_PER_ITER = CHAINS * 4 * 2;

export interface SimdPeak {
  /** GFLOP/s of each timed run. */
  gflops: number[];
}

/**
 * Compiles the FMA loop (relaxed SIMD) and times `runs` runs of ~`ms` each. Runs as short as one
 * 512^3 matmul (a few ms) see the machine's load the way the matmuls they are compared with do.
 */
export async function measureSimdPeak(runs: number, ms = 5): Promise<SimdPeak> {
  const fmaLoop = await (compiled ??= compile());
  // size a run to ~ms from a short calibration (which also warms the loop up)
  let iters = 1 << 12;
  for (;;) {
    const t = performance.now();
    fmaLoop(iters);
    const took = performance.now() - t;
    if (took > ms / 4) {
      iters = Math.max(1, Math.round((iters * ms) / took));
      break;
    }
    iters *= 4;
  }
  const gflops: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const v = fmaLoop(iters);
    const took = performance.now() - t;
    if (!Number.isFinite(v)) throw new Error('simd-peak: the FMA loop produced a non-finite value');
    gflops.push((iters * FLOPS_PER_ITER) / took / 1e6);
  }
  return { gflops };
}
