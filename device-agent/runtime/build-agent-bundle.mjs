// Builds the browser agent into out/agent/: index.html, agent-page.js, agent-worker.js and the
// WASM kernels, which the hub serves at /agent/. Skips work when the output is newer than every
// source file. Run by `npm run build:agent` (and before tests that need it).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.join(root, 'out/agent');
const wasmDir = path.join(root, 'device-agent/backends/cpu-wasm/build');
const wasm = path.join(wasmDir, 'kernels.wasm');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (!['build', 'node_modules'].includes(e.name)) t = Math.max(t, newest(p)); }
    else t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

if (!existsSync(wasm)) throw new Error(`missing ${wasm}: run npm run build:wasm first`);
// every kernel build (plain / relaxed SIMD, shared-memory variants) and the matmul worker script
const kernelFiles = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm') || f.endsWith('.js'));
const outputs = ['index.html', 'agent-page.js', 'agent-worker.js', ...kernelFiles].map((f) => path.join(out, f));
const srcTime = Math.max(newest(path.join(root, 'device-agent')), ...kernelFiles.map((f) => statSync(path.join(wasmDir, f)).mtimeMs));
if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= srcTime)) {
  console.log('agent bundle: up to date');
} else {
  mkdirSync(out, { recursive: true });
  const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true, external: ['node:*'], logLevel: 'warning' };
  await build({ ...common, entryPoints: [path.join(here, 'browser-worker.ts')], outfile: path.join(out, 'agent-worker.js') });
  await build({ ...common, entryPoints: [path.join(here, 'agent-page.ts')], outfile: path.join(out, 'agent-page.js') });
  copyFileSync(path.join(here, 'index.html'), path.join(out, 'index.html'));
  for (const f of kernelFiles) copyFileSync(path.join(wasmDir, f), path.join(out, f));
  console.log(`agent bundle: built ${path.relative(root, out)}`);
}
