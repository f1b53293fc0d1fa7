// The backend-free op vocabulary: every op a model may use, its kernel signature and shape rule.
// Kernels (one file per op per backend, same base name) implement these signatures on flat
// row-major Float32Arrays and register into registry.ts. Backward kernels ACCUMULATE into their
// gradient outputs (+=), so a tensor used twice (tied embeddings, residuals) sums its gradients.
// Follows tfjs/onnxruntime-web: op definitions here, no math here.

/** Rows [v0, v1) of a (V, C) matrix, row-major: a view, or rows fetched from a parameter store. */
export type RowSource = (v0: number, v1: number) => Float32Array;
/** Accumulate a gradient for rows [v0, v1) of a (V, C) matrix. */
export type RowSink = (v0: number, v1: number, d: Float32Array) => void;

export interface OpKernels {
  /** C(M,N) (+)= op(A)(M,K) @ op(B)(K,N); A stored (K,M) if transA, B stored (N,K) if transB. */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean): void;
  /** out(rows,cols) += bias(cols) broadcast over rows; backward: dbias += column sums of dout. */
  'bias-add': {
    forward(out: Float32Array, bias: Float32Array, rows: number, cols: number): void;
    backward(dbias: Float32Array, dout: Float32Array, rows: number, cols: number): void;
  };
  /** out = a + b (elementwise, same size). */
  add: { forward(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void };
  /** out = s * x; backward dx += s * dout. */
  scale: {
    forward(out: Float32Array, x: Float32Array, s: number, n: number): void;
    backward(dx: Float32Array, dout: Float32Array, s: number, n: number): void;
  };
  /** LayerNorm over the last dim C of x(rows, C); saves mean and rstd (rows) for backward. */
  'layer-norm': {
    forward(out: Float32Array, mean: Float32Array, rstd: Float32Array, x: Float32Array, w: Float32Array, b: Float32Array, rows: number, C: number, eps: number): void;
    backward(dx: Float32Array | null, dw: Float32Array | null, db: Float32Array | null, dout: Float32Array, x: Float32Array, w: Float32Array, mean: Float32Array, rstd: Float32Array, rows: number, C: number): void;
  };
  /** GELU, tanh approximation (as Hugging Face GPT-2's gelu_new). */
  gelu: {
    forward(out: Float32Array, x: Float32Array, n: number): void;
    backward(dx: Float32Array, x: Float32Array, dout: Float32Array, n: number): void;
  };
  /**
   * Causal multi-head self-attention from fused qkv(B,T,3C) to out(B,T,C). Saves only the
   * log-sum-exp of each score row, lse(B,H,T); backward recomputes the probabilities from it, so no
   * (T,T) block outlives one row of one head.
   */
  attention: {
    forward(out: Float32Array, lse: Float32Array, qkv: Float32Array, B: number, T: number, C: number, H: number): void;
    backward(dqkv: Float32Array, dout: Float32Array, qkv: Float32Array, lse: Float32Array, B: number, T: number, C: number, H: number): void;
  };
  /** Softmax cross-entropy over logits(N,V) with integer targets(N); saves probs(N,V); writes per-row losses. */
  'cross-entropy': {
    forward(losses: Float32Array, probs: Float32Array, logits: Float32Array, targets: Int32Array, N: number, V: number): void;
    /** dlogits += dscale * (probs - onehot(targets)). */
    backward(dlogits: Float32Array, probs: Float32Array, targets: Int32Array, N: number, V: number, dscale: number): void;
  };
  /**
   * Tied LM head + softmax cross-entropy in vocabulary chunks: logits = x(N,C) @ W(V,C)^T are made
   * `chunk` columns at a time and never exist whole (N*V floats: 100+ MB for GPT-2). Forward writes
   * per-row losses and the log-sum-exp, and when dxu is given, d(sum of row losses)/dx (N,C) in
   * the same pass; backward recomputes each chunk's logits (needed for dW, or dx without dxu).
   */
  'lm-head-cross-entropy': {
    forward(losses: Float32Array, lse: Float32Array, dxu: Float32Array | null, x: Float32Array, w: RowSource, targets: Int32Array, N: number, C: number, V: number, chunk: number): void;
    /** dx += dlogits @ W; dW += dlogits^T @ x (when dw is given), with dlogits = dscale * (softmax - onehot). */
    backward(dx: Float32Array | null, dw: RowSink | null, x: Float32Array, w: RowSource, targets: Int32Array, lse: Float32Array, N: number, C: number, V: number, chunk: number, dscale: number): void;
  };
  /** out(B,T,C) = wte[ids] + wpe[0:T]; backward scatters dout into dwte rows and dwpe rows. */
  embedding: {
    forward(out: Float32Array, ids: Int32Array, wte: Float32Array, wpe: Float32Array, B: number, T: number, C: number): void;
    backward(dwte: Float32Array | null, dwpe: Float32Array | null, dout: Float32Array, ids: Int32Array, B: number, T: number, C: number): void;
  };
  /** Inverted dropout with a precomputed keep mask (1/(1-p) or 0 per element). */
  dropout: { forward(out: Float32Array, x: Float32Array, mask: Float32Array, n: number): void };
  /** out(n) = the float32 values of float16 bit patterns (exact; the sharder's fp16 storage). */
  'float16-to-float32'(out: Float32Array, bits: Uint16Array, n: number): void;
  /** One AdamW update in place, torch.optim.AdamW's formula (decoupled weight decay, bias corrections bc1/bc2). */
  adamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void;
}

export type OpName = keyof OpKernels;

/** Every op in the vocabulary, with a one-line shape rule (for docs and the backend parity test). */
export const opShapes: Record<OpName, string> = {
  matmul: '(M,K) x (K,N) -> (M,N), either operand optionally stored transposed',
  'bias-add': '(rows,cols) + (cols) -> (rows,cols)',
  add: '(n) + (n) -> (n)',
  scale: '(n) * scalar -> (n)',
  'layer-norm': '(rows,C), w (C), b (C) -> (rows,C) + mean/rstd (rows)',
  gelu: '(n) -> (n)',
  attention: 'qkv (B,T,3C) -> (B,T,C) + lse (B,H,T)',
  'cross-entropy': 'logits (N,V), targets (N) -> losses (N) + probs (N,V)',
  'lm-head-cross-entropy': 'x (N,C), W (V,C) in row chunks, targets (N) -> losses (N) + lse (N)',
  embedding: 'ids (B,T), wte (V,C), wpe (P,C) -> (B,T,C)',
  dropout: '(n), mask (n) -> (n)',
  adamw: 'p, g, m, v (n) -> in place',
  'float16-to-float32': 'uint16 bits (n) -> (n)',
};

export const opNames = Object.keys(opShapes) as OpName[];
