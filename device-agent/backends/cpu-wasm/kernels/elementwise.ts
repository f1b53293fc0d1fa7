// Small elementwise kernels (cpu-wasm backend): bias-add, add, scale, dropout. Grouped in one file
// because each is a few lines; they register under their own op names.
import type { OpKernels } from '../../../core/ops.js';

export const biasAdd: OpKernels['bias-add'] = {
  forward(out, bias, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) out[o + c] += bias[c];
    }
  },
  backward(dbias, dout, rows, cols) {
    // row by row (a column walk strides through memory); sums in f64
    const s = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) s[c] += dout[o + c];
    }
    for (let c = 0; c < cols; c++) dbias[c] += s[c];
  },
};

export const add: OpKernels['add'] = {
  forward(out, a, b, n) {
    for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  },
};

export const scale: OpKernels['scale'] = {
  forward(out, x, s, n) {
    for (let i = 0; i < n; i++) out[i] = s * x[i];
  },
  backward(dx, dout, s, n) {
    for (let i = 0; i < n; i++) dx[i] += s * dout[i];
  },
};

export const dropout: OpKernels['dropout'] = {
  forward(out, x, mask, n) {
    for (let i = 0; i < n; i++) out[i] = x[i] * mask[i];
  },
};
