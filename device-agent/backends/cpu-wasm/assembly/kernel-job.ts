// One kernel call as a job record in memory, split into chunks of work units: every thread (the
// caller and the pool workers, see ../kernel-pool.ts) calls kernelJob with its own scratch and
// claims chunks until none are left, so a thread that starts late or runs on a slow core just takes
// fewer chunks. kernelRun runs every chunk on the calling thread (private-memory builds, small
// calls). Not a scheduler: one job at a time, no waiting here (the caller waits).
import { matmul } from './matmul';
import { attentionBackward, attentionForward } from './attention';
import { geluBackward, geluForward } from './gelu';
import { layerNormBackwardW, layerNormBackwardX, layerNormForward } from './layer-norm';
import { adamwUpdate } from './adamw';
import { lmSoftmaxChunk, lmSoftmaxGrad } from './lm-head';
import { float16Decode } from './float16';

// Job record, i32 words from `job` (kernel-pool.ts has the same table; keep them in step):
const CLAIM = 0; // (gen & 0xffff) << 16 | next chunk index; the tag makes a late thread's claim fail
const DONE = 1; // chunks finished; the thread that finishes the last one notifies the caller
const OP = 2; // which kernel (the OP_* codes below)
const A = 4, B = 5, C = 6, M_ = 7, N_ = 8, K_ = 9, LDA = 10, LDB = 11, LDC = 12;
const FLAGS = 13; // matmul: transA | transB << 1 | accumulate << 2 | splitN << 3
const CHUNKS = 14; // number of chunks (< 0xffff)
const UNITS = 15; // work units, spread evenly over the chunks
const ARGS = 20; // other ops: i32 arguments from here
const FARGS = 36; // and f32 arguments from here

const OP_MATMUL = 0, OP_ATTN_FWD = 1, OP_ATTN_BWD = 2, OP_GELU_FWD = 3, OP_GELU_BWD = 4, OP_LN_FWD = 5,
  OP_LN_BWD_X = 6, OP_LN_BWD_W = 7, OP_ADAMW = 8, OP_LM_SOFTMAX = 9, OP_LM_GRAD = 10, OP_F16_DECODE = 11;

@inline function word(job: usize, i: i32): i32 { return load<i32>(job + (<usize>i << 2)); }
@inline function arg(job: usize, i: i32): i32 { return load<i32>(job + (<usize>(ARGS + i) << 2)); }
@inline function ptr(job: usize, i: i32): usize { return <usize>arg(job, i); }
@inline function farg(job: usize, i: i32): f32 { return load<f32>(job + (<usize>(FARGS + i) << 2)); }

function runMatmul(job: usize, u0: i32, u1: i32, scratch: usize): void {
  const flags = word(job, FLAGS);
  let a = <usize>word(job, A), b = <usize>word(job, B), c = <usize>word(job, C);
  let M = word(job, M_), N = word(job, N_);
  const K = word(job, K_), lda = word(job, LDA), ldb = word(job, LDB), ldc = word(job, LDC);
  const transA = flags & 1, transB = (flags >> 1) & 1;
  if (flags & 8) {
    // Columns [j0, j1) of C: op(B)'s columns are B's rows when transB.
    const j0 = u0 * 8, j1 = min(N, u1 * 8);
    b += transB ? (<usize>j0 * <usize>ldb) << 2 : <usize>j0 << 2;
    c += <usize>j0 << 2;
    N = j1 - j0;
  } else {
    // Rows [i0, i1) of C: op(A)'s rows are A's columns when transA.
    const i0 = u0 * 4, i1 = min(M, u1 * 4);
    a += transA ? <usize>i0 << 2 : (<usize>i0 * <usize>lda) << 2;
    c += (<usize>i0 * <usize>ldc) << 2;
    M = i1 - i0;
  }
  matmul(a, b, c, M, N, K, lda, ldb, ldc, transA, transB, (flags >> 2) & 1, scratch);
}

// Elementwise ops: a unit is `per` elements (args: ..., n, per); the range is clipped to n.
@inline function lo(job: usize, u: i32, nArg: i32): i32 { return min(arg(job, nArg), u * arg(job, nArg + 1)); }

