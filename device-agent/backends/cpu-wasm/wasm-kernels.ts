// JS side of the cpu-wasm kernels: picks and loads one of the four modules build-wasm.mjs makes
// (relaxed SIMD if the engine has it, shared memory + a worker pool if threads are possible), owns
// its linear memory and runs kernels on operands it copies into that memory (matmul here; the other
// ops in wasm-ops.ts through the arena and job API below). Runs in Node and in browsers (node:* is
// only imported dynamically). Not an op registry or a tensor type: tensors still live in JS arrays,
// so every call copies its operands in and its result out.
// Memory contract (README.md): the module imports env.memory; bytes below arenaBase() are the
// module's static data; from arenaBase() this class lays out the job record, one packing scratch per
// thread, then the operands of the current call (the arena).
import { JOB, JOB_BYTES, KernelPool, OP, SPIN_MS, type JobFill } from './kernel-pool.js';
import { canUseThreads, defaultThreads, relaxedSimdSupported } from './wasm-features.js';

const PAGE_BYTES = 65536;
const MAX_PAGES = 65536; // 4 GiB: the wasm32 limit
const ALIGN = 64; // operands start on cache lines
// Below this many multiply-adds (M*N*K) a matmul runs on the calling thread only: at 96^3 two
// threads only broke even with one (waking a worker, repacking per chunk), at 128x128x64 they won
// by ~1.3x (README).
const PARALLEL_MIN_MNK = 128 * 128 * 64;
// Chunks per thread: > 1 lets a thread that woke late or runs on a slower core take less of the
// work; each chunk repacks all of one operand, so not many more (README).
const CHUNKS_PER_THREAD = 2;
// Below about this many elements touched, the other kernels stay on the calling thread: waking the
// workers costs tens of microseconds, which a GELU over 32K floats does not make up for.
const PARALLEL_MIN_WORK = 1 << 15;
// Operand B of matmul() larger than this goes through WASM memory in panels along K (see matmul).
const PANEL_BYTES = 4 * 2 ** 20;
// The kernel's K block (KC in assembly/matmul.ts): panels split K at its multiples.
const K_BLOCK = 256;

export type WasmVariant = 'simd' | 'relaxed-simd';

export interface WasmKernelOptions {
  /** Threads per matmul including the caller; default: the cores available. 1 = no workers. */
  threads?: number;
  /** false forces the plain-SIMD build; default: relaxed SIMD (FMA) where the engine validates it. */
  relaxedSimd?: boolean;
  /** false acts as if SharedArrayBuffer were missing (single thread, private memory). */
  sharedMemory?: boolean;
  /** Where kernel-worker.js is; default: next to kernels.wasm (build-wasm.mjs copies it there). */
  workerUrl?: URL | string;
  /** M*N*K below which a matmul stays on the calling thread; default PARALLEL_MIN_MNK (measured). */
  parallelMin?: number;
  /** How long idle threads poll for work before they sleep, in ms (default SPIN_MS; 0 saves power). */
  spinMs?: number;
  /** matmul's operand B above this many bytes is copied in K panels of about this size (default 4 MiB). */
  panelBytes?: number;
}

