// The power policy: configuration, its validation, the --pm_schedule parser and the pure per-step
// decision (how long to sleep after an optimizer step, and why). No I/O, no clock: telemetry comes
// in as a reading, caching between check steps is power-monitor.ts's job. Follows the C++
// original's decision table (../shared/reference/mobilefinetuner-behaviour.md section 7): a rule
// "runs at f Hz" means the step is followed by a sleep of 1000/f ms; the stricter rule wins; the
// schedule overrides the policy in its ranges. Where the original was wrong it is fixed here (see
// README.md in this folder: disabled rules, Hz <= 0, silently skipped schedule tokens, charging).

export type PowerState = 'off' | 'normal' | 'battery-low' | 'hot' | 'schedule' | 'no-telemetry';

export interface PowerConfig {
  /** Re-evaluate the policy every `interval` optimizer steps; 0 turns the policy off (the schedule still applies). */
  interval: number;
  /** Battery rule: below this percentage (strictly) the battery runs at fbLow, otherwise at fbHigh. */
  battThresh: number;
  fbHigh: number;
  fbLow: number;
  /** Temperature rule: above this °C (strictly) run at ftLow, otherwise at ftHigh. */
  tempThresh: number;
  ftHigh: number;
  ftLow: number;
  disableBatt: boolean;
  disableTemp: boolean;
  /** On external power (charging, full, or plugged in and held) the battery rule never goes low. */
  battIgnoreWhenCharging: boolean;
  /** Upper bound of every sleep, in ms (the original hard-coded 5000). */
  maxSleepMs: number;
  /** "start-end:ms,start-:ms": fixed sleeps for step ranges (1-based optimizer steps), overriding the policy. */
  schedule: string;
  /** Pushed telemetry older than this counts as missing. */
  telemetryMaxAgeMs: number;
}

export const defaultPowerConfig: PowerConfig = {
  interval: 0, // off, as the original
  battThresh: 20,
  fbHigh: 2.0, // 2 Hz = 500 ms after every step, even on a healthy phone (the original's default pacing)
  fbLow: 0.5, // 0.5 Hz = 2000 ms
  tempThresh: 42,
  ftHigh: 2.0,
  ftLow: 0.5,
  disableBatt: false,
  disableTemp: false,
  battIgnoreWhenCharging: true,
  maxSleepMs: 5000,
  schedule: '',
  telemetryMaxAgeMs: 30_000,
};

/** What a telemetry source measured; absent fields were not measured. */
export interface TelemetryReading {
  /** 0..100 */
  batteryPct?: number;
  /** On external power: charging, full, or plugged in but held. */
  charging?: boolean;
  temperatureC?: number;
  /** Where the fields came from ("controller", "sysfs BAT0 + thermal_zone0 (x86_pkg_temp)", ...). */
  source: string;
  /** Date.now() of the measurement (the oldest field's, for merged readings). */
  at: number;
}

export interface PolicyDecision {
  state: PowerState;
  sleepMs: number;
  reason: string;
}

export interface ScheduleEntry {
  start: number;
  /** Inclusive; null for an open range ("200-"). */
  end: number | null;
  ms: number;
  /** The entry as written, for messages. */
  text: string;
}

/** Flag names (CLI) and field names (the job message's power block) for messages. */
const NAMES = {
  interval: 'pm_interval', battThresh: 'pm_batt_thresh', fbHigh: 'pm_fb_high', fbLow: 'pm_fb_low',
  tempThresh: 'pm_temp_thresh', ftHigh: 'pm_ft_high', ftLow: 'pm_ft_low', maxSleepMs: 'pm_max_sleep_ms',
  schedule: 'pm_schedule', telemetryMaxAgeMs: 'pm_telemetry_max_age_ms',
} as const;
export type NameStyle = 'flag' | 'field';
const label = (key: keyof typeof NAMES, style: NameStyle) => (style === 'flag' ? `--${NAMES[key]}` : `power.${key}`);

