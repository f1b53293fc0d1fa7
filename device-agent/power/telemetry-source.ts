// Where the power monitor's battery and temperature readings come from: readings the controller
// pushes (`telemetry` messages), the browser Battery Status API, Linux sysfs (sysfs-telemetry.ts),
// fixed --pm_manual_* values, and scripted readings for tests; createTelemetry() merges them.
// Environment-neutral: every global is guarded, so this file bundles for Node and browsers alike.
// Not the controller's own probes (main/probes/), which measure energy for the run record.
import { defaultPowerConfig, type TelemetryReading } from './power-policy.js';
import { SysfsTelemetry } from './sysfs-telemetry.js';

export type { TelemetryReading } from './power-policy.js';

export interface TelemetrySource {
  /** Short name for messages ("controller", "browser battery API", "sysfs"). */
  readonly name: string;
  /** The latest reading, or null when this source has nothing (unsupported, stale, no battery). */
  read(): Promise<TelemetryReading | null>;
  /** Told the optimizer step before each read; only step-scripted sources use it. */
  atStep?(step: number): void;
}

/** The measured fields of a reading (also the shape of the protocol's `telemetry` message). */
export interface TelemetryFields {
  batteryPct?: number;
  charging?: boolean;
  temperatureC?: number;
}

const FIELDS = ['batteryPct', 'charging', 'temperatureC'] as const;
type Field = (typeof FIELDS)[number];
type Clock = () => number;
const wallClock: Clock = () => Date.now();

/** Copy only well-formed fields: a finite battery 0..100, a boolean, a finite temperature. */
function cleanFields(m: TelemetryFields): TelemetryFields {
  const out: TelemetryFields = {};
  if (typeof m.batteryPct === 'number' && Number.isFinite(m.batteryPct)) out.batteryPct = Math.min(100, Math.max(0, m.batteryPct));
  if (typeof m.charging === 'boolean') out.charging = m.charging;
  if (typeof m.temperatureC === 'number' && Number.isFinite(m.temperatureC)) out.temperatureC = m.temperatureC;
  return out;
}

/**
 * Readings pushed by the controller: the agent runtime calls push() for every `telemetry` message.
 * Each field keeps its own timestamp, so a message with only a temperature does not erase the
 * battery level of an earlier one; a field older than maxAgeMs is dropped (the controller stopped
 * measuring it, or the connection stalled), and a reading with no fresh field is null.
 */
export class PushedTelemetry implements TelemetrySource {
  readonly name = 'controller';
  private fields: Partial<Record<Field, { value: number | boolean; at: number; source: string }>> = {};

  constructor(public maxAgeMs = defaultPowerConfig.telemetryMaxAgeMs, private readonly now: Clock = wallClock) {}

  push(msg: TelemetryFields, source = 'controller', at = this.now()): void {
    const clean = cleanFields(msg);
    for (const k of FIELDS) {
      const value = clean[k];
      if (value !== undefined) this.fields[k] = { value, at, source };
    }
  }

  async read(): Promise<TelemetryReading | null> {
    const now = this.now();
    const out: TelemetryFields = {};
    const sources = new Set<string>();
    let at = Infinity;
    for (const k of FIELDS) {
      const f = this.fields[k];
      if (!f || now - f.at > this.maxAgeMs) continue;
      (out as Record<Field, number | boolean>)[k] = f.value;
      sources.add(f.source);
      at = Math.min(at, f.at);
    }
    if (sources.size === 0) return null;
    return { ...out, source: [...sources].join('+'), at };
  }
}

interface BatteryManagerLike {
  level: number;
  charging: boolean;
}
export interface NavigatorLike {
  getBattery?(): Promise<BatteryManagerLike>;
}

function globalNavigator(): NavigatorLike | undefined {
  return (globalThis as { navigator?: NavigatorLike }).navigator;
}

/**
 * navigator.getBattery(): level and charging of the device the page runs on. Chrome/Edge only,
 * secure contexts only, never Safari/iOS, and not inside Web Workers (WorkerNavigator lacks it):
 * the agent's worker gets battery readings pushed by the page or the controller instead. A
 * desktop without a battery reports 100 % and charging.
 */
export class BrowserBatteryTelemetry implements TelemetrySource {
  readonly name = 'browser battery API';
  private manager: Promise<BatteryManagerLike | null> | null = null;

  constructor(private readonly nav: NavigatorLike | undefined = globalNavigator(), private readonly now: Clock = wallClock) {}

  static available(nav: NavigatorLike | undefined = globalNavigator()): boolean {
    return typeof nav?.getBattery === 'function';
  }

  async read(): Promise<TelemetryReading | null> {
    if (!this.nav || typeof this.nav.getBattery !== 'function') return null;
    // One BatteryManager for the page's lifetime: its level/charging properties update live.
    // A rejection (permissions policy, insecure context) means this source has nothing, for good.
    this.manager ??= this.nav.getBattery().then((m) => m, () => null);
    const m = await this.manager;
    if (!m || typeof m.level !== 'number' || !Number.isFinite(m.level)) return null;
    return { ...cleanFields({ batteryPct: m.level * 100, charging: m.charging }), source: this.name, at: this.now() };
  }
}

