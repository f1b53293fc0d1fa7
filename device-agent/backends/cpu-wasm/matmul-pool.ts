// A pool of matmul worker threads over one shared WebAssembly.Memory, driven synchronously: run()
// writes a job record into shared memory, wakes the workers (Atomics.notify), runs chunks itself and
// blocks in Atomics.wait until every chunk is done, so callers keep a synchronous matmul. Workers are
// Node worker_threads or browser module Workers running matmul-worker.js. Not a general task queue:
// one matmul at a time. Blocking is allowed in Node's main thread and in browser Workers (the agent
// trains in one), not on a browser page's main thread: wasm-kernels.ts checks that before using it.

/** Job record layout, i32 words (assembly/matmul-job.ts has the kernel's half; keep them in step). */
export const JOB = {
  CLAIM: 0, DONE: 1, A: 4, B: 5, C: 6, M: 7, N: 8, K: 9, LDA: 10, LDB: 11, LDC: 12, FLAGS: 13, CHUNKS: 14, UNITS: 15,
  GEN: 16, STOP: 17, ERROR: 18, // read by matmul-worker.js
  WORDS: 32,
} as const;
export const JOB_BYTES = JOB.WORDS * 4;

/** What one matmul needs: byte offsets into the memory, strides in elements. */
export interface MatmulJob {
  a: number; b: number; c: number; M: number; N: number; K: number; lda: number; ldb: number; ldc: number;
  transA: boolean; transB: boolean; accumulate: boolean;
  splitN: boolean; // chunks are 8-column blocks of C (else 4-row blocks)
  chunks: number;
}

interface JobExports {
  matmulJob(job: number, scratch: number, gen: number): void;
}

// The portable part of a worker: Node's worker_threads.Worker and the browser's Worker both fit.
interface PoolWorker {
  postMessage(msg: unknown): void;
  terminate(): unknown;
}

const READY_TIMEOUT_MS = 15_000;
// How long a thread polls before it sleeps: workers for the next job, the caller for the workers'
// last chunks. Sleeping and waking through the futex costs 50 us and more per matmul (README).
export const SPIN_MS = 0.2;
// A chunk is 1/chunks of one matmul: seconds at worst on a slow phone. Far past that, a worker has
// died mid-chunk (killed, out of memory), and waiting longer would hang the trainer.
const STALL_TIMEOUT_MS = 120_000;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

export class MatmulPool {
  private gen = 0;
  private ctl: Int32Array;
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
    scratch: (i: number) => number, workers: number, workerUrl: URL | string, spinMs = SPIN_MS): Promise<MatmulPool> {
    new Int32Array(memory.buffer, job, JOB.WORDS).fill(0);
    const started: PoolWorker[] = [];
    try {
      await Promise.all(Array.from({ length: workers }, async (_, i) => {
        const w = await spawn(workerUrl);
        started.push(w);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`matmul worker ${i + 1} did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
          onMessage(w, (msg) => {
            clearTimeout(timer);
            if (msg.type === 'ready') resolve();
            else reject(new Error(msg.message ?? 'matmul worker failed to start'));
          }, (err) => { clearTimeout(timer); reject(err); });
          w.postMessage({ module, memory, job, scratch: scratch(i + 1), spinMs });
        });
      }));
    } catch (err) {
      for (const w of started) void w.terminate();
      throw err;
    }
    return new MatmulPool(memory, exports, job, scratch(0), started, spinMs);
  }

  /** Runs one matmul across the pool and returns when all of it is done (synchronously). */
  run(j: MatmulJob): void {
    if (this.failed) throw new Error(`matmul pool: ${this.failed}; this WasmKernels instance is unusable, load a new one`);
    if (this.ctl.buffer !== this.memory.buffer) this.ctl = new Int32Array(this.memory.buffer, this.job, JOB.WORDS);
    const ctl = this.ctl;
    const gen = (this.gen = (this.gen + 1) | 0);
    const tag = (gen & 0xffff) << 16;
    // Close the claim word under the new tag first: a thread still finishing the previous job can
    // then no longer claim a chunk while the record below is being rewritten (matmul-job.ts).
    Atomics.store(ctl, JOB.CLAIM, tag | 0xffff);
    ctl[JOB.A] = j.a; ctl[JOB.B] = j.b; ctl[JOB.C] = j.c;
    ctl[JOB.M] = j.M; ctl[JOB.N] = j.N; ctl[JOB.K] = j.K;
    ctl[JOB.LDA] = j.lda; ctl[JOB.LDB] = j.ldb; ctl[JOB.LDC] = j.ldc;
    ctl[JOB.FLAGS] = (j.transA ? 1 : 0) | (j.transB ? 2 : 0) | (j.accumulate ? 4 : 0) | (j.splitN ? 8 : 0);
    ctl[JOB.CHUNKS] = j.chunks;
    ctl[JOB.UNITS] = j.splitN ? Math.ceil(j.N / 8) : Math.ceil(j.M / 4);
    Atomics.store(ctl, JOB.DONE, 0);
    Atomics.store(ctl, JOB.CLAIM, tag);
    Atomics.store(ctl, JOB.GEN, gen);
    Atomics.notify(ctl, JOB.GEN);
    this.exports.matmulJob(this.job, this.mainScratch, gen);
    this.waitDone(j.chunks);
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
      if (Atomics.load(ctl, JOB.ERROR) !== 0) this.fail('a worker failed while running a matmul chunk');
      if (done !== last) { last = done; since = Date.now(); }
      else if (Date.now() - since > STALL_TIMEOUT_MS) this.fail(`no matmul chunk finished for ${STALL_TIMEOUT_MS / 1000} s (a worker died?)`);
      Atomics.wait(ctl, JOB.DONE, done, 1000);
    }
  }

  private fail(why: string): never {
    this.failed = why;
    this.dispose();
    throw new Error(`matmul pool: ${why}; this WasmKernels instance is unusable, load a new one`);
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
    return new Worker(typeof url === 'string' && !url.startsWith('file:') ? url : new URL(url));
  }
  return new Worker(url, { type: 'module', name: 'fleettune-matmul' });
}

function onMessage(w: PoolWorker, cb: (m: WorkerMsg) => void, onError: (e: Error) => void): void {
  if (isNode) {
    const nw = w as unknown as import('node:worker_threads').Worker;
    nw.on('message', cb);
    nw.once('error', onError);
    nw.once('exit', (code) => onError(new Error(`matmul worker exited (code ${code}) before it was ready`)));
    // Workers sleep in Atomics.wait between matmuls and must not keep the process alive. Only an
    // unref() after the listeners are attached sticks: a new 'message' listener refs the worker.
    nw.unref();
  } else {
    const bw = w as unknown as Worker;
    bw.addEventListener('message', (ev) => cb(ev.data as WorkerMsg));
    bw.addEventListener('error', (ev) => onError(new Error(`matmul worker failed to load: ${ev.message || 'check that matmul-worker.js is served next to kernels.wasm'}`)));
  }
}