/** Parse "0-99:300,100-199:200,200-:100". Errors name the offending entry; an empty string is no schedule. */
export function parseSchedule(s: string, name = '--pm_schedule'): ScheduleEntry[] {
  if (s.trim() === '') return [];
  const entries: ScheduleEntry[] = [];
  const form = 'start-end:ms or start-:ms (whole steps >= 0, sleep in whole ms)';
  s.split(',').forEach((raw, i) => {
    const text = raw.trim();
    if (text === '') throw new Error(`${name}: entry ${i + 1} of '${s}' is empty; separate entries with single commas, no trailing comma`);
    const colon = text.indexOf(':');
    if (colon < 0) throw new Error(`${name}: entry '${text}' has no ':ms'; write ${form}`);
    const range = text.slice(0, colon).trim();
    const msText = text.slice(colon + 1).trim();
    const dash = range.indexOf('-');
    if (dash <= 0) throw new Error(`${name}: range '${range}' in '${text}' is not start-end or start-; write ${form}`);
    const startText = range.slice(0, dash).trim();
    const endText = range.slice(dash + 1).trim();
    if (!/^\d+$/.test(startText)) throw new Error(`${name}: range '${range}' has a non-numeric start '${startText}'`);
    if (endText !== '' && !/^\d+$/.test(endText)) throw new Error(`${name}: range '${range}' has a non-numeric end '${endText}'`);
    if (/^-\d+$/.test(msText)) throw new Error(`${name}: entry '${text}' has a negative sleep ${msText} ms`);
    if (!/^\d+$/.test(msText)) throw new Error(`${name}: entry '${text}' has a sleep '${msText}' that is not a whole number of ms`);
    const start = Number(startText);
    const end = endText === '' ? null : Number(endText);
    if (end !== null && end < start) throw new Error(`${name}: range '${range}' ends before it starts`);
    entries.push({ start, end, ms: Number(msText), text });
  });
  entries.sort((a, b) => a.start - b.start);
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1];
    const cur = entries[i];
    if (prev.end === null) throw new Error(`${name}: open range '${rangeOf(prev)}' must be the last range, but '${rangeOf(cur)}' starts after it`);
    if (cur.start <= prev.end) throw new Error(`${name}: ranges '${rangeOf(prev)}' and '${rangeOf(cur)}' overlap (steps ${cur.start}-${Math.min(prev.end, cur.end ?? prev.end)})`);
  }
  return entries;
}

const rangeOf = (e: ScheduleEntry) => `${e.start}-${e.end ?? ''}`;

let memo: { s: string; entries: ScheduleEntry[] } | null = null;
/** parseSchedule of the config's string, remembered for the last string (decide runs every step). */
function scheduleOf(config: PowerConfig): ScheduleEntry[] {
  if (memo?.s !== config.schedule) memo = { s: config.schedule, entries: parseSchedule(config.schedule) };
  return memo.entries;
}

/** The schedule entry covering `step`, if any. */
export function scheduleEntryAt(entries: ScheduleEntry[], step: number): ScheduleEntry | null {
  for (const e of entries) {
    if (step < e.start) break; // sorted by start, no overlaps
    if (e.end === null || step <= e.end) return e;
  }
  return null;
}

/** Throws one Error listing every problem, each naming its flag (style 'flag') or job field ('field'). */
export function validatePowerConfig(c: PowerConfig, style: NameStyle = 'flag'): void {
  const errors: string[] = [];
  const n = (k: keyof typeof NAMES) => label(k, style);
  if (!Number.isInteger(c.interval) || c.interval < 0) errors.push(`${n('interval')} must be a whole number of steps >= 0 (0 turns the power policy off), got ${c.interval}`);
  if (!Number.isFinite(c.battThresh) || c.battThresh < 0 || c.battThresh > 100) errors.push(`${n('battThresh')} must be a battery percentage in 0..100, got ${c.battThresh}`);
  if (!Number.isFinite(c.tempThresh) || c.tempThresh < -40 || c.tempThresh > 150) errors.push(`${n('tempThresh')} must be a temperature in °C between -40 and 150, got ${c.tempThresh}`);
  for (const k of ['fbHigh', 'fbLow', 'ftHigh', 'ftLow'] as const) {
    if (!Number.isFinite(c[k]) || c[k] <= 0) errors.push(`${n(k)} must be a frequency in Hz > 0 (the sleep after each step is 1000/Hz ms), got ${c[k]}`);
  }
  if (c.fbLow > c.fbHigh) errors.push(`${n('fbLow')} (${c.fbLow} Hz) must not exceed ${n('fbHigh')} (${c.fbHigh} Hz): a low battery would then train faster than a full one`);
  if (c.ftLow > c.ftHigh) errors.push(`${n('ftLow')} (${c.ftLow} Hz) must not exceed ${n('ftHigh')} (${c.ftHigh} Hz): a hot device would then train faster than a cool one`);
  if (!Number.isInteger(c.maxSleepMs) || c.maxSleepMs < 0) errors.push(`${n('maxSleepMs')} must be a whole number of ms >= 0, got ${c.maxSleepMs}`);
  if (!Number.isInteger(c.telemetryMaxAgeMs) || c.telemetryMaxAgeMs <= 0) errors.push(`${n('telemetryMaxAgeMs')} must be a whole number of ms > 0, got ${c.telemetryMaxAgeMs}`);
  try {
    for (const e of parseSchedule(c.schedule, n('schedule'))) {
      if (e.ms > c.maxSleepMs) errors.push(`${n('schedule')}: entry '${e.text}' sleeps ${e.ms} ms, longer than ${n('maxSleepMs')} ${c.maxSleepMs}; shorten it or raise ${n('maxSleepMs')}`);
    }
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length > 0) throw new Error(errors.join('\n'));
}

