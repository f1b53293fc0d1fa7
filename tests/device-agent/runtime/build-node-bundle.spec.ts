// build-node-bundle.mjs: a Node bundle runs under plain node (no loader) and finds the WASM kernels
// and the matmul worker copied next to it; a set is rebuilt exactly when one of its inputs changed
// or an output went missing, and left alone otherwise.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildNodeBundles, repoRoot } from '../../../device-agent/runtime/build-node-bundle.mjs';
import { agentNodeFlags } from '../../../device-agent/cli/node-flags.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'fleettune-node-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildNodeBundles', () => {
  it('bundles an entry that loads the kernels; rebuilds only when an input changed or an output is missing', async () => {
    const entry = path.join(dir, 'probe.ts');
    const kernelsModule = path.join(repoRoot, 'device-agent/backends/cpu-wasm/wasm-kernels.ts');
    writeFileSync(entry, `import { loadWasmKernels } from ${JSON.stringify(kernelsModule)};
const k = await loadWasmKernels(undefined, { threads: 2 });
const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([5, 6, 7, 8]), c = new Float32Array(4);
k.matmul(a, b, c, 2, 2, 2, false, false, false);
console.log(JSON.stringify({ variant: k.variant, threads: k.threads, notes: k.notes, c: [...c] }));
k.dispose();
`);
    const outDir = path.join(dir, 'out');
    const opts = { outDir, entries: { probe: entry } };
    const first = await buildNodeBundles(opts);
    expect(first).toMatchObject({ built: true, reason: 'not built yet', files: { probe: path.join(outDir, 'probe.js') } });

    const r = spawnSync(process.execPath, [...agentNodeFlags(), first.files.probe], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/tsx/);
    // the relaxed build and (2 threads) the shared build + matmul-worker.js were found in outDir/build/
    expect(JSON.parse(r.stdout)).toEqual({ variant: 'relaxed-simd', threads: 2, notes: [], c: [19, 22, 43, 50] });

    expect(await buildNodeBundles(opts)).toMatchObject({ built: false, reason: 'up to date' });
    const later = new Date(Date.now() + 5000);
    utimesSync(entry, later, later);
    expect(await buildNodeBundles(opts)).toMatchObject({ built: true, reason: `${path.relative(repoRoot, entry)} changed` });
    rmSync(path.join(outDir, 'build/kernels-relaxed.wasm'));
    expect(await buildNodeBundles(opts)).toMatchObject({ built: true, reason: 'missing build/kernels-relaxed.wasm' });
    expect(await buildNodeBundles({ ...opts, entries: { other: entry } })).toMatchObject({ built: true, reason: 'other entries' });
  });
});
