// Global L2 gradient-norm clipping over the trainable parameters, as torch.nn.utils.clip_grad_norm_:
// the norm is accumulated in float64; if it exceeds maxNorm every gradient is scaled by
// maxNorm / (norm + 1e-6). Returns the norm before clipping (what torch returns and we log).
// The train loop splits this in two: gradNorm + clipScale here, and the scaling inside AdamW.step,
// so a sharded gradient is read once for the norm and once for its update, never rewritten between.
import type { ParameterTable } from '../core/parameter-table.js';

/** The global L2 norm of the trainable parameters' gradients (float64 accumulation). */
export function gradNorm(params: ParameterTable): number {
  let sq = 0;
  for (const p of params.trainable()) {
    const g = p.tensor.grad;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  }
  return Math.sqrt(sq);
}

/** The factor every gradient is multiplied by: 1 unless the norm exceeds maxNorm (> 0). */
export function clipScale(norm: number, maxNorm: number): number {
  return maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
}

export function clipGradNorm(params: ParameterTable, maxNorm: number): number {
  const norm = gradNorm(params);
  const coef = clipScale(norm, maxNorm);
  if (coef !== 1) {
    for (const p of params.trainable()) {
      const g = p.tensor.grad;
      if (g) for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
  }
  return norm;
}
