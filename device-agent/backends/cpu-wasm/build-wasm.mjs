// Builds the cpu-wasm kernels: assembly/*.ts (AssemblyScript) -> build/kernels.wasm, with the local
// assemblyscript compiler's API (no global install). Not a bundler step: the .wasm is loaded at
// run time by wasm-kernels.ts. Skips the build when the output is newer than every source and this
// script, so `pretest` costs nothing when nothing changed. Flags and the memory contract: README.md.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.join(here, 'assembly', 'matmul.ts');
const out = path.join(here, 'build', 'kernels.wasm');
const rel = path.relative(process.cwd(), out);

const ASC_FLAGS = [
  '-O3',
  '--noAssert',
  '--enable', 'simd',
  '--runtime', 'stub', // kernels never allocate: no GC, no allocator calls
  '--importMemory', // JS owns the (growable) WebAssembly.Memory as env.memory
  '--noExportMemory',
  '--use', 'abort=', // no env.abort import: the module's only import is the memory
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

if ((await mtime(out)) > (await newestSource())) {
  console.log(`build:wasm: ${rel} is up to date`);
} else {
  const started = performance.now();
  const { default: asc } = await import('assemblyscript/asc');
  await mkdir(path.dirname(out), { recursive: true });
  let log = '';
  const sink = { write: (s) => { log += s; return true; } };
  const { error } = await asc.main([entry, '--outFile', out, ...ASC_FLAGS], { stdout: sink, stderr: sink });
  if (error) {
    process.stderr.write(log);
    console.error(`build:wasm: failed: ${error.message}`);
    process.exit(1);
  }
  const { size } = await stat(out);
  console.log(`build:wasm: built ${rel} (${size} bytes) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
