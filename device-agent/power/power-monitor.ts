// The power monitor: after each optimizer step it says how long to sleep and why, reading live
// telemetry every `interval` steps and keeping the decision in between; sleep() waits it out and can
// be cut short by a cancel. Caller's loop: afterStep(step) -> send a `power` message when `fresh`
// -> sleep(sleepMs). Follows the C++ original's PowerMonitor::suggest_sleep_ms (behaviour doc
// section 7) with these bugs avoided: it read only --pm_manual_* values set once at start (no
// telemetry at all); steps 1..K-1 were never throttled (its cache started at 0); Hz <= 0 silently
// meant "no sleep"; malformed schedule tokens were skipped, negative sleeps clamped and overlaps
// resolved silently; sleep_for could not be interrupted; nothing reported why training slowed.
import { decide, isCheckStep, parseSchedule, scheduleEntryAt, validatePowerConfig, type PolicyDecision, type PowerConfig, type ScheduleEntry, type TelemetryReading } from './power-policy.js';
import type { TelemetrySource } from './telemetry-source.js';

export interface PowerDecision extends PolicyDecision {
  /** The step this decision is for. */
  step: number;
  /** The step whose telemetry it was decided from (== step when `fresh` from the policy). */
  decidedAt: number;
  /** The reading it was decided from; null for schedule/off decisions or when nothing could be read. */
  reading: TelemetryReading | null;
  /** New at this step (policy re-evaluated, or a schedule range / the off state began): send a `power` message. */
  fresh: boolean;
}

export class PowerMonitor {
  readonly config: PowerConfig;
  private readonly schedule: ScheduleEntry[];
  /** The last decision taken from the policy (telemetry), reused between check steps. */
  private policy: PowerDecision | null = null;
  /** Identity of the previous step's decision: 'off', 'schedule:<entry>' or 'policy@<step>'. */
  private lastKey = '';
  private lastDecision: PowerDecision | null = null;

  constructor(config: PowerConfig, private readonly telemetry: TelemetrySource | null) {
    validatePowerConfig(config);
    this.config = { ...config };
    this.schedule = parseSchedule(config.schedule);
  }

  /** Whether this monitor can ever sleep: a policy interval or a schedule. */
  get active(): boolean {
    return this.config.interval > 0 || this.schedule.length > 0;
  }

  get last(): PowerDecision | null {
    return this.lastDecision;
  }

  /** The decision after optimizer step `step` (1-based, as train.ts's afterStep passes it). */
  async afterStep(step: number): Promise<PowerDecision> {
    const entry = scheduleEntryAt(this.schedule, step);
    if (entry || this.config.interval === 0) {
      // The schedule overrides the policy in its ranges (even with interval 0); no telemetry is read.
      return this.remember(entry ? `schedule:${entry.text}` : 'off', { ...decide(this.config, step, null), step, decidedAt: step, reading: null });
    }
    // Re-read on check steps, at the first policy step, and when a schedule range has just ended
    // (the cached decision predates it; the original returned that stale value, or 0).
    if (!this.policy || !this.lastKey.startsWith('policy@') || isCheckStep(this.config, step, true)) {
      let reading: TelemetryReading | null = null;
      let failure = '';
      try {
        this.telemetry?.atStep?.(step);
        reading = this.telemetry ? await this.telemetry.read() : null;
      } catch (e) {
        failure = ` (reading telemetry failed: ${(e as Error).message})`; // never stop training over telemetry
      }
      const d = decide(this.config, step, reading);
      this.policy = { ...d, reason: d.reason + failure, step, decidedAt: step, reading, fresh: true };
      return this.remember(`policy@${step}`, this.policy);
    }
    return this.remember(`policy@${this.policy.decidedAt}`, { ...this.policy, step });
  }

  private remember(key: string, d: Omit<PowerDecision, 'fresh'>): PowerDecision {
    const decision = { ...d, fresh: key !== this.lastKey };
    this.lastKey = key;
    this.lastDecision = decision;
    return decision;
  }
}

/** The fields of the protocol's `power` message: reading flattened to numbers (charging as 1/0, age in ms). */
export function powerMessage(d: PowerDecision, now = Date.now()): { state: string; sleepMs: number; reason: string; reading: Record<string, number> } {
  const reading: Record<string, number> = {};
  if (d.reading?.batteryPct !== undefined) reading.batteryPct = d.reading.batteryPct;
  if (d.reading?.charging !== undefined) reading.charging = d.reading.charging ? 1 : 0;
  if (d.reading?.temperatureC !== undefined) reading.temperatureC = d.reading.temperatureC;
  if (d.reading) reading.ageMs = Math.max(0, now - d.reading.at);
  return { state: d.state, sleepMs: d.sleepMs, reason: d.reading ? `${d.reason} [${d.reading.source}]` : d.reason, reading };
}

/**
 * Sleep `ms`, resolving true when the full time passed and false when stopped early. `stop` is an
 * AbortSignal, or a predicate polled every `pollMs` (e.g. `() => ctx.cancelled() !== null`, since
 * the agent learns of a cancel from a message, not a signal).
 */
export function sleep(ms: number, stop?: AbortSignal | (() => boolean), pollMs = 100): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(true);
  if (typeof stop === 'function') {
    return (async () => {
      const end = Date.now() + ms;
      for (let left = ms; left > 0; left = end - Date.now()) {
        if (stop()) return false;
        await new Promise((r) => setTimeout(r, Math.min(pollMs, left)));
      }
      return true;
    })();
  }
  if (stop?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (full: boolean) => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onAbort);
      resolve(full);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    stop?.addEventListener('abort', onAbort, { once: true });
  });
}
