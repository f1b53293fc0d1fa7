// What the runner needs from the hub and the store (the real Hub and ResultsStore), and the
// progress events it emits to the CLI and the UI.
import type { Hub } from '../hub/hub-server.js';
import type { ResultsStore } from '../store/results-store.js';

export type RunnerHub = Pick<Hub, 'url' | 'issueToken' | 'revokeToken' | 'waitForAgent' | 'artifactPath' | 'artifactBaseUrl'>;
export type RunnerStore = ResultsStore;

export type RunEvent =
  | { type: 'status'; runId: string; deviceId: string; status: string; detail?: string }
  | { type: 'step'; runId: string; deviceId: string; step: number; totalSteps: number; loss: number; ms: number; tokens: number; rssMb: number }
  | { type: 'finished'; runId: string; deviceId: string; status: 'done' | 'failed' | 'cancelled'; error?: string };
