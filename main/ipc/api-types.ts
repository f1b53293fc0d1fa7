// The data the controller API speaks (devices, suites, the queue, live batches, run series,
// comparisons, exports): plain JSON-safe types shared by the IPC contract, the HTTP/WebSocket API,
// the controller service (main/api/) and the renderer. Types only; the renderer may import them.
// Not the channel list (contract.ts) and not the payload schemas (handlers.ts).
// Chart series are ready to draw: x/y points, already smoothed and downsampled by the controller.

/** One point of a chart line. */
export interface XY {
  x: number;
  y: number;
}

// ---- fleet ----

export type DeviceState = 'connected' | 'unauthorized' | 'offline' | 'busy';

export interface BackendView {
  name: string;
  limits: Record<string, number | string | boolean>;
}

export interface DeviceView {
  id: string;
  transport: string;
  name: string;
  model: string;
  os: string;
  osVersion: string;
  /** The runtime that runs the agent there ("Chrome 131", "Node.js 20.20.2"). */
  browser: string | null;
  cpuCores: number | null;
  memoryBytes: number | null;
  state: DeviceState;
  /** What the device is doing for the queue ("smoke: running"), null when idle. */
  activity: string | null;
  /** Backends and their limits from the device's latest agent hello; null until it has run a job. */
  backends: BackendView[] | null;
  battery: { pct: number; charging: boolean } | null;
  temperatureC: number | null;
  /** Probes the transport offers: memory, energy, thermal, battery. */
  capabilities: string[];
}

// ---- suites ----

export interface SuiteEntry {
  /** "builtin/smoke.json" or "user/my-suite.json": the only way the UI names a suite file. */
  id: string;
  name: string;
  description: string | null;
  source: 'builtin' | 'user';
  file: string;
  /** Why the file does not validate (first problem), null when it does. */
  error: string | null;
}

export interface SuiteText {
  id: string;
  file: string;
  text: string;
}

export interface SuiteIssue {
  /** JSON path of the field, e.g. ["base", "lr"]; [] for the whole document. */
  path: (string | number)[];
  /** The path as text: "base.lr", "matrix.mode[1]", "(top level)". */
  pathText: string;
  message: string;
  /** 1-based line of the field in the text, when it is there. */
  line: number | null;
}

export interface SuiteValidation {
  ok: boolean;
  issues: SuiteIssue[];
  name: string | null;
  /** Jobs the suite expands into (per device), null when it does not validate. */
  jobs: number | null;
  devices: string[];
}

// ---- queue ----

export type QueueStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface QueueEntry {
  id: string;
  suiteName: string;
  deviceIds: string[];
  status: QueueStatus;
  enqueuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  suiteRunId: string | null;
  outDir: string | null;
  error: string | null;
  /** Why a queued entry waits ("local is busy with smoke"), null otherwise. */
  waitingFor: string | null;
  runsTotal: number;
  runsFinished: number;
  runsFailed: number;
  reportHtml: string | null;
}

// ---- live ----

export interface LiveRun {
  runId: string;
  queueId: string;
  deviceId: string;
  label: string;
  status: string;
  detail: string | null;
  step: number;
  totalSteps: number | null;
  loss: number | null;
  tokensPerSec: number | null;
  stepMs: number | null;
  peakRssMiB: number | null;
  updatedAt: string;
}

export interface LogLine {
  at: string;
  /** null for controller-wide lines (hub, reference runs). */
  deviceId: string | null;
  runId: string | null;
  level: 'info' | 'error';
  text: string;
}

/** What changed since the previous batch; batches go out at most ~8 times a second. */
export interface LiveBatch {
  at: string;
  runs: LiveRun[];
  logs: LogLine[];
}

export interface LiveSnapshot {
  runs: LiveRun[];
  logs: LogLine[];
}

// ---- runs ----

export interface SuiteRunItem {
  id: string;
  suiteName: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  outDir: string | null;
}

export interface RunItem {
  id: string;
  label: string;
  suiteRunId: string | null;
  suiteName: string | null;
  kind: 'device' | 'reference';
  impl: 'fleettune' | 'pytorch';
  status: string;
  deviceId: string | null;
  deviceName: string | null;
  model: string | null;
  mode: string | null;
  jobKey: string | null;
  startedAt: string | null;
  createdAt: string;
  error: string | null;
  steps: number | null;
  finalLoss: number | null;
  source: string | null;
}

