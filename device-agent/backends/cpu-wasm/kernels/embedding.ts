// Token + position embedding lookup, forward and backward (cpu-wasm backend). Backward scatters
// dout rows into dwte (by token id) and dwpe (by position) and accumulates, so a tied wte also
// collects the LM head's gradient. Bounds-checks ids: a bad id names itself and the vocab size.
import type { OpKernels } from '../../../core/ops.js';

export const embedding: OpKernels['embedding'] = {
  forward(out, ids, wte, wpe, B, T, C) {
    const V = wte.length / C;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const id = ids[b * T + t];
        if (id < 0 || id >= V) throw new Error(`embedding: token id ${id} at (${b}, ${t}) is outside the vocabulary (size ${V}); the data was tokenised with a different tokenizer`);
        const o = (b * T + t) * C;
        for (let i = 0; i < C; i++) out[o + i] = wte[id * C + i] + wpe[t * C + i];
      }
    }
  },
  backward(dwte, dwpe, dout, ids, B, T, C) {
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * C;
        const id = ids[b * T + t];
        if (dwte) for (let i = 0; i < C; i++) dwte[id * C + i] += dout[o + i];
        if (dwpe) for (let i = 0; i < C; i++) dwpe[t * C + i] += dout[o + i];
      }
    }
  },
};