/** Whether the monitor re-reads telemetry at `step`: every `interval` steps, and at its first policy step. */
export function isCheckStep(config: PowerConfig, step: number, hasPolicyDecision: boolean): boolean {
  return config.interval > 0 && (!hasPolicyDecision || step % config.interval === 0);
}

/** The sleep after one step at `hz`, capped: round(min(1000/hz, cap)). */
export function sleepForHz(hz: number, capMs: number): number {
  return Math.round(Math.min(1000 / hz, capMs));
}

const fmt = (v: number) => String(Math.round(v * 10) / 10);

/**
 * The decision for `step` from `reading` (null: nothing could be read). The schedule wins in its
 * ranges, even with interval 0; otherwise interval 0 is 'off'; otherwise each enabled rule picks
 * its high or low frequency, the longest resulting sleep wins and is capped at maxSleepMs.
 */
export function decide(config: PowerConfig, step: number, reading: TelemetryReading | null): PolicyDecision {
  const entry = scheduleEntryAt(scheduleOf(config), step);
  if (entry) return { state: 'schedule', sleepMs: entry.ms, reason: `--pm_schedule '${entry.text}' covers step ${step}: ${entry.ms} ms` };
  if (config.interval === 0) return { state: 'off', sleepMs: 0, reason: 'power policy off (--pm_interval 0)' };
  const rules: { state: PowerState; hz: number; why: string }[] = [];
  const notes: string[] = [];
  let measured = 0;
  if (!config.disableBatt) {
    const pct = reading?.batteryPct;
    const ignored = reading?.charging === true && config.battIgnoreWhenCharging;
    if (pct !== undefined || ignored) measured++;
    if (ignored) notes.push(`${pct === undefined ? 'battery' : `battery ${fmt(pct)}%`} on external power, battery rule not applied`);
    else if (pct === undefined) notes.push('no battery reading');
    if (pct !== undefined && !ignored && pct < config.battThresh) {
      rules.push({ state: 'battery-low', hz: config.fbLow, why: `battery ${fmt(pct)}% < ${config.battThresh}% (--pm_batt_thresh)` });
    } else {
      rules.push({ state: 'normal', hz: config.fbHigh, why: '' });
      if (pct !== undefined && !ignored) notes.push(`battery ${fmt(pct)}% >= ${config.battThresh}%`);
    }
  }
  if (!config.disableTemp) {
    const t = reading?.temperatureC;
    if (t === undefined) notes.push('no temperature reading');
    else measured++;
    if (t !== undefined && t > config.tempThresh) rules.push({ state: 'hot', hz: config.ftLow, why: `${fmt(t)} °C > ${config.tempThresh} °C (--pm_temp_thresh)` });
    else {
      rules.push({ state: 'normal', hz: config.ftHigh, why: '' });
      if (t !== undefined) notes.push(`${fmt(t)} °C <= ${config.tempThresh} °C`);
    }
  }
  if (rules.length === 0) return { state: 'off', sleepMs: 0, reason: 'both rules disabled (--pm_disable_batt, --pm_disable_temp)' };
  // Stricter wins: the lowest frequency, i.e. the longest sleep. The state is named after the
  // strictest rule that fired (on a tie 'hot': heat is the safety rule), even when another rule's
  // pacing is longer (a slow ftHigh); with none fired it is normal, or no-telemetry if nothing was read.
  const hz = Math.min(...rules.map((r) => r.hz));
  const uncapped = 1000 / hz;
  const sleepMs = sleepForHz(hz, config.maxSleepMs);
  const fired = rules.filter((r) => r.state !== 'normal').sort((a, b) => a.hz - b.hz || (a.state === 'hot' ? -1 : 1));
  const triggered = fired.map((r) => r.why);
  const state: PowerState = fired.length > 0 ? fired[0].state : measured === 0 ? 'no-telemetry' : 'normal';
  const cap = uncapped > config.maxSleepMs ? `, capped by --pm_max_sleep_ms ${config.maxSleepMs}` : '';
  const what = [...triggered, ...notes].join('; ');
  return { state, sleepMs, reason: `${what}: ${fmt(hz)} Hz = ${sleepMs} ms after each step${cap}` };
}