export interface RunFilterRequest {
  suiteRunId?: string;
  kind?: 'device' | 'reference';
  limit?: number;
}

export interface RunLatest {
  step: number | null;
  loss: number | null;
  lr: number | null;
  tokensPerSec: number | null;
  rssMiB: number | null;
  peakRssMiB: number | null;
  trackedMiB: number | null;
  peakTrackedMiB: number | null;
  shardResidentMiB: number | null;
  energyJ: number | null;
  powerW: number | null;
  temperatureC: number | null;
  batteryPct: number | null;
  charging: boolean | null;
  /** Power-monitor state reported by the agent ("normal", "throttled: battery 15%"), null if none. */
  throttleState: string | null;
  throttleSleepMs: number | null;
  /** Why energy is missing or coarse, shown instead of a number. */
  energyNote: string | null;
}

/** One run's series, ready for charts: loss/lr/tokens-per-second by step; the rest by seconds. */
export interface RunSeries {
  runId: string;
  label: string;
  status: string;
  smoothing: number;
  loss: XY[];
  lossSmoothed: XY[];
  lr: XY[];
  tokensPerSec: XY[];
  rssMiB: XY[];
  trackedMiB: XY[];
  shardResidentMiB: XY[];
  powerW: XY[];
  energyJ: XY[];
  temperatureC: XY[];
  throttleChanges: { tS: number; state: string }[];
  latest: RunLatest;
  counts: { steps: number; memorySamples: number; powerSamples: number };
}

export interface RunSeriesRequest {
  runId: string;
  smoothing?: number;
  maxPoints?: number;
}

export interface ImportLogRequest {
  fileName: string;
  text: string;
  name?: string;
}

// ---- compare ----

export type AlignAxis = 'step' | 'tokens' | 'wall';

export interface CompareRequest {
  runIds: string[];
  align: AlignAxis;
  /** EMA weight in [0, 0.999]; 0 is no smoothing (TensorBoard's slider). */
  smoothing: number;
  referenceRunId: string | null;
  /** Draw repeats of one job on one device as a mean ± std band instead of single lines. */
  bands: boolean;
  maxPoints?: number;
}

export interface CompareLine {
  runId: string;
  label: string;
  kind: 'device' | 'reference';
  /** Key of the mean ± std band this run is drawn in (its own line is then hidden), or null. */
  band: string | null;
  raw: XY[];
  smoothed: XY[];
}

export interface BandPoint extends XY {
  /** [mean - std, mean + std]. */
  range: [number, number];
  std: number;
  n: number;
}

export interface CompareBand {
  key: string;
  label: string;
  runIds: string[];
  points: BandPoint[];
}

export interface CompareDiff {
  runId: string;
  label: string;
  points: XY[];
  maxAbs: number | null;
  meanAbs: number | null;
  common: number;
}

export interface MemoryBar {
  runId: string;
  /** Category label of the bar: the device and the sharding group ("this computer · baseline"). */
  category: string;
  device: string;
  group: string;
  budgetMb: number | null;
  peakRssMiB: number | null;
  peakTrackedMiB: number | null;
}

export interface ConditionsTable {
  columns: { runId: string; label: string }[];
  rows: { key: string; label: string; values: (string | null)[] }[];
}

export interface Comparison {
  align: AlignAxis;
  xLabel: string;
  smoothing: number;
  referenceRunId: string | null;
  lines: CompareLine[];
  bands: CompareBand[];
  diffs: CompareDiff[];
  bars: MemoryBar[];
  conditions: ConditionsTable;
  /** Things a person should know ("run X has no token counts: left out of the tokens view"). */
  notes: string[];
}

// ---- reports ----

export type ExportFormat = 'html' | 'csv' | 'json' | 'pdf';

export interface ExportRequest {
  runIds: string[];
  formats: ExportFormat[];
  title?: string;
  referenceRunId?: string | null;
}

export interface ExportedFile {
  format: ExportFormat;
  name: string;
  path: string;
  bytes: number;
}

export interface ExportResult {
  id: string;
  dir: string;
  files: ExportedFile[];
  notes: string[];
}

export interface ExportFileRequest {
  exportId: string;
  name: string;
}

export interface ExportFileContent {
  name: string;
  mime: string;
  base64: string;
}
