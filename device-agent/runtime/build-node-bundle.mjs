// Builds Node bundles: plain ESM JavaScript that plain `node` runs with no loader. Running the agent
// under `--import tsx` cost each process ~40 MB of RSS at start (56 vs ~100 MB) and 10-45 MB at
// its training peak (benchmarks/README.md); a bundle costs nothing of that. Two sets:
//   out/node-agent/agent.js  the local agent (node-entry.ts), launched by main/transports/local-transport.ts
//   out/bench/*.js           the benchmark children (benchmarks/lib/node-child.ts asks for them)
// The WASM kernels and matmul-worker.js go to <outDir>/build/: wasm-kernels.ts looks for
// ./build/kernels.wasm relative to its module URL, which in a bundle is the bundle's own URL.
// A set is rebuilt only when an input changed: <outDir>/inputs.json lists every file esbuild read
// (sources and node_modules), the kernels and this script, with the time the build started.
// Outputs are written to a temporary name and renamed, so a process starting the agent while
// another rebuilds it never reads half a file.
// CLI: `node device-agent/runtime/build-node-bundle.mjs [--force] [--quiet]` builds the agent set
// (run by `npm run build:agent`, and by LocalTransport before it launches the agent).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
const wasmDir = path.join(repoRoot, 'device-agent/backends/cpu-wasm/build');

/** The local agent's bundle set. */
export const agentBundle = { outDir: path.join(repoRoot, 'out/node-agent'), entries: { agent: path.join(repoRoot, 'device-agent/runtime/node-entry.ts') } };

function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

function mtime(file) {
  try { return statSync(file).mtimeMs; } catch { return Infinity; } // gone: rebuild
}

function kernelFiles() {
  if (!existsSync(path.join(wasmDir, 'kernels.wasm'))) throw new Error(`missing ${path.join(wasmDir, 'kernels.wasm')}: run \`npm run build:wasm\` first`);
  return readdirSync(wasmDir).filter((f) => f.endsWith('.wasm') || f.endsWith('.js')).map((f) => path.join(wasmDir, f));
}

const relEntries = (entries) => Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, path.relative(repoRoot, path.resolve(repoRoot, v))]));

/** Why the set in outDir must be rebuilt for these entries, or null when it is up to date. */
function staleReason(outDir, entries) {
  const manifestFile = path.join(outDir, 'inputs.json');
  if (!existsSync(manifestFile)) return 'not built yet';
  let m;
  try { m = JSON.parse(readFileSync(manifestFile, 'utf8')); } catch { return 'unreadable inputs.json'; }
  if (JSON.stringify(m.entries) !== JSON.stringify(relEntries(entries))) return 'other entries';
  for (const f of m.outputs) if (!existsSync(path.join(outDir, f))) return `missing ${f}`;
  for (const f of m.inputs) if (mtime(path.resolve(repoRoot, f)) > m.builtAt) return `${f} changed`;
  const kernels = kernelFiles();
  if (kernels.length !== m.kernels.length) return 'the kernel build changed';
  for (const f of kernels) if (mtime(f) > m.builtAt) return `${path.relative(repoRoot, f)} changed`;
  return null;
}

/**
 * Builds `entries` ({ name: source path }) into outDir/<name>.js (+ .js.map) unless up to date.
 * Returns { built, reason, files: { name: absolute path of the bundle } }.
 */
export async function buildNodeBundles({ outDir, entries, force = false, log = () => {} }) {
  const files = Object.fromEntries(Object.keys(entries).map((name) => [name, path.join(outDir, `${name}.js`)]));
  const reason = force ? 'forced' : staleReason(outDir, entries);
  if (!reason) return { built: false, reason: 'up to date', files };
  const builtAt = Date.now();
  const kernels = kernelFiles(); // before esbuild: a missing kernel build fails first, with its fix
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: repoRoot, // metafile paths relative to the repo
    entryPoints: entries,
    outdir: outDir,
    entryNames: '[name]',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // CommonJS dependencies (ws) call require() for Node built-ins; ESM has no require, so give it one.
    banner: { js: "import { createRequire as __fleettuneRequire } from 'node:module'; const require = __fleettuneRequire(import.meta.url);" },
    sourcemap: 'linked', // stack traces map back with NODE_OPTIONS=--enable-source-maps
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(path.join(outDir, 'build'), { recursive: true });
  for (const f of kernels) {
    const tmp = path.join(outDir, 'build', `${path.basename(f)}.${process.pid}.tmp`);
    copyFileSync(f, tmp);
    renameSync(tmp, path.join(outDir, 'build', path.basename(f)));
  }
  for (const o of result.outputFiles) writeAtomic(o.path, o.contents);
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !/^[a-z-]+:/.test(f)); // not esbuild's virtual modules
  inputs.push(path.relative(repoRoot, fileURLToPath(import.meta.url)));
  const outputs = [...result.outputFiles.map((o) => path.relative(outDir, o.path)), ...kernels.map((f) => `build/${path.basename(f)}`)];
  writeAtomic(path.join(outDir, 'inputs.json'), JSON.stringify({ builtAt, entries: relEntries(entries), outputs, kernels: kernels.map((f) => path.basename(f)), inputs }, null, 1));
  log(`node bundles: built ${Object.keys(entries).join(', ')} in ${path.relative(repoRoot, outDir) || outDir} (${reason})`);
  return { built: true, reason, files };
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--force' && a !== '--quiet');
  if (unknown.length) {
    console.error(`build-node-bundle: unknown argument ${unknown[0]} (usage: node device-agent/runtime/build-node-bundle.mjs [--force] [--quiet])`);
    process.exit(2);
  }
  const quiet = args.includes('--quiet');
  buildNodeBundles({ ...agentBundle, force: args.includes('--force'), log: quiet ? () => {} : console.log }).then(
    (r) => { if (!r.built && !quiet) console.log('node agent bundle: up to date'); },
    (e) => { console.error(`build-node-bundle: ${e.message}`); process.exit(1); },
  );
}
