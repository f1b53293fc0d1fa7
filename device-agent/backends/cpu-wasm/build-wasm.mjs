// Builds the cpu-wasm kernels: assembly/kernels.ts (AssemblyScript) -> four modules in build/, with
// the local assemblyscript compiler's API (no global install): plain SIMD or relaxed SIMD (FMA), each
// with a private or a shared (threads) memory, plus a copy of kernel-worker.js, so that build/ holds
// everything loadWasmKernels needs side by side. Not a bundler step. Skips the build when every
// output is newer than every source and this script, so `pretest` costs nothing when nothing changed.
// Flags and the memory contract: README.md.
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.join(here, 'assembly', 'kernels.ts');

const COMMON = [
  '-O3',
  '--noAssert',
  '--enable', 'simd',
  '--runtime', 'stub', // kernels never allocate: no GC, no allocator calls
  '--importMemory', // JS owns the (growable) WebAssembly.Memory as env.memory
  '--noExportMemory',
  '--use', 'abort=', // no env.abort import: the module's only import is the memory
];
const RELAXED = ['--enable', 'relaxed-simd'];
// A shared memory must declare its maximum; 65536 pages = 4 GiB, the wasm32 limit. The host may
// create a smaller one (a memory may promise a lower maximum than the import allows).
const SHARED = ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'];

// File names are the contract with wasm-kernels.ts (and the agent bundle, which copies them).
const VARIANTS = [
  { file: 'kernels.wasm', flags: [] },
  { file: 'kernels-relaxed.wasm', flags: RELAXED },
  { file: 'kernels-shared.wasm', flags: SHARED },
  { file: 'kernels-relaxed-shared.wasm', flags: [...RELAXED, ...SHARED] },
];

async function mtime(file) {
  try { return (await stat(file)).mtimeMs; } catch { return -1; }
}

async function newestSource() {
  const dir = path.join(here, 'assembly');
  const names = (await readdir(dir)).filter((n) => n.endsWith('.ts'));
  const times = await Promise.all([...names.map((n) => mtime(path.join(dir, n))), mtime(fileURLToPath(import.meta.url))]);
  return Math.max(...times);
}

const outs = VARIANTS.map((v) => path.join(here, 'build', v.file));
const rel = path.relative(process.cwd(), path.join(here, 'build'));
const sources = await newestSource();
// Only the outputs older than the sources (or missing) are rebuilt.
const todo = [];
for (let i = 0; i < VARIANTS.length; i++) if ((await mtime(outs[i])) <= sources) todo.push(i);

// The worker script is plain JavaScript: copied, not built.
const worker = path.join(here, 'kernel-worker.js'), workerOut = path.join(here, 'build', 'kernel-worker.js');
if ((await mtime(workerOut)) < (await mtime(worker))) {
  await mkdir(path.dirname(workerOut), { recursive: true });
  await copyFile(worker, workerOut);
}

if (todo.length === 0) {
  console.log(`build:wasm: ${rel}/*.wasm are up to date`);
} else {
  const started = performance.now();
  const { default: asc } = await import('assemblyscript/asc');
  await mkdir(path.join(here, 'build'), { recursive: true });
  const built = [];
  // One compiler instance, one module after another: 2 cores are better spent on the tests.
  for (const i of todo) {
    let log = '';
    const sink = { write: (s) => { log += s; return true; } };
    const { error } = await asc.main([entry, '--outFile', outs[i], ...COMMON, ...VARIANTS[i].flags], { stdout: sink, stderr: sink });
    if (error) {
      process.stderr.write(log);
      console.error(`build:wasm: ${VARIANTS[i].file} failed: ${error.message}`);
      process.exit(1);
    }
    built.push(`${VARIANTS[i].file} ${(await stat(outs[i])).size} B`);
  }
  console.log(`build:wasm: built ${rel}/{${built.join(', ')}} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
