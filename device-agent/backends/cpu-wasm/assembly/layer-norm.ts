// LayerNorm over the last dimension C, forward and backward, on rows [r0, r1) (dx) or 4-column
// groups [c0, c1) (dw, db: sums over rows, so threads split columns, not rows). Row statistics are
// summed in f64 like the reference; elementwise work is f32x4.
// Backward follows llm.c: dx = rstd * (w*g - mean(w*g) - norm * mean(w*g*norm)).
import { hsum } from './simd-math';

export function layerNormForward(out: usize, mean: usize, rstd: usize, x: usize, w: usize, b: usize, C: i32, eps: f32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const xr = x + ((<usize>r * <usize>C) << 2), orow = out + ((<usize>r * <usize>C) << 2);
    let acc = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= C; i += 4) acc = f32x4.add(acc, v128.load(xr + (<usize>i << 2)));
    let s = <f64>hsum(acc);
    for (; i < C; i++) s += <f64>load<f32>(xr + (<usize>i << 2));
    const m = <f32>(s / C);
    const mv = f32x4.splat(m);
    acc = f32x4.splat(0);
    for (i = 0; i + 4 <= C; i += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>i << 2)), mv);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    let var_ = <f64>hsum(acc);
    for (; i < C; i++) { const d = load<f32>(xr + (<usize>i << 2)) - m; var_ += <f64>(d * d); }
    const rs = <f32>(1 / Math.sqrt(var_ / C + eps));
    const rv = f32x4.splat(rs);
    for (i = 0; i + 4 <= C; i += 4) {
      const o = <usize>i << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), rv);
      v128.store(orow + o, f32x4.add(f32x4.mul(n, v128.load(w + o)), v128.load(b + o)));
    }
    for (; i < C; i++) {
      const o = <usize>i << 2;
      store<f32>(orow + o, (load<f32>(xr + o) - m) * rs * load<f32>(w + o) + load<f32>(b + o));
    }
    store<f32>(mean + (<usize>r << 2), m);
    store<f32>(rstd + (<usize>r << 2), rs);
  }
}

export function layerNormBackwardX(dx: usize, dout: usize, x: usize, w: usize, mean: usize, rstd: usize, C: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const off = (<usize>r * <usize>C) << 2;
    const xr = x + off, gr = dout + off, dr = dx + off;
    const m = load<f32>(mean + (<usize>r << 2)), s = load<f32>(rstd + (<usize>r << 2));
    const mv = f32x4.splat(m), sv = f32x4.splat(s);
    let a1 = f32x4.splat(0), a2 = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= C; i += 4) {
      const o = <usize>i << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), sv);
      const dn = f32x4.mul(v128.load(w + o), v128.load(gr + o));
      a1 = f32x4.add(a1, dn);
      a2 = f32x4.add(a2, f32x4.mul(dn, n));
    }
    let s1 = <f64>hsum(a1), s2 = <f64>hsum(a2);
    for (; i < C; i++) {
      const o = <usize>i << 2;
      const n = (load<f32>(xr + o) - m) * s;
      const dn = load<f32>(w + o) * load<f32>(gr + o);
      s1 += <f64>dn;
      s2 += <f64>(dn * n);
    }
    const dm = <f32>(s1 / C), dnm = <f32>(s2 / C);
    const dmv = f32x4.splat(dm), dnmv = f32x4.splat(dnm);
    for (i = 0; i + 4 <= C; i += 4) {
      const o = <usize>i << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), sv);
      const dn = f32x4.mul(v128.load(w + o), v128.load(gr + o));
      const d = f32x4.mul(f32x4.sub(f32x4.sub(dn, dmv), f32x4.mul(n, dnmv)), sv);
      v128.store(dr + o, f32x4.add(v128.load(dr + o), d));
    }
    for (; i < C; i++) {
      const o = <usize>i << 2;
      const n = (load<f32>(xr + o) - m) * s;
      const dn = load<f32>(w + o) * load<f32>(gr + o);
      store<f32>(dr + o, load<f32>(dr + o) + (dn - dm - n * dnm) * s);
    }
  }
}

/**
 * dw[c] += sum_r norm[r,c] * dout[r,c], db[c] += sum_r dout[r,c] for columns [c0, c1), row by row
 * (the column range's accumulators stay in L1); dw or db may be 0 (not wanted).
 */
export function layerNormBackwardW(dw: usize, db: usize, dout: usize, x: usize, mean: usize, rstd: usize, rows: i32, C: i32, c0: i32, c1: i32): void {
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>C) << 2;
    const m = load<f32>(mean + (<usize>r << 2)), s = load<f32>(rstd + (<usize>r << 2));
    const mv = f32x4.splat(m), sv = f32x4.splat(s);
    let c = c0;
    for (; c + 4 <= c1; c += 4) {
      const o = <usize>c << 2;
      const g = v128.load(dout + off + o);
      if (db) v128.store(db + o, f32x4.add(v128.load(db + o), g));
      if (dw) v128.store(dw + o, f32x4.add(v128.load(dw + o), f32x4.mul(f32x4.mul(f32x4.sub(v128.load(x + off + o), mv), sv), g)));
    }
    for (; c < c1; c++) {
      const o = <usize>c << 2;
      const g = load<f32>(dout + off + o);
      if (db) store<f32>(db + o, load<f32>(db + o) + g);
      if (dw) store<f32>(dw + o, load<f32>(dw + o) + (load<f32>(x + off + o) - m) * s * g);
    }
  }
}