function runChunk(job: usize, idx: i32, scratch: usize): void {
  const n = word(job, CHUNKS), units = word(job, UNITS);
  const u0 = <i32>((<i64>idx * units) / n), u1 = <i32>((<i64>(idx + 1) * units) / n);
  switch (word(job, OP)) {
    case OP_MATMUL: runMatmul(job, u0, u1, scratch); break;
    case OP_ATTN_FWD: attentionForward(ptr(job, 0), ptr(job, 1), ptr(job, 2), arg(job, 3), arg(job, 4), arg(job, 5), arg(job, 6), u0, u1, scratch); break;
    case OP_ATTN_BWD: attentionBackward(ptr(job, 0), ptr(job, 1), ptr(job, 2), ptr(job, 3), arg(job, 4), arg(job, 5), arg(job, 6), arg(job, 7), u0, u1, scratch); break;
    case OP_GELU_FWD: geluForward(ptr(job, 0), ptr(job, 1), lo(job, u0, 2), lo(job, u1, 2)); break;
    case OP_GELU_BWD: geluBackward(ptr(job, 0), ptr(job, 1), ptr(job, 2), lo(job, u0, 3), lo(job, u1, 3)); break;
    case OP_LN_FWD: layerNormForward(ptr(job, 0), ptr(job, 1), ptr(job, 2), ptr(job, 3), ptr(job, 4), ptr(job, 5), arg(job, 6), farg(job, 0), u0, u1); break;
    case OP_LN_BWD_X: layerNormBackwardX(ptr(job, 0), ptr(job, 1), ptr(job, 2), ptr(job, 3), ptr(job, 4), ptr(job, 5), arg(job, 6), u0, u1); break;
    case OP_LN_BWD_W: layerNormBackwardW(ptr(job, 0), ptr(job, 1), ptr(job, 2), ptr(job, 3), ptr(job, 4), ptr(job, 5), arg(job, 6), arg(job, 7), lo(job, u0, 7), lo(job, u1, 7)); break;
    case OP_ADAMW: adamwUpdate(ptr(job, 0), ptr(job, 1), ptr(job, 2), ptr(job, 3), lo(job, u0, 4), lo(job, u1, 4), farg(job, 0), farg(job, 1), farg(job, 2), farg(job, 3), farg(job, 4), farg(job, 5), farg(job, 6), farg(job, 7)); break;
    case OP_LM_SOFTMAX: lmSoftmaxChunk(ptr(job, 0), arg(job, 1), ptr(job, 2), ptr(job, 3), ptr(job, 4), arg(job, 5), ptr(job, 6), arg(job, 7), ptr(job, 8), u0, u1); break;
    case OP_LM_GRAD: lmSoftmaxGrad(ptr(job, 0), arg(job, 1), ptr(job, 2), ptr(job, 3), arg(job, 4), farg(job, 0), u0, u1); break;
    case OP_F16_DECODE: float16Decode(ptr(job, 0), ptr(job, 1), lo(job, u0, 2), lo(job, u1, 2)); break;
    default: unreachable();
  }
}

/** Runs every chunk of the job on the calling thread (no atomics: any build). */
export function kernelRun(job: usize, scratch: usize): void {
  const n = word(job, CHUNKS);
  for (let i = 0; i < n; i++) runChunk(job, i, scratch);
}

/** Runs chunks of job generation `gen` until none are left unclaimed (shared-memory builds only). */
export function kernelJob(job: usize, scratch: usize, gen: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  const tag = gen & 0xffff;
  for (;;) {
    const w = atomic.load<i32>(job);
    if ((w >>> 16) != tag) return; // a newer job (or none): this thread woke too late
    const idx = w & 0xffff;
    // CHUNKS may already be the next job's if the caller is rewriting the record, but then the
    // caller has retagged CLAIM first, so the cmpxchg below fails.
    const n = word(job, CHUNKS);
    if (idx >= n) return;
    if (atomic.cmpxchg<i32>(job, w, w + 1) != w) continue;
    runChunk(job, idx, scratch);
    if (atomic.add<i32>(job, 1, DONE << 2) + 1 == n) atomic.notify(job + (DONE << 2));
  }
}
