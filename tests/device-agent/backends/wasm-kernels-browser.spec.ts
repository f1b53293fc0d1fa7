// The cpu-wasm kernels in headless Chromium, where the agent trains inside a module Worker: on a
// cross-origin-isolated page (COOP + COEP, as the hub serves it) the FMA build runs on 2 threads
// (nested matmul workers over shared memory) and matches a float64 reference; without isolation the
// same bundle falls back to one thread without error. Serves a bundled test worker and build/ from
// 127.0.0.1. Without Chromium (apt-get install -y chromium) it is skipped with the reason, except
// under CI, where it fails. Needs build/ (`npm run build:wasm`).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/lib/chromium/chromium';
const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found`;
if (missing && !process.env.CI) console.warn(`skipping the cpu-wasm browser tests: ${missing}`);
const withChromium = missing && !process.env.CI ? describe.skip : describe;

const buildDir = fileURLToPath(new URL('../../../device-agent/backends/cpu-wasm/build/', import.meta.url));
const kernelsModule = fileURLToPath(new URL('../../../device-agent/backends/cpu-wasm/wasm-kernels.ts', import.meta.url));

// The module Worker: loads the kernels next to itself, checks a threaded matmul against float64.
const WORKER = `
import { loadWasmKernels } from ${JSON.stringify(kernelsModule)};
self.onmessage = async () => {
  try {
    const k = await loadWasmKernels(new URL('./kernels.wasm', import.meta.url), { threads: 2, parallelMin: 0 });
    const [M, N, K] = [67, 45, 301];
    const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)), b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
    const c = new Float32Array(M * N);
    let worst = 0; // |err| / (gamma_{2K+2} * sum |a b|), as in matmul.spec.ts
    const u = 2 ** -24, g = ((2 * K + 2) * u) / (1 - (2 * K + 2) * u);
    for (let rep = 0; rep < 5; rep++) {
      k.matmul(a, b, c, M, N, K, rep % 2 === 1, false, false);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = 0, m = 0;
        for (let q = 0; q < K; q++) { const p = (rep % 2 === 1 ? a[q * M + i] : a[i * K + q]) * b[q * N + j]; s += p; m += Math.abs(p); }
        worst = Math.max(worst, Math.abs(s - c[i * N + j]) / (g * m));
      }
    }
    postMessage({ variant: k.variant, threads: k.threads, notes: k.notes, worst });
  } catch (e) { postMessage({ error: String(e) }); }
};`;
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
const w = new Worker('./test-worker.js', { type: 'module' });
w.onmessage = (e) => { window.result = e.data; };
w.onerror = (e) => { window.result = { error: 'worker failed: ' + e.message }; };
w.postMessage('go');
</script>`;

let workerJs = '';
let browser: Browser;
let server: http.Server;
let isolate = true;

withChromium('cpu-wasm in headless Chromium', () => {
  beforeAll(async () => {
    const out = await build({ stdin: { contents: WORKER, loader: 'ts', resolveDir: process.cwd() }, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', external: ['node:*'], write: false, logLevel: 'silent' });
    workerJs = out.outputFiles[0].text;
    server = http.createServer(async (req, res) => {
      if (isolate) {
        res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      }
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      const name = (req.url ?? '/').slice(1);
      if (name === '') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
      if (name === 'test-worker.js') return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(workerJs);
      if (/^[\w-]+\.(wasm|js)$/.test(name) && existsSync(buildDir + name)) {
        return res.writeHead(200, { 'Content-Type': name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' }).end(await readFile(buildDir + name));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function run(): Promise<{ variant: string; threads: number; notes: string[]; worst: number; error?: string }> {
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (window as unknown as { result?: unknown }).result, null, { timeout: 60_000 });
      return await page.evaluate(() => (window as unknown as { result: never }).result);
    } finally {
      await page.close();
    }
  }

  it('cross-origin isolated: FMA on 2 threads from inside a Worker, within the float32 bound', async () => {
    isolate = true;
    const r = await run();
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ variant: 'relaxed-simd', threads: 2, notes: [] });
    expect(r.worst).toBeLessThanOrEqual(1);
  });

  it('not isolated: one thread, no error, still correct', async () => {
    isolate = false;
    const r = await run();
    expect(r.error).toBeUndefined();
    expect(r.threads).toBe(1);
    expect(r.notes.join(' ')).toMatch(/SharedArrayBuffer unavailable/);
    expect(r.worst).toBeLessThanOrEqual(1);
  });
});
