// A pool of kernel worker threads over one shared WebAssembly.Memory, driven synchronously: run()
// has the caller fill a job record in shared memory (which kernel, its operands, how many chunks),
// wakes the workers (Atomics.notify), runs chunks itself and blocks in Atomics.wait until every
// chunk is done, so kernels stay synchronous. Workers are Node worker_threads or browser module
// Workers running kernel-worker.js. Not a general task queue: one kernel call at a time. Blocking is allowed in Node's main thread and in browser Workers (the agent
// trains in one), not on a browser page's main thread: wasm-kernels.ts checks that before using it.

/** Job record layout, i32 words (assembly/kernel-job.ts has the kernel's half; keep them in step). */
export const JOB = {
  CLAIM: 0, DONE: 1, OP: 2, A: 4, B: 5, C: 6, M: 7, N: 8, K: 9, LDA: 10, LDB: 11, LDC: 12, FLAGS: 13, CHUNKS: 14, UNITS: 15,
  GEN: 16, STOP: 17, ERROR: 18, // read by kernel-worker.js
  ARGS: 20, // i32 arguments of the non-matmul kernels (16 words)
  FARGS: 36, // their f32 arguments (12 words)
  WORDS: 48,
} as const;
export const JOB_BYTES = JOB.WORDS * 4;

/** Kernel codes of the OP word (assembly/kernel-job.ts OP_*). */
export const OP = {
  MATMUL: 0, ATTN_FWD: 1, ATTN_BWD: 2, GELU_FWD: 3, GELU_BWD: 4, LN_FWD: 5, LN_BWD_X: 6, LN_BWD_W: 7, ADAMW: 8, LM_SOFTMAX: 9, LM_GRAD: 10, F16_DECODE: 11,
} as const;

/** Writes one job's kernel fields (OP, operands, UNITS) into the record; the pool does the rest. */
export type JobFill = (ctl: Int32Array, fctl: Float32Array) => void;

interface JobExports {
  kernelJob(job: number, scratch: number, gen: number): void;
}

// The portable part of a worker: Node's worker_threads.Worker and the browser's Worker both fit.
interface PoolWorker {
  postMessage(msg: unknown): void;
  terminate(): unknown;
}

const READY_TIMEOUT_MS = 15_000;
// How long a thread polls before it sleeps: workers for the next job, the caller for the workers'
// last chunks. Sleeping and waking through the futex costs 50 us and more per kernel call (README).
export const SPIN_MS = 0.2;
// A chunk is 1/chunks of one kernel call: seconds at worst on a slow phone. Far past that, a worker has
// died mid-chunk (killed, out of memory), and waiting longer would hang the trainer.
const STALL_TIMEOUT_MS = 120_000;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