interface KernelExports {
  arenaBase(): number;
  scratchBytes(): number;
  matmul(a: number, b: number, c: number, M: number, N: number, K: number, lda: number, ldb: number, ldc: number, transA: number, transB: number, accumulate: number, scratch: number): void;
  kernelJob(job: number, scratch: number, gen: number): void;
  kernelRun(job: number, scratch: number): void;
  buildFeatures(): number;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const missingBuild = (where: string) =>
  new Error(`WASM kernels not found at ${where}: run \`npm run build:wasm\` to build them`);

async function readBytes(url: URL | string): Promise<Uint8Array> {
  const isFile = url instanceof URL ? url.protocol === 'file:' : !/^(https?|blob|data):/.test(url);
  if (isNode && isFile) {
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(typeof url === 'string' && url.startsWith('file:') ? new URL(url) : url);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missingBuild(String(url));
      throw err;
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw res.status === 404 ? missingBuild(String(url)) : new Error(`loading WASM kernels from ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

// The build's file names (build-wasm.mjs): a source ending in kernels.wasm finds its siblings.
function sibling(base: URL | string, file: string): URL | string | null {
  if (base instanceof URL) return /kernels\.wasm$/.test(base.pathname) ? new URL(file, base) : null;
  return /kernels\.wasm$/.test(base) ? base.replace(/kernels\.wasm$/, file) : null;
}
const variantUrl = (base: URL | string, relaxed: boolean, shared: boolean) =>
  sibling(base, `kernels${relaxed ? '-relaxed' : ''}${shared ? '-shared' : ''}.wasm`);

// Tries the wanted variant first, then drops relaxed SIMD, then shared memory. A missing sibling
// (an agent bundle that only ships kernels.wasm) is a fallback, not an error; a missing base is.
async function loadModule(base: URL | string, relaxed: boolean, shared: boolean): Promise<{ module: WebAssembly.Module; relaxed: boolean; shared: boolean }> {
  const tries = [[relaxed, shared], [false, shared], [relaxed, false], [false, false]].filter(([r, s], i, all) =>
    (!r || relaxed) && (!s || shared) && all.findIndex(([r2, s2]) => r2 === r && s2 === s) === i);
  for (const [r, s] of tries) {
    const url = r || s ? variantUrl(base, r, s) : base;
    if (url === null) continue;
    let bytes: Uint8Array;
    try { bytes = await readBytes(url); } catch (err) { if (!r && !s) throw err; continue; }
    // The cast picks the (bytes) overload; lib.dom types BufferSource as ArrayBuffer-backed only.
    return { module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), relaxed: r, shared: s };
  }
  throw missingBuild(String(base));
}

function newMemory(shared: boolean): WebAssembly.Memory | null {
  if (!shared) return new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
  // A shared memory reserves its maximum up front; 32-bit browsers may refuse 4 GiB.
  for (const maximum of [MAX_PAGES, MAX_PAGES / 4, MAX_PAGES / 16]) {
    try { return new WebAssembly.Memory({ initial: 1, maximum, shared: true }); } catch { /* try smaller */ }
  }
  return null;
}

/**
 * Loads the kernels. source: the plain build's kernels.wasm (URL or path; its siblings
 * kernels-relaxed.wasm, kernels-shared.wasm, kernels-relaxed-shared.wasm and kernel-worker.js are
 * found next to it), or the bytes of one private-memory build (then single-threaded). Default:
 * build/kernels.wasm next to this module.
 * Every missing capability (relaxed SIMD, SharedArrayBuffer, blocking waits, workers) falls back
 * silently to the next best; `variant`, `threads` and `notes` say what was loaded.
 */
export async function loadWasmKernels(source?: Uint8Array | URL | string, opts: WasmKernelOptions = {}): Promise<WasmKernels> {
  const notes: string[] = [];
  const wantThreads = Math.max(1, Math.floor(opts.threads ?? (await defaultThreads())));
  const relaxed = opts.relaxedSimd !== false && relaxedSimdSupported();
  if (opts.relaxedSimd !== false && !relaxed) notes.push('relaxed SIMD unavailable (Node 20: --experimental-wasm-relaxed-simd)');
  let shared = false;
  if (wantThreads > 1) {
    const why = opts.sharedMemory === false ? 'shared memory disabled by option' : canUseThreads();
    if (why) notes.push(`single thread: ${why}`);
    else shared = true;
  }

  const base = source instanceof Uint8Array ? null : source ?? new URL('./build/kernels.wasm', import.meta.url);
  let loaded: { module: WebAssembly.Module; relaxed: boolean; shared: boolean };
  if (base === null) {
    loaded = { module: await WebAssembly.compile(source as Uint8Array<ArrayBuffer>), relaxed: false, shared: false };
    if (shared) notes.push('single thread: module bytes given (only a kernels.wasm URL finds the shared builds)');
  } else {
    loaded = await loadModule(base, relaxed, shared);
    if (relaxed && !loaded.relaxed) notes.push('relaxed SIMD build not found next to kernels.wasm');
    if (shared && !loaded.shared) notes.push('single thread: shared-memory build not found next to kernels.wasm');
  }
  let memory = newMemory(loaded.shared);
  if (!memory) {
    notes.push('single thread: the engine refused a shared memory');
    loaded = await loadModule(base!, loaded.relaxed, false);
    memory = newMemory(false)!;
  }
  const instance = await WebAssembly.instantiate(loaded.module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  // Asked of the module, so that module bytes given directly report their build too.
  const variant: WasmVariant = exports.buildFeatures() & 1 ? 'relaxed-simd' : 'simd';

  const threads = loaded.shared ? wantThreads : 1;
  const kernels = new WasmKernels(memory, exports, variant, threads, notes, opts.parallelMin ?? PARALLEL_MIN_MNK, opts.panelBytes ?? PANEL_BYTES);
  if (threads > 1) {
    const module = loaded.module, workerUrl = opts.workerUrl ?? sibling(base!, 'kernel-worker.js')!;
    kernels.poolFactory = (workers) => KernelPool.start(module, memory, exports, kernels.jobOffset, (i) => kernels.scratchOffset(i), workers, workerUrl, opts.spinMs ?? SPIN_MS);
    try {
      kernels.attachPool(await kernels.poolFactory(threads - 1));
    } catch (err) {
      kernels.poolFactory = null;
      notes.push(`single thread: kernel workers did not start (${(err as Error).message})`);
    }
  }
  return kernels;
}

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

function checkDims(M: number, N: number, K: number): void {
  for (const [name, v] of [['M', M], ['N', N], ['K', K]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`matmul: ${name} must be a non-negative integer, got ${v}`);
  }
}

function checkLength(what: string, arr: Float32Array, need: number, shape: string): void {
  if (arr.length < need) throw new Error(`matmul: ${what} has ${arr.length} elements, needs at least ${need} for shape ${shape}`);
}

export class WasmKernels {
  /** Byte offset of the pool's job record (see kernel-pool.ts). */
  readonly jobOffset: number;
  private readonly scratch0: number;
  private readonly scratchBytes: number;
  private readonly base: number;
  private f32: Float32Array;
  private i32: Int32Array;
  private pool: KernelPool | null = null;
  // Record views for calls that run on this thread only (the pool keeps its own).
  private ctl: Int32Array;
  private fctl: Float32Array;
  // The arena: operands of the current call are laid out from `base` up to `top`.
  private top: number;

  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly exports: KernelExports,
    /** Which build runs: 'relaxed-simd' uses FMA (f32x4.relaxed_madd), 'simd' mul + add. */
    readonly variant: WasmVariant,
    /** Threads a large matmul runs on (the caller included); 1 until a pool is attached. */
    private readonly wantThreads: number,
    /** Why a capability fell back (empty when everything asked for is in use). */
    readonly notes: string[] = [],
    private readonly parallelMin = PARALLEL_MIN_MNK,
    private readonly panelBytes = PANEL_BYTES,
  ) {
    this.jobOffset = alignUp(exports.arenaBase());
    this.scratchBytes = exports.scratchBytes();
    this.scratch0 = alignUp(this.jobOffset + JOB_BYTES);
    this.base = this.scratch0 + wantThreads * this.scratchBytes;
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.ctl = new Int32Array(memory.buffer, this.jobOffset, JOB.WORDS);
    this.fctl = new Float32Array(memory.buffer, this.jobOffset, JOB.WORDS);
    this.top = this.base;
    this.ensure(this.base);
  }

  /** Threads a large matmul runs on, the calling thread included. */
  get threads(): number {
    return this.pool ? this.pool.size : 1;
  }

  /** Packing scratch of thread i (0 = the calling thread). */
  scratchOffset(i: number): number {
    return this.scratch0 + i * this.scratchBytes;
  }

  /** Starts a pool of n workers over this memory (null: threads are not possible here). */
  poolFactory: ((workers: number) => Promise<KernelPool>) | null = null;

  /** The most threads setThreads can give: the scratch regions laid out at load. */
  get maxThreads(): number {
    return this.poolFactory ? this.wantThreads : 1;
  }

  /**
   * Runs later kernels on n threads (the caller included), capped at maxThreads; resolves with the
   * count in use. Restarts the worker pool; results do not depend on the thread count.
   */
  async setThreads(n: number): Promise<number> {
    if (!Number.isInteger(n) || n < 1) throw new Error(`threads must be a positive integer, got ${n}`);
    const want = Math.min(n, this.maxThreads);
    if (want === this.threads) return want;
    this.pool?.dispose();
    this.pool = null;
    if (want > 1) this.attachPool(await this.poolFactory!(want - 1));
    return this.threads;
  }

  attachPool(pool: KernelPool): void {
    if (pool.size > this.wantThreads) throw new Error(`WasmKernels: a pool of ${pool.size} threads needs ${pool.size} scratch regions, have ${this.wantThreads}`);
    this.pool = pool;
  }

  /**
   * c(M,N) = op(a) @ op(b) (+ c if accumulate). op(a) is (M,K): a is row-major (M,K), or (K,M) if
   * transA. op(b) is (K,N): b is (K,N), or (N,K) if transB. Extra trailing elements are ignored.
   * Synchronous even when threaded: the caller runs chunks too and waits for the workers.
   */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean): void {
    checkDims(M, N, K);
    const sa = M * K, sb = K * N, sc = M * N;
    checkLength('a', a, sa, transA ? `(K=${K}, M=${M}) (transA)` : `(M=${M}, K=${K})`);
    checkLength('b', b, sb, transB ? `(N=${N}, K=${K}) (transB)` : `(K=${K}, N=${N})`);
    checkLength('c', c, sc, `(M=${M}, N=${N})`);
    if (sc === 0) return;
    this.scoped(() => {
      const offA = this.put(a, sa), offC = accumulate ? this.put(c, sc) : this.alloc(4 * sc);
      if (4 * sb <= this.panelBytes || K <= K_BLOCK) {
        this.matmulAt(offA, this.put(b, sb), offC, M, N, K, transA, transB, accumulate);
      } else {
        // op(B) (a weight, usually) goes through memory in panels of kp rows, so a 9 MB weight does
        // not need 9 MB more of WASM memory (which never shrinks). kp is a multiple of the kernel's
        // K block: each panel's product is added to C exactly as the kernel's own K loop would.
        const kp = Math.max(K_BLOCK, Math.floor(this.panelBytes / (4 * N) / K_BLOCK) * K_BLOCK);
        const offP = this.alloc(4 * Math.min(kp, K) * N);
        for (let k0 = 0; k0 < K; k0 += kp) {
          const kn = Math.min(kp, K - k0);
          const panel = this.f32At(offP, kn * N);
          if (!transB) panel.set(b.subarray(k0 * N, (k0 + kn) * N));
          else for (let n = 0; n < N; n++) panel.set(b.subarray(n * K + k0, n * K + k0 + kn), n * kn);
          const offAk = offA + 4 * (transA ? k0 * M : k0);
          this.matmulAt(offAk, offP, offC, M, N, kn, transA, transB, accumulate || k0 > 0, transA ? M : K, transB ? kn : N);
        }
      }
      this.take(offC, c, sc);
    });
  }

  /**
   * matmul on operands already in memory (byte offsets; strides in elements, by default those of
   * dense operands; C's row stride is N).
   */
  matmulAt(offA: number, offB: number, offC: number, M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean,
    lda = transA ? M : K, ldb = transB ? K : N): void {
    const pool = this.pool;
    if (pool && M * N * K >= this.parallelMin) {
      // Every chunk packs its own share of one operand and all of the other: split the dimension
      // whose split leaves the smaller operand to repack (columns of C repack op(A), M x K; rows
      // repack op(B), K x N), unless it has too few units for the chunks.
      const rowUnits = Math.ceil(M / 4), colUnits = Math.ceil(N / 8);
      const want = pool.size * CHUNKS_PER_THREAD;
      const splitN = M <= N ? colUnits >= want || colUnits >= rowUnits : rowUnits < want && colUnits > rowUnits;
      const chunks = Math.min(want, splitN ? colUnits : rowUnits);
      pool.run(chunks, (ctl) => {
        ctl[JOB.OP] = OP.MATMUL;
        ctl[JOB.A] = offA; ctl[JOB.B] = offB; ctl[JOB.C] = offC;
        ctl[JOB.M] = M; ctl[JOB.N] = N; ctl[JOB.K] = K;
        ctl[JOB.LDA] = lda; ctl[JOB.LDB] = ldb; ctl[JOB.LDC] = N;
        ctl[JOB.FLAGS] = (transA ? 1 : 0) | (transB ? 2 : 0) | (accumulate ? 4 : 0) | (splitN ? 8 : 0);
        ctl[JOB.UNITS] = splitN ? colUnits : rowUnits;
      });
    } else {
      this.exports.matmul(offA, offB, offC, M, N, K, lda, ldb, N, transA ? 1 : 0, transB ? 1 : 0, accumulate ? 1 : 0, this.scratch0);
    }
  }

  /**
   * Runs one non-matmul kernel (OP code) over `units` work units: across the pool when there is
   * one and work (a rough count of elements touched) reaches minWork, else on this thread.
   * fill writes OP, ARGS and FARGS; UNITS and CHUNKS are set here.
   */
  run(op: number, units: number, work: number, fill: JobFill, minWork = PARALLEL_MIN_WORK): void {
    if (units <= 0) return;
    const pool = this.pool;
    const full: JobFill = (ctl, fctl) => { ctl[JOB.OP] = op; ctl[JOB.UNITS] = units; fill(ctl, fctl); };
    if (pool && work >= minWork && units > 1) {
      pool.run(Math.min(units, pool.size * CHUNKS_PER_THREAD), full);
    } else {
      this.refreshViews();
      full(this.ctl, this.fctl);
      this.ctl[JOB.CHUNKS] = 1;
      this.exports.kernelRun(this.jobOffset, this.scratch0);
    }
  }

  /**
   * Runs fn with the arena as it is and gives back what fn allocated when it returns or throws. Every
   * call scopes its operands this way, so a call made while another holds its operands (a row
   * source decoding fp16 shards inside the LM head kernel) allocates above them instead of over them.
   */
  scoped<T>(fn: () => T): T {
    const top = this.top;
    try {
      return fn();
    } finally {
      this.top = top;
    }
  }

  /** Reserves `bytes` (64-byte aligned) for the current call (see scoped); returns the byte offset. */
  alloc(bytes: number): number {
    const off = alignUp(this.top);
    this.top = off + bytes;
    this.ensure(this.top);
    return off;
  }

  /** Copies the first n elements of src into a new arena slot; returns its byte offset. */
  put(src: Float32Array | Int32Array, n = src.length): number {
    const off = this.alloc(4 * n);
    const part = src.length === n ? src : src.subarray(0, n);
    if (part instanceof Int32Array) this.i32.set(part, off >> 2);
    else this.f32.set(part, off >> 2);
    return off;
  }

  /** Copies 16-bit values into a new arena slot; returns its byte offset. */
  putU16(src: Uint16Array): number {
    const off = this.alloc(2 * src.length);
    new Uint16Array(this.memory.buffer, off, src.length).set(src);
    return off;
  }

  /** Copies n floats at byte offset off out into dst. */
  take(off: number, dst: Float32Array, n = dst.length): void {
    dst.set(this.f32.subarray(off >> 2, (off >> 2) + n));
  }

  /** A view of n floats at byte offset off (valid until memory grows). */
  f32At(off: number, n: number): Float32Array {
    return this.f32.subarray(off >> 2, (off >> 2) + n);
  }

  /** A view of n doubles at byte offset off (8-byte aligned; valid until memory grows). */
  f64At(off: number, n: number): Float64Array {
    return new Float64Array(this.f32.buffer, off, n);
  }

  /** Stops the worker threads (if any); matmul then runs on the calling thread only. */
  dispose(): void {
    this.pool?.dispose();
    this.pool = null;
  }

  /** Grows memory to at least `bytes` and refreshes views (growing detaches the old buffer). */
  private ensure(bytes: number): void {
    const pages = Math.ceil(bytes / PAGE_BYTES);
    const have = this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > MAX_PAGES) throw new Error(`WasmKernels: operands need ${bytes} bytes, over the 4 GiB wasm32 limit; split the matmul`);
    if (pages > have) {
      try { this.memory.grow(pages - have); } catch { throw new Error(`WasmKernels: cannot grow memory to ${bytes} bytes (the engine's limit); split the matmul or use fewer threads`); }
    }
    this.refreshViews();
  }

  private refreshViews(): void {
    if (this.f32.buffer !== this.memory.buffer) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
      this.ctl = new Int32Array(this.memory.buffer, this.jobOffset, JOB.WORDS);
      this.fctl = new Float32Array(this.memory.buffer, this.jobOffset, JOB.WORDS);
    }
  }
}
