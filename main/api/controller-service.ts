// The controller service: the one object the Electron IPC handlers and the browser-mode HTTP /
// WebSocket server both call. Devices (DeviceFleet + providers, hot-plug), suites (library +
// validation), the suite queue (runSuite in the background, one suite per device at a time), the
// live feed (~8 Hz batches), runs and their chart-ready series, PyTorch log import, comparisons
// and exports. Owns no UI and no transport code; see main/api/README.md for the API.
import path from 'node:path';
import type {
  BackendView, CompareRequest, Comparison, DeviceView, ExportFileContent, ExportRequest, ExportResult, ImportLogRequest, LiveBatch,
  LiveSnapshot, QueueEntry, RunFilterRequest, RunItem, RunSeries, RunSeriesRequest, SuiteEntry, SuiteRunItem, SuiteText, SuiteValidation,
} from '../ipc/api-types';
import { runIdentity } from '../reports/report-data';
import { runSuite as realRunSuite, type SuiteRunOptions } from '../runner/suite-runner';
import type { ResultsStore } from '../store/results-store';
import type { RunRow } from '../store/store-types';
import { exportComparison, readExportFile } from './comparison-export';
import { DeviceFleet, LocalDeviceProvider, type DeviceProvider } from './device-fleet';
import { LiveFeed } from './live-feed';
import { buildComparison } from './run-compare';
import { buildRunSeries } from './run-series';
import { SuiteLibrary, type SuiteFolders } from './suite-library';
import { SuiteQueue } from './suite-queue';
import { validateSuiteText } from './suite-validate';

const FLEET_POLL_MS = 10_000;

export interface ControllerOptions {
  store: ResultsStore;
  /** Device discovery; default: this computer only. */
  providers?: DeviceProvider[];
  suiteFolders: SuiteFolders;
  /** Where each started suite writes its reports and artifacts (one folder per start). */
  outRoot: string;
  /** Where exports go; default `<outRoot>/exports`. */
  exportRoot?: string;
  cacheDir: string;
  /** Browser agent bundle the hub serves (out/agent), when built. */
  agentDir?: string;
  printToPdf?: (htmlFile: string) => Promise<Buffer>;
  /** The suite runner; tests may pass a stand-in. */
  runSuite?: (opts: SuiteRunOptions) => ReturnType<typeof realRunSuite>;
  liveHz?: number;
}

/** Events the controller pushes to the UI. */
export interface ControllerEvents {
  'fleet:changed': DeviceView[];
  'queue:changed': QueueEntry[];
  'live:batch': LiveBatch;
}
export type ControllerEvent = keyof ControllerEvents;

export interface StartSuiteRequest {
  /** The edited suite text; or */
  text?: string;
  /** a suite from the library. */
  suiteId?: string;
  deviceIds: string[];
}

export class ControllerService {
  readonly fleet: DeviceFleet;
  readonly suites: SuiteLibrary;
  private readonly feed: LiveFeed;
  private readonly queueRunner: SuiteQueue;
  private readonly listeners = new Map<ControllerEvent, Set<(payload: never) => void>>();
  private fleetTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  private constructor(private readonly opts: ControllerOptions) {
    const { store } = opts;
    this.fleet = new DeviceFleet(opts.providers ?? [new LocalDeviceProvider()]);
    this.suites = new SuiteLibrary(opts.suiteFolders);
    this.feed = new LiveFeed((runId) => store.getRun(runId)?.name ?? runId, opts.liveHz);
    const run = opts.runSuite ?? realRunSuite;
    this.queueRunner = new SuiteQueue({
      outRoot: opts.outRoot,
      device: (id) => this.fleet.get(id),
      suiteRunOf: (runId) => store.getRun(runId)?.suiteRunId ?? null,
      run: (o) => run({ ...o, store, cacheDir: opts.cacheDir, agentDir: opts.agentDir }),
      onEvent: (queueId, ev) => this.feed.push(queueId, ev),
      onSettled: (queueId) => this.feed.settle(queueId, (runId) => store.getRun(runId)?.status),
      onChange: () => {
        this.emit('queue:changed', this.queueRunner.list());
        this.fleetChanged();
      },
    });
    this.unsubscribe.push(this.feed.subscribe((b) => this.emit('live:batch', b)), this.fleet.onChange(() => this.fleetChanged()));
    // battery, temperature and charging drift without a hot-plug event: re-describe now and then
    const poll = setInterval(() => this.fleetChanged(), FLEET_POLL_MS);
    poll.unref();
    this.unsubscribe.push(() => clearInterval(poll));
  }

  static async start(opts: ControllerOptions): Promise<ControllerService> {
    // Runs a crashed controller left 'running' become interrupted / failed (a live CLI's stay).
    opts.store.recoverInterrupted();
    const c = new ControllerService(opts);
    await c.fleet.start();
    return c;
  }