export class KernelPool {
  private gen = 0;
  private ctl: Int32Array;
  private fctl: Float32Array;
  private failed: string | null = null;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly exports: JobExports,
    private readonly job: number,
    private readonly mainScratch: number,
    private readonly workers: PoolWorker[],
    private readonly spinMs: number,
  ) {
    this.ctl = new Int32Array(memory.buffer, job, JOB.WORDS);
    this.fctl = new Float32Array(memory.buffer, job, JOB.WORDS);
  }

  /** Threads that run chunks: the workers plus the calling thread. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `workers` workers on `module` (a shared-memory build) over `memory`. scratch(i) is the
   * packing scratch of thread i (0 = the caller). Rejects if any worker fails to start.
   */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, exports: JobExports, job: number,
    scratch: (i: number) => number, workers: number, workerUrl: URL | string, spinMs = SPIN_MS): Promise<KernelPool> {
    new Int32Array(memory.buffer, job, JOB.WORDS).fill(0);
    const started: PoolWorker[] = [];
    try {
      await Promise.all(Array.from({ length: workers }, async (_, i) => {
        const w = await spawn(workerUrl);
        started.push(w);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`kernel worker ${i + 1} did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
          onMessage(w, (msg) => {
            clearTimeout(timer);
            if (msg.type === 'ready') resolve();
            else reject(new Error(msg.message ?? 'kernel worker failed to start'));
          }, (err) => { clearTimeout(timer); reject(err); });
          w.postMessage({ module, memory, job, scratch: scratch(i + 1), spinMs });
        });
      }));
    } catch (err) {
      for (const w of started) void w.terminate();
      throw err;
    }
    return new KernelPool(memory, exports, job, scratch(0), started, spinMs);
  }

  /**
   * Runs one kernel call across the pool and returns when all of it is done (synchronously): fill
   * writes the kernel's fields, the work is split into `chunks` chunks.
   */
  run(chunks: number, fill: JobFill): void {
    if (this.failed) throw new Error(`kernel pool: ${this.failed}; this WasmKernels instance is unusable, load a new one`);
    if (this.ctl.buffer !== this.memory.buffer) {
      this.ctl = new Int32Array(this.memory.buffer, this.job, JOB.WORDS);
      this.fctl = new Float32Array(this.memory.buffer, this.job, JOB.WORDS);
    }
    const ctl = this.ctl;
    const gen = (this.gen = (this.gen + 1) | 0);
    const tag = (gen & 0xffff) << 16;
    // Close the claim word under the new tag first: a thread still finishing the previous job can
    // then no longer claim a chunk while the record below is being rewritten (kernel-job.ts).
    Atomics.store(ctl, JOB.CLAIM, tag | 0xffff);
    fill(ctl, this.fctl);
    ctl[JOB.CHUNKS] = chunks;
    Atomics.store(ctl, JOB.DONE, 0);
    Atomics.store(ctl, JOB.CLAIM, tag);
    Atomics.store(ctl, JOB.GEN, gen);
    Atomics.notify(ctl, JOB.GEN);
    this.exports.kernelJob(this.job, this.mainScratch, gen);
    this.waitDone(chunks);
  }

  private waitDone(chunks: number): void {
    const ctl = this.ctl;
    const until = performance.now() + this.spinMs;
    for (let i = 1; Atomics.load(ctl, JOB.DONE) < chunks; i++) {
      if ((i & 1023) === 0 && performance.now() > until) break;
    }
    let last = -1, since = Date.now();
    for (;;) {
      const done = Atomics.load(ctl, JOB.DONE);
      if (done >= chunks) return;
      if (Atomics.load(ctl, JOB.ERROR) !== 0) this.fail('a worker failed while running a kernel chunk');
      if (done !== last) { last = done; since = Date.now(); }
      else if (Date.now() - since > STALL_TIMEOUT_MS) this.fail(`no kernel chunk finished for ${STALL_TIMEOUT_MS / 1000} s (a worker died?)`);
      Atomics.wait(ctl, JOB.DONE, done, 1000);
    }
  }

  private fail(why: string): never {
    this.failed = why;
    this.dispose();
    throw new Error(`kernel pool: ${why}; this WasmKernels instance is unusable, load a new one`);
  }

  /** Stops the workers. The pool must not be used afterwards. */
  dispose(): void {
    Atomics.store(this.ctl, JOB.STOP, 1);
    Atomics.store(this.ctl, JOB.GEN, (this.gen = (this.gen + 1) | 0));
    Atomics.notify(this.ctl, JOB.GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
    this.failed ??= 'disposed';
  }
}

type WorkerMsg = { type: 'ready' | 'error'; message?: string };

async function spawn(url: URL | string): Promise<PoolWorker> {
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    return new Worker(typeof url === 'string' && !url.startsWith('file:') ? url : new URL(url), { resourceLimits: WORKER_HEAP });
  }
  return new Worker(url, { type: 'module', name: 'fleettune-kernels' });
}

/** A kernel worker's JS does almost nothing (it runs WASM on shared memory): a small V8 heap is enough. */
const WORKER_HEAP = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 32 };

function onMessage(w: PoolWorker, cb: (m: WorkerMsg) => void, onError: (e: Error) => void): void {
  if (isNode) {
    const nw = w as unknown as import('node:worker_threads').Worker;
    nw.on('message', cb);
    nw.once('error', onError);
    nw.once('exit', (code) => onError(new Error(`kernel worker exited (code ${code}) before it was ready`)));
    // Workers sleep in Atomics.wait between kernel calls and must not keep the process alive. Only an
    // unref() after the listeners are attached sticks: a new 'message' listener refs the worker.
    nw.unref();
  } else {
    const bw = w as unknown as Worker;
    bw.addEventListener('message', (ev) => cb(ev.data as WorkerMsg));
    bw.addEventListener('error', (ev) => onError(new Error(`kernel worker failed to load: ${ev.message || 'check that kernel-worker.js is served next to kernels.wasm'}`)));
  }
}
