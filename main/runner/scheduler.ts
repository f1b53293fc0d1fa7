// Schedules runs onto devices: one run per device at a time, all devices in parallel, a retry
// policy for failed attempts (not for cancelled ones), and one AbortController to cancel
// everything. Knows nothing about agents or files: each item brings its own execute().

export interface SchedulerItem<O extends { status: string }> {
  runId: string;
  deviceId: string;
  execute(signal: AbortSignal, attempt: number): Promise<O>;
}

export interface SchedulerOptions<O extends { status: string }> {
  /** Extra attempts after a failed one. */
  retries: number;
  onAttemptFinished?(item: SchedulerItem<O>, outcome: O, attempt: number, willRetry: boolean): void | Promise<void>;
}

export class Scheduler<O extends { status: string }> {
  private readonly controller = new AbortController();

  constructor(private readonly opts: SchedulerOptions<O>) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancelAll(): void {
    this.controller.abort();
  }

  /** Resolves when every device's queue is drained (or cancelled); returns the final outcome per run. */
  async run(items: SchedulerItem<O>[]): Promise<Map<string, O>> {
    const byDevice = new Map<string, SchedulerItem<O>[]>();
    for (const it of items) byDevice.set(it.deviceId, [...(byDevice.get(it.deviceId) ?? []), it]);
    const results = new Map<string, O>();
    await Promise.all([...byDevice.values()].map(async (queue) => {
      for (const item of queue) {
        if (this.controller.signal.aborted) break;
        for (let attempt = 1; ; attempt++) {
          const outcome = await item.execute(this.controller.signal, attempt);
          const willRetry = outcome.status === 'failed' && attempt <= this.opts.retries && !this.controller.signal.aborted;
          await this.opts.onAttemptFinished?.(item, outcome, attempt, willRetry);
          if (!willRetry) {
            results.set(item.runId, outcome);
            break;
          }
        }
      }
    }));
    return results;
  }
}
