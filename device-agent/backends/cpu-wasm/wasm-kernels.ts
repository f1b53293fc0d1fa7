// JS side of the cpu-wasm kernels: loads build/kernels.wasm (built by build-wasm.mjs from
// assembly/), owns its linear memory and exposes the kernels on Float32Arrays. Runs in Node and in
// browsers (node:fs is only imported dynamically, in Node). Not an op registry or a tensor type:
// tensors still live in JS arrays, so every call copies its operands in and its result out.
// Memory contract (README.md): the module imports env.memory; bytes below arenaBase() belong to the
// module (static data + packing scratch); this class lays operands out from arenaBase() upward.

const PAGE_BYTES = 65536;
const MAX_PAGES = 65536; // 4 GiB: the wasm32 limit
const ALIGN = 64; // operands start on cache lines

interface KernelExports {
  arenaBase(): number;
  matmul(a: number, b: number, c: number, M: number, N: number, K: number, transA: number, transB: number, accumulate: number): void;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const missingBuild = (where: string) =>
  new Error(`WASM kernels not found at ${where}: run \`npm run build:wasm\` to build them`);

async function readBytes(source: Uint8Array | URL | string | undefined): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const url = source === undefined ? new URL('./build/kernels.wasm', import.meta.url) : source;
  const isFile = url instanceof URL ? url.protocol === 'file:' : !/^(https?|blob|data):/.test(url);
  if (isNode && isFile) {
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(typeof url === 'string' && url.startsWith('file:') ? new URL(url) : url);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missingBuild(String(url));
      throw err;
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw res.status === 404 ? missingBuild(String(url)) : new Error(`loading WASM kernels from ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Loads the kernels. Default source: build/kernels.wasm next to this module. */
export async function loadWasmKernels(source?: Uint8Array | URL | string): Promise<WasmKernels> {
  const bytes = await readBytes(source);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
  // The cast picks the (bytes) overload; lib.dom types BufferSource as ArrayBuffer-backed only.
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return new WasmKernels(memory, instance.exports as unknown as KernelExports);
}

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

function checkDims(M: number, N: number, K: number): void {
  for (const [name, v] of [['M', M], ['N', N], ['K', K]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`matmul: ${name} must be a non-negative integer, got ${v}`);
  }
}

function checkLength(what: string, arr: Float32Array, need: number, shape: string): void {
  if (arr.length < need) throw new Error(`matmul: ${what} has ${arr.length} elements, needs at least ${need} for shape ${shape}`);
}

export class WasmKernels {
  private readonly base: number;
  private f32: Float32Array;
  // One cached view per operand slot, so repeated shapes allocate nothing.
  private readonly views: (Float32Array | null)[] = [null, null, null];

  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly exports: KernelExports,
  ) {
    this.base = exports.arenaBase();
    this.f32 = new Float32Array(memory.buffer);
    this.ensure(this.base);
  }

  /**
   * c(M,N) = op(a) @ op(b) (+ c if accumulate). op(a) is (M,K): a is row-major (M,K), or (K,M) if
   * transA. op(b) is (K,N): b is (K,N), or (N,K) if transB. Extra trailing elements are ignored.
   */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean): void {
    checkDims(M, N, K);
    const sa = M * K, sb = K * N, sc = M * N;
    checkLength('a', a, sa, transA ? `(K=${K}, M=${M}) (transA)` : `(M=${M}, K=${K})`);
    checkLength('b', b, sb, transB ? `(N=${N}, K=${K}) (transB)` : `(K=${K}, N=${N})`);
    checkLength('c', c, sc, `(M=${M}, N=${N})`);
    if (sc === 0) return;
    const offA = this.base, offB = alignUp(offA + 4 * sa), offC = alignUp(offB + 4 * sb);
    this.ensure(offC + 4 * sc);
    this.copyIn(a, sa, offA);
    this.copyIn(b, sb, offB);
    if (accumulate) this.copyIn(c, sc, offC);
    this.exports.matmul(offA, offB, offC, M, N, K, transA ? 1 : 0, transB ? 1 : 0, accumulate ? 1 : 0);
    c.set(this.view(2, offC, sc));
  }

  /** Grows memory to at least `bytes` and refreshes views (growing detaches the old buffer). */
  private ensure(bytes: number): void {
    const pages = Math.ceil(bytes / PAGE_BYTES);
    const have = this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > MAX_PAGES) throw new Error(`WasmKernels: operands need ${bytes} bytes, over the 4 GiB wasm32 limit; split the matmul`);
    if (pages > have) this.memory.grow(pages - have);
    if (this.f32.buffer !== this.memory.buffer) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.views.fill(null);
    }
  }

  private copyIn(src: Float32Array, n: number, off: number): void {
    this.f32.set(src.length === n ? src : src.subarray(0, n), off >> 2);
  }

  private view(slot: number, off: number, n: number): Float32Array {
    const v = this.views[slot];
    if (v && v.byteOffset === off && v.length === n && v.buffer === this.f32.buffer) return v;
    return (this.views[slot] = new Float32Array(this.memory.buffer, off, n));
  }
}
