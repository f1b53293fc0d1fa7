// One multi-threaded matmul as a job record in shared memory: every thread (the caller and the pool
// workers, see ../matmul-pool.ts) calls matmulJob with its own scratch and claims chunks (blocks of
// rows or columns of C) until none are left, so a thread that starts late or runs on a slow core
// just takes fewer chunks. Not a scheduler: one job at a time, no waiting here (the caller waits).
// Only the shared-memory builds (--enable threads) have a body; the others never call it.
import { matmul } from './matmul';

// Job record, i32 words from `job` (matmul-pool.ts has the same table; keep them in step):
const CLAIM = 0; // (gen & 0xffff) << 16 | next chunk index; the tag makes a late thread's claim fail
const DONE = 1; // chunks finished; the thread that finishes the last one notifies the caller
const A = 4, B = 5, C = 6, M_ = 7, N_ = 8, K_ = 9, LDA = 10, LDB = 11, LDC = 12;
const FLAGS = 13; // transA | transB << 1 | accumulate << 2 | splitN << 3
const CHUNKS = 14; // number of chunks (< 0xffff)
const UNITS = 15; // 4-row (or 8-column with splitN) units of C, spread evenly over the chunks

@inline function word(job: usize, i: i32): i32 { return load<i32>(job + (<usize>i << 2)); }

function runChunk(job: usize, idx: i32, scratch: usize): void {
  const n = word(job, CHUNKS), units = word(job, UNITS), flags = word(job, FLAGS);
  const u0 = <i32>((<i64>idx * units) / n), u1 = <i32>((<i64>(idx + 1) * units) / n);
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

/** Runs chunks of job generation `gen` until none are left unclaimed. */
export function matmulJob(job: usize, scratch: usize, gen: i32): void {
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
