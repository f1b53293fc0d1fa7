// The live stream for the UI: folds the runner's events (status, step, finished, log lines) into one
// LiveRun state per run and a per-device log, and sends what changed at most `hz` times a second
// (default 8): a 1000-steps-per-second device becomes 8 small messages, not 1000. Keeps a snapshot
// (latest state, last log lines) for a page that opens mid-run. Not the charts' series: those are
// read from the store, downsampled (run-series.ts).
import type { LiveBatch, LiveRun, LiveSnapshot, LogLine } from '../ipc/api-types';
import type { RunEvent } from '../runner/runner-types';

export type FeedEvent = RunEvent | { type: 'log'; line: string };

const MAX_LOG_LINES = 2000;
const FINAL = new Set(['done', 'failed', 'cancelled']);
const MAX_RUNS = 500;

export class LiveFeed {
  private readonly runs = new Map<string, LiveRun>();
  private readonly prevTokens = new Map<string, number>();
  private readonly logs: LogLine[] = [];
  private changedRuns = new Set<string>();
  private newLogs: LogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(b: LiveBatch) => void>();

  constructor(
    private readonly labelOf: (runId: string) => string,
    private readonly hz = 8,
  ) {}

  subscribe(listener: (b: LiveBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): LiveSnapshot {
    return { runs: [...this.runs.values()], logs: this.logs.slice() };
  }

  push(queueId: string, ev: FeedEvent): void {
    const at = new Date().toISOString();
    if (ev.type === 'log') {
      this.log({ at, deviceId: null, runId: null, level: /fail|error/i.test(ev.line) ? 'error' : 'info', text: ev.line });
    } else {
      const run = this.runs.get(ev.runId) ?? this.newRun(queueId, ev.runId, ev.deviceId, at);
      run.updatedAt = at;
      if (ev.type === 'status') {
        // After a run has finished, later statuses (the PyTorch reference replay) are details of it.
        if (FINAL.has(run.status)) run.detail = ev.detail ?? ev.status;
        else {
          run.status = ev.status;
          run.detail = ev.detail ?? null;
        }
        this.log({ at, deviceId: ev.deviceId, runId: ev.runId, level: 'info', text: `${run.label}: ${ev.status}${ev.detail ? ` (${ev.detail})` : ''}` });
      } else if (ev.type === 'step') {
        const before = ev.step === 1 ? 0 : this.prevTokens.get(ev.runId);
        run.status = 'running';
        run.step = ev.step;
        run.totalSteps = ev.totalSteps;
        run.loss = Number.isFinite(ev.loss) ? ev.loss : null;
        run.stepMs = ev.ms;
        run.tokensPerSec = before != null && ev.ms > 0 ? (ev.tokens - before) / (ev.ms / 1000) : run.tokensPerSec;
        run.peakRssMiB = ev.rssMb > 0 ? ev.rssMb : run.peakRssMiB;
        this.prevTokens.set(ev.runId, ev.tokens);
      } else {
        run.status = ev.status;
        run.detail = ev.error ?? null;
        const level = ev.status === 'failed' ? 'error' : 'info';
        this.log({ at, deviceId: ev.deviceId, runId: ev.runId, level, text: `${run.label}: ${ev.status}${ev.error ? ` — ${ev.error.split('\n')[0]}` : ''}` });
      }
      this.changedRuns.add(ev.runId);
    }
    this.schedule();
  }

  /** A line for one device's log (e.g. from the queue: "waiting for local"). */
  deviceLog(deviceId: string | null, text: string, level: LogLine['level'] = 'info'): void {
    this.log({ at: new Date().toISOString(), deviceId, runId: null, level, text });
    this.schedule();
  }

  /**
   * A queue entry ended: every run of it takes its final status from the store (a suite that
   * crashed leaves no 'finished' event), and the details of finished runs are cleared.
   */
  settle(queueId: string, statusOf: (runId: string) => string | undefined): void {
    for (const run of this.runs.values()) {
      if (run.queueId !== queueId) continue;
      const status = statusOf(run.runId) ?? run.status;
      if (status === run.status && !(FINAL.has(status) && run.detail)) continue;
      run.status = status;
      if (FINAL.has(status) && status === 'done') run.detail = null;
      run.updatedAt = new Date().toISOString();
      this.changedRuns.add(run.runId);
    }
    this.schedule();
  }

  /** Sends what is pending now (tests, shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.changedRuns.size && !this.newLogs.length) return;
    const batch: LiveBatch = {
      at: new Date().toISOString(),
      runs: [...this.changedRuns].map((id) => ({ ...this.runs.get(id)! })),
      logs: this.newLogs,
    };
    this.changedRuns = new Set();
    this.newLogs = [];
    for (const l of this.listeners) l(batch);
  }

  close(): void {
    this.flush();
    this.listeners.clear();
  }

  private newRun(queueId: string, runId: string, deviceId: string, at: string): LiveRun {
    const run: LiveRun = {
      runId, queueId, deviceId, label: this.labelOf(runId), status: 'queued', detail: null, step: 0, totalSteps: null, loss: null,
      tokensPerSec: null, stepMs: null, peakRssMiB: null, updatedAt: at,
    };
    this.runs.set(runId, run);
    if (this.runs.size > MAX_RUNS) {
      const oldest = this.runs.keys().next().value as string;
      this.runs.delete(oldest);
      this.prevTokens.delete(oldest);
    }
    return run;
  }

  private log(line: LogLine): void {
    this.logs.push(line);
    if (this.logs.length > MAX_LOG_LINES) this.logs.splice(0, this.logs.length - MAX_LOG_LINES);
    this.newLogs.push(line);
  }

  private schedule(): void {
    if (!this.timer) this.timer = setTimeout(() => this.flush(), 1000 / this.hz);
  }
}
