// End to end in Debian's Chromium (playwright-core) against the browser-served UI (`npm run ui`'s
// startUi, with the renderer built by electron-vite into a temp folder) and a real controller that
// runs the smoke suite on this computer, with a temp results DB and out dir: the fleet shows the
// device, a suite starts, the live chart receives points, the compare view overlays the run with
// its PyTorch reference and an imported JSONL log, and an export produces files. Screenshots of
// every page go to test-artifacts/ui/. Skipped with a reason when Chromium is missing (not in CI).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUi, type UiHandle } from '../../main/cli/ui-cli';
import { repoRoot } from '../../main/transports/local-transport';

const CHROMIUM = '/usr/lib/chromium/chromium';
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing in CI: .ci/run installs chromium`);
if (missing) console.log(`skipping the UI end-to-end test: ${CHROMIUM} not found (apt-get install -y chromium)`);

const shots = path.join(repoRoot, 'test-artifacts/ui');
const errors: string[] = [];
let dir: string;
let ui: UiHandle;
let browser: Browser;
let page: Page;

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(300); // let recharts finish its layout pass
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

/** Waits until the chart card's data-points attribute is at least `n`. */
async function chartPoints(testId: string, n: number, timeout = 60_000): Promise<number> {
  const el = page.getByTestId(testId);
  await expect.poll(async () => Number(await el.getAttribute('data-points') ?? 0), { timeout, interval: 250 }).toBeGreaterThanOrEqual(n);
  return Number(await el.getAttribute('data-points'));
}

describe.skipIf(missing)('the UI in Chromium against a real controller', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleettune-ui-e2e-'));
    mkdirSync(shots, { recursive: true });
    execFileSync('npx', ['electron-vite', 'build', '--outDir', path.join(dir, 'build'), '--logLevel', 'warn'], { cwd: repoRoot, stdio: 'pipe', timeout: 120_000 });
    ui = await startUi({ db: path.join(dir, 'results.db'), out: path.join(dir, 'runs'), suites: path.join(dir, 'suites'), rendererDir: path.join(dir, 'build/renderer') });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, colorScheme: 'light' });
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
  });

  it('says how to add a device when the fleet is empty', async () => {
    const empty = await startUi({ db: path.join(dir, 'empty.db'), out: path.join(dir, 'empty'), rendererDir: path.join(dir, 'build/renderer'), providers: [] });
    try {
      const p = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await p.goto(empty.url);
      await p.getByText('No devices: connect a phone with USB debugging enabled, or run on this computer.').waitFor();
      await p.screenshot({ path: path.join(shots, '0-fleet-empty.png') });
      await p.close();
    } finally {
      await empty.close();
    }
  });

  it('refuses the API without the token', async () => {
    const r = await fetch(`${ui.server.origin}/api/invoke/fleet:list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(401);
  });

  it('shows the fleet with this computer', async () => {
    await page.goto(ui.url);
    await expect.poll(() => page.url()).not.toContain('token='); // the token leaves the address bar
    const card = page.getByTestId('device-local');
    await card.waitFor();
    expect(await card.textContent()).toMatch(/This computer/);
    expect(await card.locator('.badge').textContent()).toBe('connected');
    expect(await page.locator('.runtime').textContent()).toMatch(/browser mode/);
    await shot('1-fleet');
  });

  it('shows validation errors at the field, then starts the smoke suite', async () => {
    await page.getByTestId('nav-suites').click();
    await page.getByTestId('suite-builtin/smoke.json').click();
    await expect.poll(() => page.getByTestId('validation').textContent()).toMatch(/valid · 2 jobs/);
    await page.locator('#field-base-steps').fill('twenty');
    await page.getByTestId('field-base-steps').locator('.field-message').waitFor();
    expect(await page.getByTestId('field-base-steps').textContent()).toMatch(/expected number/i);
    expect(await page.getByTestId('issue-list').textContent()).toMatch(/line \d+ · base\.steps/);
    expect(await page.getByTestId('start-suite').isDisabled()).toBe(true);
    await shot('2-suites-validation');
    await page.locator('#field-base-steps').fill('20');
    await expect.poll(() => page.getByTestId('validation').textContent()).toMatch(/valid · 2 jobs/);
    expect(await page.locator('.device-choice input').first().isChecked()).toBe(true);
    await page.getByTestId('start-suite').click();
    await expect.poll(() => page.getByTestId('suite-message').textContent()).toMatch(/smoke.*(started|queued) on local/);
    await page.getByTestId('queue-smoke').waitFor();
    await shot('3-suites-queue');
  });

  it('streams the run into the live view', async () => {
    await page.getByTestId('nav-live').click();
    await page.getByTestId('live-local').waitFor({ timeout: 60_000 });
    await chartPoints('live-local-loss', 6);
    await shot('4-live-running');
    await ui.controller.idle();
    expect(ui.controller.listRuns({ kind: 'device' }).filter((r) => r.status !== 'done').map((r) => `${r.label}: ${r.error}`)).toEqual([]);
    expect(ui.controller.queue()[0]).toMatchObject({ status: 'done', runsFailed: 0 });
    await expect.poll(() => page.getByTestId('live-local').locator('.badge').first().textContent(), { timeout: 30_000 }).toBe('done');
    await chartPoints('live-local-loss', 20);
    expect(await page.locator('.run-chip').count()).toBe(2); // the LoRA and the full run of the smoke suite
    expect(await page.getByTestId('log-local').textContent()).toMatch(/running/);
    await shot('5-live-done');
  });

  it('overlays the run with its PyTorch reference and an imported JSONL log, aligned and smoothed', async () => {
    const runs = ui.controller.listRuns();
    const lora = runs.find((r) => r.kind === 'device' && r.mode === 'lora')!;
    const reference = runs.find((r) => r.kind === 'reference' && r.jobKey === lora.jobKey);
    // A PyTorch-format run log written by hand: the LoRA run's steps with a small, smooth offset.
    const steps = ui.controller.runSeries({ runId: lora.id, smoothing: 0 }).loss;
    const log = [
      { type: 'run', impl: 'pytorch', model: 'tiny-gpt2', mode: 'lora', started_at: new Date().toISOString() },
      ...steps.map((p) => ({ type: 'step', step: p.x, loss: p.y * (1 + 0.02 * Math.sin(p.x / 3)), lr: 0.01, tokens: 128 * p.x, ms: 40 })),
      { type: 'done', steps: steps.length, final_loss: steps.at(-1)!.y, tokens: 128 * steps.length, ms: 40 * steps.length, peak_rss_mb: 420 },
    ];
    const logFile = path.join(dir, 'torch-lora.jsonl');
    writeFileSync(logFile, log.map((l) => JSON.stringify(l)).join('\n'));

    await page.getByTestId('nav-compare').click();
    await page.getByTestId(`pick-${lora.id}`).click();
    if (reference) await page.getByTestId(`pick-${reference.id}`).click();
    await page.getByTestId('import-log').setInputFiles(logFile);
    const imported = () => ui.controller.listRuns({ kind: 'reference' }).find((r) => r.source === 'torch-lora.jsonl');
    await expect.poll(() => imported()?.id).toBeDefined();
    await expect.poll(() => page.locator('.compare-charts .recharts-line').count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(reference ? 3 : 2);
    await page.getByTestId('reference-select').selectOption(reference?.id ?? imported()!.id);
    await chartPoints('compare-diff', 20);
    expect(await page.getByTestId('compare-diff').textContent()).toMatch(/max \|Δ\|/);
    expect(await page.getByTestId('conditions-table').textContent()).toMatch(/imported · torch-lora\.jsonl/);
    await shot('6-compare-by-step');
    await page.getByText('wall time', { exact: true }).click();
    await expect.poll(() => page.getByTestId('compare-loss').textContent()).toMatch(/wall time \(s\)/);
    await shot('7-compare-by-wall-time');
  });

  it('exports the comparison as HTML, CSV and JSON files', async () => {
    await page.getByTestId('nav-reports').click();
    await page.getByTestId('export').click();
    await page.getByTestId('export-result').waitFor();
    const exportDir = ui.controller.queue()[0] && path.join(dir, 'runs/exports');
    const paths = (await page.getByTestId('export-result').locator('td.mono').allTextContents()).map((t) => t.trim());
    expect(paths.map((p) => path.basename(p)).sort()).toEqual(['report.html', 'report.json', 'runs.csv', 'steps.csv']);
    for (const p of paths) {
      expect(p.startsWith(exportDir)).toBe(true);
      expect(existsSync(p)).toBe(true);
    }
    expect(readFileSync(paths.find((p) => p.endsWith('report.html'))!, 'utf8')).toContain('torch-lora.jsonl');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).first().click()]);
    const saved = path.join(shots, 'downloaded-report.html');
    await download.saveAs(saved);
    expect(readFileSync(saved, 'utf8')).toContain('<svg');
    await shot('8-reports');
  });

  it('logged no page errors and no CSP violations', () => {
    expect(errors).toEqual([]);
  });
});
