// What the runner needs from the hub and the store, as narrow interfaces (the real Hub and
// ResultsStore satisfy them), and the progress events it emits to the CLI and the UI.
import type { AgentConnection } from '../hub/hub-server.js';

export interface RunnerHub {
  readonly url: string;
  issueToken(owner: { jobId: string; deviceId: string }): string;
  revokeToken(token: string): void;
  waitForAgent(token: string, timeoutMs: number): Promise<AgentConnection>;
  /** Where an uploaded artifact of job `jobId` lands on this computer. */
  artifactPath(jobId: string, name: string): string;
}

export interface RunnerStore {
  addSteps(runId: string, rows: { step: number; loss: number; lr: number; tokens: number; ms: number; gradNorm: number; sleepMs: number }[]): void;
  addEval(runId: string, row: { step: number; split: string; loss: number; ppl: number }): void;
  addMemorySamples(runId: string, rows: { tMs: number; rssBytes: number | null; hwmBytes: number | null; swapBytes: number | null; trackedBytes: number | null; peakTrackedBytes: number | null }[]): void;
  addPowerSamples(runId: string, rows: { tMs: number; energyJ: number | null; temperatureC: number | null; batteryPct: number | null; charging: boolean | null; source: string }[]): void;
  addArtifact(runId: string, row: { kind: string; name: string; path: string; bytes: number; sha256: string }): void;
  setRunConditions(runId: string, conditions: Record<string, unknown>): void;
}

export type RunEvent =
  | { type: 'status'; runId: string; deviceId: string; status: string; detail?: string }
  | { type: 'step'; runId: string; deviceId: string; step: number; totalSteps: number; loss: number; ms: number; tokens: number; rssMb: number }
  | { type: 'finished'; runId: string; deviceId: string; status: 'done' | 'failed' | 'cancelled'; error?: string };
