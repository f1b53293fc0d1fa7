// Telemetry sources: pushed controller readings and their staleness, the browser Battery Status API
// (with a fake navigator), fixed and scripted readings, and the merge rule (each field from the
// first source in order that has it).
import { describe, expect, it } from 'vitest';
import { BrowserBatteryTelemetry, createTelemetry, ManualTelemetry, MergedTelemetry, PushedTelemetry, ScriptedTelemetry, type TelemetrySource } from '../../../device-agent/power/telemetry-source.js';

function clock(t = 0) {
  const c = { t, now: () => c.t };
  return c;
}

describe('PushedTelemetry', () => {
  it('keeps each field with its own time and drops it after maxAgeMs', async () => {
    const c = clock();
    const p = new PushedTelemetry(30_000, c.now);
    expect(await p.read()).toBeNull();
    p.push({ batteryPct: 50, charging: false });
    c.t = 10_000;
    p.push({ temperatureC: 40 }); // a temperature-only message keeps the battery reading
    c.t = 20_000;
    expect(await p.read()).toEqual({ batteryPct: 50, charging: false, temperatureC: 40, source: 'controller', at: 0 });
    c.t = 30_000; // exactly maxAgeMs old: still fresh
    expect((await p.read())?.batteryPct).toBe(50);
    c.t = 35_000;
    expect(await p.read()).toEqual({ temperatureC: 40, source: 'controller', at: 10_000 });
    c.t = 45_000;
    expect(await p.read()).toBeNull();
  });
  it('ignores malformed fields and takes the telemetry message as it comes', async () => {
    const c = clock(5);
    const p = new PushedTelemetry(1000, c.now);
    const msg = { type: 'telemetry' as const, batteryPct: Number.NaN, temperatureC: 41.5 };
    p.push(msg);
    expect(await p.read()).toEqual({ temperatureC: 41.5, source: 'controller', at: 5 });
  });
  it('tags readings forwarded from elsewhere (the page forwarding getBattery to the worker)', async () => {
    const p = new PushedTelemetry(1000, () => 0);
    p.push({ batteryPct: 80 }, 'page battery API');
    p.push({ temperatureC: 30 });
    expect((await p.read())?.source).toBe('page battery API+controller');
  });
  it('maxAgeMs can be changed once the job says', async () => {
    const c = clock();
    const p = new PushedTelemetry(30_000, c.now);
    p.push({ temperatureC: 30 });
    c.t = 5000;
    p.maxAgeMs = 1000;
    expect(await p.read()).toBeNull();
  });
});

describe('BrowserBatteryTelemetry', () => {
  it('reads level (0..1) as a percentage and charging, asking getBattery once', async () => {
    let calls = 0;
    const manager = { level: 0.42, charging: false };
    const nav = { getBattery: async () => (calls++, manager) };
    const b = new BrowserBatteryTelemetry(nav, () => 7);
    expect(await b.read()).toEqual({ batteryPct: 42, charging: false, source: 'browser battery API', at: 7 });
    manager.level = 0.41; // the BatteryManager is live
    manager.charging = true;
    expect(await b.read()).toMatchObject({ batteryPct: 41, charging: true });
    expect(calls).toBe(1);
  });
  it('has nothing where the API is absent (Safari, Firefox, Workers, Node) or refused', async () => {
    expect(await new BrowserBatteryTelemetry(undefined).read()).toBeNull();
    expect(await new BrowserBatteryTelemetry({}).read()).toBeNull();
    expect(BrowserBatteryTelemetry.available({})).toBe(false);
    const refused = { getBattery: () => Promise.reject(new Error('NotAllowedError')) };
    expect(BrowserBatteryTelemetry.available(refused)).toBe(true);
    expect(await new BrowserBatteryTelemetry(refused).read()).toBeNull();
  });
});

