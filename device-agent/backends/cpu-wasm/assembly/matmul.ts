// f32 GEMM for the cpu-wasm backend, AssemblyScript compiled to WASM SIMD (see ../README.md).
// C(M,N) = op(A)(M,K) @ op(B)(K,N) (+ C when accumulate), on raw pointers into linear memory, with
// leading dimensions so that a thread can run a block of rows or columns of a larger product.
// Not a general BLAS: row-major only, no alpha/beta scaling; threads are kernel-job.ts's business.
// Layout follows the GotoBLAS/BLIS loop nest: op(B) is packed into KC x 8 panels and op(A) into
// 4 x KC panels (zero-padded at the edges), so one 4x8 micro-kernel serves all four transpose
// combinations; edge tiles are computed whole into a scratch tile and only the valid part is merged.
// Built four times by build-wasm.mjs: plain SIMD (mul + add) or relaxed SIMD (f32x4.relaxed_madd,
// FMA), each with a private or a shared memory.

import { madd } from './simd-math';

// Micro-tile: 4 rows x 8 columns = 8 f32x4 accumulators. Measured against 2x16, 3x8, 5x8, 6x8,
// 4x12, 8x4 and k-unrolled forms, with and without FMA: 4x8 wins (README); 5- and 6-row tiles are
// slower in V8, presumably spills.
const MR: i32 = 4;
const NR: i32 = 8;
// Cache blocks: the packed A block (MC x KC) stays in L2, one packed B panel (KC x NR) in L1.
// At 512^3 and GPT-2 shapes, MC 32-256, KC 128-512 and NC 256-4096 all measured the same, with and
// without FMA (README).
const MC: i32 = 64;
const KC: i32 = 256;
const NC: i32 = 1024;

const PACK_A_BYTES: usize = <usize>(MC * KC) << 2;
const PACK_B_BYTES: usize = <usize>(KC * NC) << 2;
const TILE_BYTES: usize = <usize>(MR * NR) << 2;
// One scratch region = packed A, packed B, one edge tile. Each thread passes its own.
const SCRATCH_BYTES: usize = (PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES + 63) & ~(<usize>63);

/** First byte the host may use (static data ends below it); the host places scratch and operands. */
export function arenaBase(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}

/** Bytes of one packing scratch region; matmul needs one per concurrently running call. */
export function scratchBytes(): usize {
  return SCRATCH_BYTES;
}


// Packs rows [ic, ic+mc) x cols [pc, pc+kc) of op(A) into 4-row panels: panel p, step k holds
// op(A)(ic+4p+r, pc+k) for r = 0..3 (zeros past the last row). lda is in elements.
function packA(dst: usize, a: usize, lda: i32, transA: i32, ic: i32, mc: i32, pc: i32, kc: i32): void {
  const ld = <usize>lda << 2;
  for (let p = 0; p < mc; p += MR) {
    const rows = min(MR, mc - p);
    const i0 = ic + p;
    if (transA) {
      // A stored (K, lda): the 4 rows of one k are adjacent.
      let src = a + ((<usize>pc * <usize>lda + <usize>i0) << 2);
      if (rows == MR) {
        for (let k = 0; k < kc; k++) { v128.store(dst, v128.load(src)); dst += 16; src += ld; }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(src + (<usize>r << 2)) : 0);
          dst += 16; src += ld;
        }
      }
    } else {
      // A stored (M, lda): the 4 rows are 4 streams along k. Full panels go 4 k at a time through
      // a 4x4 transpose in registers (packing was ~5% of a 512^3 matmul as scalar gathers).
      const r0 = a + ((<usize>i0 * <usize>lda + <usize>pc) << 2);
      let k = 0;
      if (rows == MR) {
        for (; k + 4 <= kc; k += 4) {
          transpose4(dst, r0 + (<usize>k << 2), ld, 16);
          dst += 64;
        }
      }
      for (; k < kc; k++) {
        const src = r0 + (<usize>k << 2);
        for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(src + <usize>r * ld) : 0);
        dst += 16;
      }
    }
  }
}

// Packs rows [pc, pc+kc) x cols [jc, jc+nc) of op(B) into 8-column panels: panel q, step k holds
// op(B)(pc+k, jc+8q+c) for c = 0..7 (zeros past the last column). ldb is in elements.
function packB(dst: usize, b: usize, ldb: i32, transB: i32, jc: i32, nc: i32, pc: i32, kc: i32): void {
  const ld = <usize>ldb << 2;
  for (let q = 0; q < nc; q += NR) {
    const cols = min(NR, nc - q);
    const j0 = jc + q;
    if (!transB) {
      // B stored (K, ldb): the 8 columns of one k are adjacent.
      let src = b + ((<usize>pc * <usize>ldb + <usize>j0) << 2);
      if (cols == NR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
          dst += 32; src += ld;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let c = 0; c < NR; c++) store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(src + (<usize>c << 2)) : 0);
          dst += 32; src += ld;
        }
      }
    } else {
      // B stored (N, ldb): each column is contiguous in k. Full panels go 4 k at a time through two
      // 4x4 transposes in registers (the scalar strided copy made NT ~30% slower than NN).
      let k = 0;
      if (cols == NR) {
        const s0 = b + ((<usize>j0 * <usize>ldb + <usize>pc) << 2);
        for (; k + 4 <= kc; k += 4) {
          const src = s0 + (<usize>k << 2);
          transpose4(dst, src, ld, 32);
          transpose4(dst + 16, src + 4 * ld, ld, 32);
          dst += 128;
        }
      }
      for (; k < kc; k++) {
        for (let c = 0; c < NR; c++) store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(b + ((<usize>(j0 + c) * <usize>ldb + <usize>(pc + k)) << 2)) : 0);
        dst += 32;
      }
    }
  }
}