/** Fixed readings (--pm_manual_batt / --pm_manual_temp): the original's only telemetry, here an explicit override. */
export class ManualTelemetry implements TelemetrySource {
  readonly name = 'manual';
  constructor(private readonly fields: TelemetryFields, private readonly now: Clock = wallClock) {}
  async read(): Promise<TelemetryReading | null> {
    const f = cleanFields(this.fields);
    return Object.keys(f).length === 0 ? null : { ...f, source: 'manual (--pm_manual_*)', at: this.now() };
  }
}

/** One scripted reading, in effect from step (or ms) `from` until the next entry; no fields = nothing readable. */
export interface ScriptEntry extends TelemetryFields {
  from: number;
}

/** Readings by optimizer step (the monitor calls atStep) or by clock time, for tests and rigs. */
export class ScriptedTelemetry implements TelemetrySource {
  readonly name = 'scripted';
  /** How many times read() was called: tests check the interval gating with it. */
  reads = 0;
  private step = 0;
  private readonly entries: ScriptEntry[];

  constructor(entries: ScriptEntry[], private readonly by: 'step' | 'time' = 'step', private readonly now: Clock = wallClock) {
    this.entries = [...entries].sort((a, b) => a.from - b.from);
  }

  atStep(step: number): void {
    this.step = step;
  }

  async read(): Promise<TelemetryReading | null> {
    this.reads++;
    const key = this.by === 'step' ? this.step : this.now();
    let current: ScriptEntry | undefined;
    for (const e of this.entries) if (e.from <= key) current = e;
    const f = current ? cleanFields(current) : {};
    return Object.keys(f).length === 0 ? null : { ...f, source: this.name, at: this.now() };
  }
}

/**
 * Several sources as one. Merge rule: each field (batteryPct, charging, temperatureC) comes from
 * the first source in order that has it; later sources are asked only for fields still missing.
 * A source that throws counts as having nothing (its error is kept in lastErrors). The merged
 * reading's `at` is the oldest contributing reading's, its `source` says which field came from where.
 */
export class MergedTelemetry implements TelemetrySource {
  readonly name: string;
  lastErrors: string[] = [];

  constructor(readonly sources: TelemetrySource[]) {
    this.name = sources.map((s) => s.name).join(' > ') || 'none';
  }

  atStep(step: number): void {
    for (const s of this.sources) s.atStep?.(step);
  }

  async read(): Promise<TelemetryReading | null> {
    this.lastErrors = [];
    const out: TelemetryFields = {};
    const parts: { fields: Field[]; source: string }[] = [];
    let at = Infinity;
    for (const s of this.sources) {
      if (FIELDS.every((k) => out[k] !== undefined)) break;
      let r: TelemetryReading | null;
      try {
        r = await s.read();
      } catch (e) {
        this.lastErrors.push(`${s.name}: ${(e as Error).message}`);
        continue;
      }
      if (!r) continue;
      const took = FIELDS.filter((k) => out[k] === undefined && r[k] !== undefined);
      for (const k of took) (out as Record<Field, number | boolean>)[k] = r[k] as number | boolean;
      if (took.length === 0) continue;
      parts.push({ fields: took, source: r.source });
      at = Math.min(at, r.at);
    }
    if (parts.length === 0) return null;
    const source = parts.length === 1 ? parts[0].source : parts.map((p) => `${p.fields.join('+')}: ${p.source}`).join('; ');
    return { ...out, source, at };
  }
}

export interface TelemetryOptions {
  /** --pm_manual_batt / --pm_manual_temp: asked first, so they override real readings (reproducing C++ runs). */
  manual?: TelemetryFields | null;
  /** Readings from the controller's `telemetry` messages. */
  pushed?: PushedTelemetry | null;
  /** navigator.getBattery(); default: when the global navigator has it. */
  browser?: boolean;
  /** Linux sysfs; default: Node on Linux/Android at /sys. `{ root }` points it at a fixture tree. */
  sysfs?: boolean | { root: string };
  /** Appended last (tests, rigs). */
  extra?: TelemetrySource[];
  now?: Clock;
}

function nodeOnLinux(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string }; platform?: string } }).process;
  return typeof proc?.versions?.node === 'string' && (proc.platform === 'linux' || proc.platform === 'android');
}

/** The sources for this environment, in order: manual, controller, browser battery API, sysfs, extra. */
export function createTelemetry(opts: TelemetryOptions = {}): MergedTelemetry {
  const now = opts.now ?? wallClock;
  const sources: TelemetrySource[] = [];
  if (opts.manual && Object.keys(cleanFields(opts.manual)).length > 0) sources.push(new ManualTelemetry(opts.manual, now));
  if (opts.pushed) sources.push(opts.pushed);
  if (opts.browser ?? BrowserBatteryTelemetry.available()) sources.push(new BrowserBatteryTelemetry(globalNavigator(), now));
  const sysfs = opts.sysfs ?? nodeOnLinux();
  if (sysfs) sources.push(new SysfsTelemetry(typeof sysfs === 'object' ? sysfs.root : '/sys', now));
  sources.push(...(opts.extra ?? []));
  return new MergedTelemetry(sources);
}