describe('ScriptedTelemetry', () => {
  it('by step: the last entry at or before the step; an entry without fields reads null', async () => {
    const s = new ScriptedTelemetry([{ from: 10, batteryPct: 15 }, { from: 1, batteryPct: 80 }, { from: 20 }], 'step', () => 0);
    const at = async (step: number) => (s.atStep(step), (await s.read())?.batteryPct ?? null);
    expect([await at(0), await at(1), await at(9), await at(10), await at(20)]).toEqual([null, 80, 80, 15, null]);
    expect(s.reads).toBe(5);
  });
  it('by time', async () => {
    const c = clock();
    const s = new ScriptedTelemetry([{ from: 0, temperatureC: 30 }, { from: 1000, temperatureC: 50 }], 'time', c.now);
    expect((await s.read())?.temperatureC).toBe(30);
    c.t = 1000;
    expect((await s.read())?.temperatureC).toBe(50);
  });
});

describe('MergedTelemetry', () => {
  const fixed = (name: string, reading: Awaited<ReturnType<TelemetrySource['read']>>): TelemetrySource & { reads: number } => ({
    name, reads: 0, async read() { this.reads++; return reading; },
  });
  it('takes each field from the first source that has it and says where each came from', async () => {
    const a = fixed('a', { temperatureC: 45, source: 'controller', at: 100 });
    const b = fixed('b', { batteryPct: 60, charging: true, temperatureC: 30, source: 'browser battery API', at: 200 });
    const m = new MergedTelemetry([a, b]);
    expect(await m.read()).toEqual({ temperatureC: 45, batteryPct: 60, charging: true, source: 'temperatureC: controller; batteryPct+charging: browser battery API', at: 100 });
  });
  it('stops asking once every field is filled, and keeps a single source\'s name as is', async () => {
    const a = fixed('a', { batteryPct: 60, charging: false, temperatureC: 30, source: 'sysfs BAT0', at: 1 });
    const b = fixed('b', { batteryPct: 1, source: 'never', at: 2 });
    expect((await new MergedTelemetry([a, b]).read())?.source).toBe('sysfs BAT0');
    expect(b.reads).toBe(0);
  });
  it('a throwing source has nothing; its error is kept', async () => {
    const bad: TelemetrySource = { name: 'bad', read: async () => { throw new Error('EIO'); } };
    const m = new MergedTelemetry([bad, fixed('ok', { temperatureC: 33, source: 'ok', at: 0 })]);
    expect(await m.read()).toEqual({ temperatureC: 33, source: 'ok', at: 0 });
    expect(m.lastErrors).toEqual(['bad: EIO']);
  });
  it('no source with anything reads null', async () => {
    expect(await new MergedTelemetry([fixed('a', null)]).read()).toBeNull();
    expect(await new MergedTelemetry([]).read()).toBeNull();
  });
});

describe('createTelemetry', () => {
  it('orders manual > controller > browser > sysfs > extra', async () => {
    const pushed = new PushedTelemetry(1000, () => 0);
    pushed.push({ batteryPct: 10, charging: false, temperatureC: 50 });
    const nav = { getBattery: async () => ({ level: 0.9, charging: true }) };
    const t = createTelemetry({ manual: { temperatureC: 30 }, pushed, browser: false, sysfs: false, now: () => 0, extra: [new BrowserBatteryTelemetry(nav, () => 0)] });
    expect(t.sources.map((s) => s.name)).toEqual(['manual', 'controller', 'browser battery API']);
    expect(await t.read()).toEqual({ temperatureC: 30, batteryPct: 10, charging: false, source: 'temperatureC: manual (--pm_manual_*); batteryPct+charging: controller', at: 0 });
  });
  it('without sources it reads null; empty manual values add no source', async () => {
    const t = createTelemetry({ manual: {}, browser: false, sysfs: false });
    expect(t.sources).toEqual([]);
    expect(await t.read()).toBeNull();
  });
  it('in Node on Linux sysfs is on by default, the browser API off', () => {
    const names = createTelemetry().sources.map((s) => s.name);
    expect(names.includes('browser battery API')).toBe(false);
    expect(names.includes('sysfs')).toBe(process.platform === 'linux');
  });
  it('ManualTelemetry reads its fixed values', async () => {
    expect(await new ManualTelemetry({ batteryPct: 100, temperatureC: 30 }, () => 3).read()).toEqual({ batteryPct: 100, temperatureC: 30, source: 'manual (--pm_manual_*)', at: 3 });
  });
});