// Loads 4 rows of 4 floats (row stride ld bytes) and stores them transposed, one 16-byte column
// every `step` bytes: 16 for a packed A panel (4 rows per k), 32 for half of a packed B panel.
@inline function transpose4(dst: usize, src: usize, ld: usize, step: usize): void {
  const v0 = v128.load(src), v1 = v128.load(src + ld), v2 = v128.load(src + 2 * ld), v3 = v128.load(src + 3 * ld);
  const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5), t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7), t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst + step, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * step, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

// One 4x8 tile over kc steps. Full tiles go straight to C; edge tiles go to the scratch tile and
// only their mr x nr valid part is merged into C. Inlined into matmul's loop: as a call (binaryen
// keeps it one) the FMA build ran ~10% slower (39 vs 43 GFLOP/s best at 512^3).
@inline function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, addC: bool, mr: i32, nr: i32, tile: usize): void {
  let c0a = f32x4.splat(0), c0b = f32x4.splat(0), c1a = f32x4.splat(0), c1b = f32x4.splat(0);
  let c2a = f32x4.splat(0), c2b = f32x4.splat(0), c3a = f32x4.splat(0), c3b = f32x4.splat(0);
  // One 16-byte load of the packed A column, lanes broadcast by shuffles: this moves 3 of the 6
  // loads per k step to the shuffle port, +8% with FMA (load32_splat x4: 46, shuffles: 50 GFLOP/s
  // in the micro-kernel alone); the same without FMA, where mul + add saturate their ports anyway.
  // Not unrolled: unrolling by 2 was slower in V8 with and without FMA (README).
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const av = v128.load(pa);
    let a = i32x4.shuffle(av, av, 0, 0, 0, 0);
    c0a = madd(a, b0, c0a); c0b = madd(a, b1, c0b);
    a = i32x4.shuffle(av, av, 1, 1, 1, 1);
    c1a = madd(a, b0, c1a); c1b = madd(a, b1, c1b);
    a = i32x4.shuffle(av, av, 2, 2, 2, 2);
    c2a = madd(a, b0, c2a); c2b = madd(a, b1, c2b);
    a = i32x4.shuffle(av, av, 3, 3, 3, 3);
    c3a = madd(a, b0, c3a); c3b = madd(a, b1, c3b);
    pa += 16; pb += 32;
  }
  if (mr == MR && nr == NR) {
    if (addC) {
      c0a = f32x4.add(c0a, v128.load(c)); c0b = f32x4.add(c0b, v128.load(c, 16));
      c1a = f32x4.add(c1a, v128.load(c + ldc)); c1b = f32x4.add(c1b, v128.load(c + ldc, 16));
      c2a = f32x4.add(c2a, v128.load(c + 2 * ldc)); c2b = f32x4.add(c2b, v128.load(c + 2 * ldc, 16));
      c3a = f32x4.add(c3a, v128.load(c + 3 * ldc)); c3b = f32x4.add(c3b, v128.load(c + 3 * ldc, 16));
    }
    v128.store(c, c0a); v128.store(c, c0b, 16);
    v128.store(c + ldc, c1a); v128.store(c + ldc, c1b, 16);
    v128.store(c + 2 * ldc, c2a); v128.store(c + 2 * ldc, c2b, 16);
    v128.store(c + 3 * ldc, c3a); v128.store(c + 3 * ldc, c3b, 16);
    return;
  }
  const t = tile;
  v128.store(t, c0a); v128.store(t, c0b, 16); v128.store(t, c1a, 32); v128.store(t, c1b, 48);
  v128.store(t, c2a, 64); v128.store(t, c2b, 80); v128.store(t, c3a, 96); v128.store(t, c3b, 112);
  for (let r = 0; r < mr; r++) {
    const row = c + <usize>r * ldc;
    const trow = t + (<usize>(r * NR) << 2);
    for (let j = 0; j < nr; j++) {
      const p = row + (<usize>j << 2);
      const v = load<f32>(trow + (<usize>j << 2));
      store<f32>(p, addC ? load<f32>(p) + v : v);
    }
  }
}

/**
 * C(M,N) = op(A) @ op(B) (+ C if accumulate). op(A) is (M,K): A is stored row-major with row
 * stride lda (M rows of K), or (K rows of M) when transA. op(B) is (K,N): B is stored with row
 * stride ldb (K rows of N), or (N rows of K) when transB. C has row stride ldc. Strides are in
 * elements, pointers are byte offsets; c must not overlap a or b. scratch: scratchBytes() bytes
 * that no concurrent call uses.
 */
export function matmul(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, lda: i32, ldb: i32, ldc: i32,
  transA: i32, transB: i32, accumulate: i32, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  const ldcb = <usize>ldc << 2;
  if (K <= 0) {
    if (!accumulate) for (let i = 0; i < M; i++) memory.fill(c + <usize>i * ldcb, 0, <usize>N << 2);
    return;
  }
  const packedA = scratch, packedB = scratch + PACK_A_BYTES, tile = packedB + PACK_B_BYTES;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      packB(packedB, b, ldb, transB, jc, nc, pc, kc);
      // The first K block overwrites C unless the caller asked to accumulate; later ones add.
      const addC = accumulate != 0 || pc > 0;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(packedA, a, lda, transA, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = packedB + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const pa = packedA + (<usize>(ir * kc) << 2);
            const cp = c + <usize>(ic + ir) * ldcb + (<usize>(jc + jr) << 2);
            microKernel(kc, pa, pb, cp, ldcb, addC, min(MR, mc - ir), nr, tile);
          }
        }
      }
    }
  }
}
