// Global L2 gradient-norm clipping over the trainable parameters, as torch.nn.utils.clip_grad_norm_:
// the norm is accumulated in float64; if it exceeds maxNorm every gradient is scaled by
// maxNorm / (norm + 1e-6). Returns the norm before clipping (what torch returns and we log).
import type { ParameterTable } from '../core/parameter-table.js';

export function clipGradNorm(params: ParameterTable, maxNorm: number): number {
  let sq = 0;
  for (const p of params.trainable()) {
    const g = p.tensor.grad;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  }
  const norm = Math.sqrt(sq);
  if (maxNorm > 0 && norm > maxNorm) {
    const coef = maxNorm / (norm + 1e-6);
    for (const p of params.trainable()) {
      const g = p.tensor.grad;
      if (g) for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
  }
  return norm;
}
