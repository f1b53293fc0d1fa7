// The headless controller: `npm run suite -- <suite.json> [--devices local,...] [--out DIR]
// [--resume] [--db FILE]` runs a benchmark suite on the available devices with a live progress
// display, writes report.html / report.json / runs.csv / steps.csv, and exits 1 if a job failed
// (2 on bad input). Ctrl-C cancels the running jobs and marks the suite interrupted (--resume continues it).
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { loadSuite, SuiteError } from '../suites/suite-expand.js';
import { ResultsStore } from '../store/results-store.js';
import { hashSuite } from '../store/hash-suite.js';
import { LocalTransport, repoRoot } from '../transports/local-transport.js';
import type { DeviceTransport } from '../transports/device-transport.js';
import { runSuite } from '../runner/suite-runner.js';
import { ProgressDisplay } from './progress-display.js';

const usage = `usage: npm run suite -- <suite.json> [--devices local,...] [--out DIR] [--resume] [--db FILE] [--cache DIR]

  --devices  device ids to use (default: the suite's "devices"); "local" is this computer (Node),
             "local-chromium" the same agent in headless Chromium
  --out      folder for report.html, report.json, runs.csv, steps.csv and artifacts
             (default: runs/<suite>-<time>, or the interrupted run's folder with --resume)
  --resume   continue the latest unfinished run of this suite: finished jobs are kept
  --db       results database (default: ~/.local/share/fleettune/results.db)
  --cache    cache for generated fixtures (default: ~/.cache/fleettune)`;

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export async function main(argv: string[], signal?: AbortSignal): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: {
      devices: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean', default: false }, db: { type: 'string' }, cache: { type: 'string' }, help: { type: 'boolean', default: false },
    } });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  if (args.values.help) {
    console.log(usage);
    return 0;
  }
  if (args.positionals.length !== 1) {
    console.error(`give exactly one suite file\n\n${usage}`);
    return 2;
  }
  let suite;
  try {
    suite = loadSuite(args.positionals[0]);
  } catch (e) {
    if (e instanceof SuiteError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  if (args.values.devices) suite = { ...suite, devices: args.values.devices.split(',').map((d) => d.trim()).filter(Boolean) };
  const dataHome = process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local/share');
  const store = ResultsStore.open(args.values.db ?? path.join(dataHome, 'fleettune/results.db'));
  const display = new ProgressDisplay();
  try {
    const recovered = store.recoverInterrupted();
    if (recovered.suiteRuns) display.log(`marked ${recovered.suiteRuns} suite run(s) cut off by an earlier crash as interrupted (use --resume to continue)`);
    const previous = args.values.resume ? store.findResumableSuiteRun(suite.name, hashSuite(suite)) : undefined;
    const outDir = path.resolve(args.values.out ?? previous?.outDir ?? path.join('runs', `${suite.name}-${stamp()}`));
    // this computer twice: the Node agent ("local") and the browser bundle in headless Chromium
    // ("local-chromium", offline when Chromium is missing); phones join with the adb / Appium providers
    const devices: DeviceTransport[] = [new LocalTransport(), new LocalTransport({ runtime: 'browser' })];
    const agentDir = path.join(repoRoot, 'out/agent');
    display.log(`suite "${suite.name}" -> ${outDir}`);
    const result = await runSuite({
      suite, devices, store, outDir, resume: args.values.resume, signal,
      cacheDir: args.values.cache ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'fleettune'),
      agentDir: existsSync(agentDir) ? agentDir : undefined,
      onEvent: (ev) => (ev.type === 'log' ? display.log(ev.line) : display.event(ev)),
    });
    const ok = result.runs.length - result.failed;
    display.log(`\n${ok}/${result.runs.length} runs done${result.failed ? `, ${result.failed} failed:` : ''}`);
    for (const r of result.runs.filter((x) => x.status !== 'done')) display.log(`  ${r.jobKey}: ${r.status}${r.error ? ` — ${r.error.split('\n')[0]}` : ''}`);
    display.log(`report: ${result.reports.html}`);
    return result.failed ? 1 : 0;
  } catch (e) {
    if (e instanceof SuiteError) {
      console.error(e.message);
      return 2;
    }
    console.error(`error: ${(e as Error).message}`);
    return 1;
  } finally {
    store.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    console.error('\ncancelling the running jobs (Ctrl-C again to quit at once)…');
    controller.abort();
  });
  main(process.argv.slice(2), controller.signal).then((code) => process.exit(code));
}
