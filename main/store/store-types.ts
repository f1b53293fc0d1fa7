// The results store's vocabulary: statuses, the inputs each write API takes and the rows each read
// API returns (camelCase; the SQL columns are snake_case). Types only, plus the status lists the
// schema's CHECK constraints and the validators share. Not the schema (migrations.ts) and not the
// queries (results-store.ts). Conditions and summary are open JSON objects whose known keys are
// typed here, so the runner, the reports and the UI agree on their names.

export const suiteRunStatuses = ['running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export const runStatuses = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export const runKinds = ['device', 'reference'] as const;
export const runImpls = ['fleettune', 'pytorch'] as const;

export type SuiteRunStatus = (typeof suiteRunStatuses)[number];
export type RunStatus = (typeof runStatuses)[number];
export type RunKind = (typeof runKinds)[number];
export type RunImpl = (typeof runImpls)[number];

export interface DeviceInput {
  /** "local" for this computer, the adb serial (or host:port), or the Appium UDID. */
  id: string;
  transport: string;
  model?: string | null;
  os?: string | null;
  osVersion?: string | null;
  browser?: string | null;
  info?: Record<string, unknown>;
  /** ISO time; default now. Sets last_seen, and first_seen on the first upsert. */
  seenAt?: string;
}

export interface DeviceRow {
  id: string;
  transport: string;
  model: string | null;
  os: string | null;
  osVersion: string | null;
  browser: string | null;
  info: Record<string, unknown>;
  firstSeen: string;
  lastSeen: string;
}

export interface SuiteRunInput {
  id?: string;
  suiteName: string;
  /** The suite spec as run; stored as JSON and hashed (hashSuite) for resume matching. */
  suite: unknown;
  outDir?: string | null;
  startedAt?: string;
}

export interface SuiteRunRow {
  id: string;
  suiteName: string;
  suiteHash: string;
  suite: unknown;
  startedAt: string;
  finishedAt: string | null;
  status: SuiteRunStatus;
  outDir: string | null;
}

/** Known keys of a run's conditions; any other key is kept as is. */
export interface RunConditions {
  deviceModel?: string | null;
  os?: string | null;
  osVersion?: string | null;
  browser?: string | null;
  browserVersion?: string | null;
  userAgent?: string | null;
  transport?: string | null;
  runtime?: string | null;
  backend?: string | null;
  backendLimits?: Record<string, number | string | boolean> | null;
  agentVersion?: string | null;
  gitCommit?: string | null;
  suiteName?: string | null;
  /** Model name and training mode: the fallback key that pairs a device run with a reference run. */
  model?: string | null;
  mode?: 'lora' | 'full' | null;
  startTemperatureC?: number | null;
  startBatteryPct?: number | null;
  /** Charging / USB power attached at the start of the run. */
  charging?: boolean | null;
  memorySampleIntervalMs?: number | null;
  powerSampleIntervalMs?: number | null;
  [key: string]: unknown;
}

/** Known keys of a run's summary (what a finished run is reported by); null means "not measured". */
export interface RunSummary {
  steps?: number | null;
  finalLoss?: number | null;
  tokens?: number | null;
  /** Sum of step wall times, ms. */
  totalMs?: number | null;
  /** Steps left out of the throughput statistics. */
  warmupSteps?: number | null;
  tokensPerSecMedian?: number | null;
  stepMsMedian?: number | null;
  stepMsP10?: number | null;
  stepMsP90?: number | null;
  /** Device accounting of the agent's process (VmHWM / max RSS), bytes. */
  peakRssBytes?: number | null;
  peakSwapBytes?: number | null;
  peakRssSource?: string | null;
  /** The agent's own tensor accounting, reported beside RSS, never instead of it. */
  peakTrackedBytes?: number | null;
  energyJ?: number | null;
  energySource?: string | null;
  avgPowerW?: number | null;
  /** Any power sample during the run saw the charger / USB power attached. */
  chargingDuringRun?: boolean | null;
  startTemperatureC?: number | null;
  maxTemperatureC?: number | null;
  sleepMsTotal?: number | null;
  finalEvalLoss?: number | null;
  finalEvalPpl?: number | null;
  [key: string]: unknown;
}

export interface RunInput {
  id?: string;
  suiteRunId?: string | null;
  /** Stable key of the job inside its suite (resume looks runs up by it). */
  jobKey?: string | null;
  deviceId?: string | null;
  kind: RunKind;
  impl: RunImpl;
  status?: RunStatus;
  attempt?: number;
  /** Display label; default derived by the reports from device and job. */
  name?: string | null;
  /** Where the data came from, e.g. the imported log file. */
  source?: string | null;
  job?: unknown;
  conditions?: RunConditions;
}

export interface RunRow {
  id: string;
  suiteRunId: string | null;
  jobKey: string | null;
  deviceId: string | null;
  kind: RunKind;
  impl: RunImpl;
  status: RunStatus;
  attempt: number;
  name: string | null;
  source: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  job: unknown;
  conditions: RunConditions;
  summary: RunSummary | null;
}

export interface RunFilter {
  suiteRunId?: string;
  status?: RunStatus | RunStatus[];
  kind?: RunKind;
  jobKey?: string;
  deviceId?: string;
}

export interface StepRow {
  step: number;
  /** null where the loss was not finite (SQLite stores NaN as NULL). */
  loss: number | null;
  lr: number | null;
  /** Cumulative tokens trained after this step. */
  tokens: number | null;
  ms: number | null;
  gradNorm: number | null;
  sleepMs: number | null;
}
export type StepInput = { step: number; loss: number | null } & Partial<Omit<StepRow, 'step' | 'loss'>>;

export interface EvalRow {
  step: number;
  split: string;
  loss: number | null;
  ppl: number | null;
  tokens: number | null;
}
export type EvalInput = { step: number; split: string; loss: number | null } & Partial<Pick<EvalRow, 'ppl' | 'tokens'>>;

export interface MemorySample {
  /** ms since the run started. */
  tMs: number;
  rssBytes: number | null;
  hwmBytes: number | null;
  swapBytes: number | null;
  trackedBytes: number | null;
  peakTrackedBytes: number | null;
  shardResidentBytes: number | null;
}
export type MemorySampleInput = { tMs: number } & Partial<Omit<MemorySample, 'tMs'>>;

export interface PowerSample {
  tMs: number;
  /** Joules since the run started (cumulative). */
  energyJ: number | null;
  powerW: number | null;
  batteryPct: number | null;
  temperatureC: number | null;
  charging: boolean | null;
  /** What measured it, e.g. "sysfs current_now*voltage_now", "dumpsys battery", "agent". */
  source: string;
  sleepMs: number | null;
  /** Power-policy state reported by the agent. */
  state: string | null;
}
export type PowerSampleInput = { tMs: number; source: string } & Partial<Omit<PowerSample, 'tMs' | 'source'>>;

export interface ArtifactRow {
  id: number;
  kind: string;
  name: string;
  path: string | null;
  bytes: number | null;
  sha256: string | null;
}
export type ArtifactInput = Omit<Partial<ArtifactRow>, 'id' | 'kind' | 'name'> & { kind: string; name: string };
