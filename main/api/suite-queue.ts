// The suite queue: every started suite becomes an entry that runs (runSuite, in the background) as
// soon as none of its devices is busy with an earlier entry, so each device runs one suite at a
// time, in the order they were started, while suites on disjoint devices run in parallel. Cancel
// aborts a running entry or drops a queued one. Progress is folded from the runner's events.
// Not the per-job scheduler inside a suite (main/runner/scheduler.ts).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { QueueEntry } from '../ipc/api-types';
import type { SuiteRunOptions, SuiteRunResult } from '../runner/suite-runner';
import { expandSuite } from '../suites/suite-expand';
import type { Suite } from '../suites/suite-schema';
import type { DeviceTransport } from '../transports/device-transport';
import type { FeedEvent } from './live-feed';

/** What the queue needs to run one entry; runSuite with the controller's store and folders bound. */
export type SuiteRunFn = (opts: Pick<SuiteRunOptions, 'suite' | 'devices' | 'outDir' | 'signal' | 'onEvent'>) => Promise<SuiteRunResult>;

export interface SuiteQueueOptions {
  run: SuiteRunFn;
  device(id: string): DeviceTransport | undefined;
  outRoot: string;
  /** The suite run a run belongs to (the store knows), for linking the entry to its results. */
  suiteRunOf(runId: string): string | null;
  onEvent(queueId: string, ev: FeedEvent): void;
  /** An entry has ended (done, failed or cancelled), after its last event. */
  onSettled?(queueId: string): void;
  onChange(): void;
}

interface Item {
  entry: QueueEntry;
  suite: Suite;
  controller: AbortController;
  finals: Map<string, string>;
  done?: Promise<void>;
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export class SuiteQueue {
  private readonly items: Item[] = [];

  constructor(private readonly opts: SuiteQueueOptions) {}

  list(): QueueEntry[] {
    return this.items.map((i) => ({ ...i.entry, deviceIds: [...i.entry.deviceIds] }));
  }

  /** "smoke: running" when a running entry uses the device, else null. */
  activity(deviceId: string): string | null {
    const item = this.items.find((i) => i.entry.status === 'running' && i.entry.deviceIds.includes(deviceId));
    return item ? `${item.entry.suiteName}: running` : null;
  }

  enqueue(suite: Suite, deviceIds: string[]): QueueEntry {
    if (!deviceIds.length) throw new Error('choose at least one device to run the suite on');
    for (const id of deviceIds) {
      if (!this.opts.device(id)) throw new Error(`no device "${id}" in the fleet; connect it (USB debugging enabled) or choose "local" (this computer)`);
    }
    const id = randomBytes(6).toString('hex');
    const entry: QueueEntry = {
      id, suiteName: suite.name, deviceIds: [...deviceIds], status: 'queued', enqueuedAt: new Date().toISOString(), startedAt: null, finishedAt: null,
      suiteRunId: null, outDir: path.join(this.opts.outRoot, `${suite.name}-${stamp()}-${id.slice(0, 4)}`), error: null, waitingFor: null,
      runsTotal: expandSuite(suite).length * deviceIds.length, runsFinished: 0, runsFailed: 0, reportHtml: null,
    };
    this.items.push({ entry, suite: { ...suite, devices: [...deviceIds] }, controller: new AbortController(), finals: new Map() });
    this.pump();
    return { ...entry };
  }

  cancel(id: string): QueueEntry {
    const item = this.items.find((i) => i.entry.id === id);
    if (!item) throw new Error(`no queue entry "${id}"; it may have been cleared`);
    if (item.entry.status === 'queued') {
      Object.assign(item.entry, { status: 'cancelled', finishedAt: new Date().toISOString(), waitingFor: null, error: 'cancelled before it started' });
      this.pump();
    } else if (item.entry.status === 'running') {
      item.controller.abort();
      this.opts.onEvent(id, { type: 'log', line: `${item.entry.suiteName}: cancelling (the running jobs stop within ~10 s)` });
    }
    return { ...item.entry };
  }

  /** Resolves when no entry is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const active = this.items.filter((i) => i.done && i.entry.status === 'running').map((i) => i.done);
      if (!active.length) return;
      await Promise.all(active);
    }
  }

  /** Aborts every running entry and drops the queued ones. */
  async cancelAll(): Promise<void> {
    for (const i of this.items) if (i.entry.status === 'queued' || i.entry.status === 'running') this.cancel(i.entry.id);
    await this.idle();
  }

  private pump(): void {
    const blocked = new Map<string, string>(); // device -> suite that holds or waits for it first
    for (const i of this.items) if (i.entry.status === 'running') for (const d of i.entry.deviceIds) blocked.set(d, i.entry.suiteName);
    for (const item of this.items) {
      if (item.entry.status !== 'queued') continue;
      const busy = item.entry.deviceIds.find((d) => blocked.has(d));
      if (busy) {
        item.entry.waitingFor = `${busy} is busy with ${blocked.get(busy)}`;
      } else {
        this.start(item);
      }
      for (const d of item.entry.deviceIds) if (!blocked.has(d)) blocked.set(d, item.entry.suiteName);
    }
    this.opts.onChange();
  }

  private start(item: Item): void {
    const { entry } = item;
    Object.assign(entry, { status: 'running', startedAt: new Date().toISOString(), waitingFor: null });
    const devices = entry.deviceIds.map((id) => this.opts.device(id)).filter((d): d is DeviceTransport => !!d);
    const onEvent = (ev: FeedEvent) => {
      if (ev.type !== 'log') {
        entry.suiteRunId ??= this.opts.suiteRunOf(ev.runId);
        if (ev.type === 'finished') this.countFinal(item, ev.runId, ev.status, ev.error);
      }
      this.opts.onEvent(entry.id, ev);
    };
    item.done = this.opts.run({ suite: item.suite, devices, outDir: entry.outDir!, signal: item.controller.signal, onEvent })
      .then((result) => {
        entry.suiteRunId = result.suiteRunId;
        entry.reportHtml = result.reports.html;
        entry.runsFailed = result.failed;
        entry.runsFinished = result.runs.length;
        entry.status = item.controller.signal.aborted ? 'cancelled' : result.failed ? 'failed' : 'done';
        if (result.failed) entry.error = `${result.failed} of ${result.runs.length} runs did not finish; see the runs' errors`;
      })
      .catch((e: unknown) => {
        entry.status = item.controller.signal.aborted ? 'cancelled' : 'failed';
        entry.error = (e as Error).message;
        this.opts.onEvent(entry.id, { type: 'log', line: `${entry.suiteName} failed: ${entry.error}` });
      })
      .finally(() => {
        entry.finishedAt = new Date().toISOString();
        this.opts.onSettled?.(entry.id);
        this.pump();
      });
  }

  private countFinal(item: Item, runId: string, status: string, error?: string): void {
    // The runner reports a failed attempt that will be retried as failed "(retrying, attempt N)".
    if (status === 'failed' && error && /\(retrying, attempt \d+\)$/.test(error)) return;
    item.finals.set(runId, status);
    item.entry.runsFinished = item.finals.size;
    item.entry.runsFailed = [...item.finals.values()].filter((s) => s !== 'done').length;
    this.opts.onChange();
  }
}