  /** Subscribe to pushed events; returns the unsubscribe function. */
  on<E extends ControllerEvent>(event: E, listener: (payload: ControllerEvents[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  // ---- fleet ----

  listDevices(): Promise<DeviceView[]> {
    return this.fleet.describe({ activity: (id) => this.queueRunner.activity(id), backends: (id) => this.backendsOf(id) });
  }

  // ---- suites ----

  listSuites(): SuiteEntry[] {
    return this.suites.list();
  }

  readSuite(id: string): SuiteText {
    return this.suites.read(id);
  }

  saveSuite(fileName: string, text: string): SuiteEntry {
    return this.suites.save(fileName, text);
  }

  validateSuite(text: string): SuiteValidation {
    const { suite: _suite, ...v } = validateSuiteText(text);
    return v;
  }

  // ---- queue ----

  startSuite(req: StartSuiteRequest): QueueEntry {
    const text = req.text ?? (req.suiteId ? this.suites.read(req.suiteId).text : undefined);
    if (text === undefined) throw new Error('give the suite text or a suite id to start');
    const v = validateSuiteText(text);
    if (!v.suite) throw new Error(`the suite does not validate: ${v.issues.map((i) => `${i.pathText}: ${i.message}`).join('; ')}`);
    return this.queueRunner.enqueue(v.suite, req.deviceIds);
  }

  cancel(queueId: string): QueueEntry {
    return this.queueRunner.cancel(queueId);
  }

  queue(): QueueEntry[] {
    return this.queueRunner.list();
  }

  liveSnapshot(): LiveSnapshot {
    return this.feed.snapshot();
  }

  /** Resolves when the queue has nothing running (tests). */
  idle(): Promise<void> {
    return this.queueRunner.idle();
  }

  // ---- runs ----

  listSuiteRuns(): SuiteRunItem[] {
    return this.opts.store.listSuiteRuns().map(({ suite: _s, suiteHash: _h, ...r }) => r);
  }

  listRuns(filter: RunFilterRequest = {}): RunItem[] {
    const { store } = this.opts;
    const rows = store.listRuns({ suiteRunId: filter.suiteRunId, kind: filter.kind });
    const suiteNames = new Map<string, string | null>();
    const suiteName = (id: string | null) => {
      if (!id) return null;
      if (!suiteNames.has(id)) suiteNames.set(id, store.getSuiteRun(id)?.suiteName ?? null);
      return suiteNames.get(id)!;
    };
    return rows.reverse().slice(0, filter.limit ?? 500).map((r) => this.runItem(r, suiteName(r.suiteRunId)));
  }

  runSeries(req: RunSeriesRequest): RunSeries {
    return buildRunSeries(this.opts.store, req.runId, { smoothing: req.smoothing, maxPoints: req.maxPoints });
  }

  /** Imports a JSONL run log (PyTorch reference scripts, the CLI) as a reference run. */
  importLog(req: ImportLogRequest): RunItem {
    const id = this.opts.store.importReferenceLog(req.text, req.fileName, { name: req.name ?? `imported · ${req.fileName}` });
    return this.runItem(this.opts.store.getRun(id)!, null);
  }

  compare(req: CompareRequest): Comparison {
    return buildComparison(this.opts.store, req);
  }

  exportComparison(req: ExportRequest): Promise<ExportResult> {
    return exportComparison({ store: this.opts.store, exportRoot: this.exportRoot, printToPdf: this.opts.printToPdf }, req);
  }

  readExportFile(req: { exportId: string; name: string }): ExportFileContent {
    return readExportFile(this.exportRoot, req);
  }

  async close(): Promise<void> {
    await this.queueRunner.cancelAll();
    if (this.fleetTimer) clearTimeout(this.fleetTimer);
    this.feed.close();
    for (const u of this.unsubscribe) u();
    await this.fleet.stop();
    this.listeners.clear();
  }

  // ---- helpers ----

  private get exportRoot(): string {
    return this.opts.exportRoot ?? path.join(this.opts.outRoot, 'exports');
  }

  private emit<E extends ControllerEvent>(event: E, payload: ControllerEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (p: ControllerEvents[E]) => void)(payload);
  }

  /** Device descriptions are re-read at most every 250 ms, after hot-plug or queue changes. */
  private fleetChanged(): void {
    if (this.fleetTimer || !this.listeners.get('fleet:changed')?.size) return;
    this.fleetTimer = setTimeout(() => {
      this.fleetTimer = null;
      this.listDevices().then((d) => this.emit('fleet:changed', d)).catch(() => {});
    }, 250);
  }

  private backendsOf(deviceId: string): BackendView[] | null {
    const runs = this.opts.store.listRuns({ deviceId, kind: 'device' });
    for (let i = runs.length - 1; i >= 0; i--) {
      const b = runs[i].conditions.backends;
      if (Array.isArray(b) && b.length) return b as BackendView[];
    }
    return null;
  }

  private runItem(r: RunRow, suiteName: string | null): RunItem {
    const { model, mode } = runIdentity(r);
    const device = r.deviceId ? this.opts.store.getDevice(r.deviceId) : undefined;
    const deviceName = device ? (device.id === 'local' ? 'this computer' : (device.model ?? device.id)) : null;
    return {
      id: r.id, label: r.name ?? ([deviceName, model, mode].filter(Boolean).join(' · ') || r.id), suiteRunId: r.suiteRunId, suiteName, kind: r.kind, impl: r.impl,
      status: r.status, deviceId: r.deviceId, deviceName, model, mode, jobKey: r.jobKey, startedAt: r.startedAt, createdAt: r.createdAt, error: r.error,
      steps: typeof r.summary?.steps === 'number' ? r.summary.steps : null,
      finalLoss: typeof r.summary?.finalLoss === 'number' ? r.summary.finalLoss : null, source: r.source,
    };
  }
}
