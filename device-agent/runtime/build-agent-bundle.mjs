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
const wasm = path.join(root, 'device-agent/backends/cpu-wasm/build/kernels.wasm');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (!['build', 'node_modules'].includes(e.name)) t = Math.max(t, newest(p)); }
    else t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const outputs = ['index.html', 'agent-page.js', 'agent-worker.js', 'kernels.wasm'].map((f) => path.join(out, f));
if (!existsSync(wasm)) throw new Error(`missing ${wasm}: run npm run build:wasm first`);
const srcTime = Math.max(newest(path.join(root, 'device-agent')), statSync(wasm).mtimeMs);
if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= srcTime)) {
  console.log('agent bundle: up to date');
} else {
  mkdirSync(out, { recursive: true });
  const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true, external: ['node:*'], logLevel: 'warning' };
  await build({ ...common, entryPoints: [path.join(here, 'browser-worker.ts')], outfile: path.join(out, 'agent-worker.js') });
  await build({ ...common, entryPoints: [path.join(here, 'agent-page.ts')], outfile: path.join(out, 'agent-page.js') });
  copyFileSync(path.join(here, 'index.html'), path.join(out, 'index.html'));
  copyFileSync(wasm, path.join(out, 'kernels.wasm'));
  console.log(`agent bundle: built ${path.relative(root, out)}`);
}
