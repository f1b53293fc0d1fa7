// The power policy's decision table (each rule, stricter wins, the cap, the schedule override and
// its boundaries, the charging rule, interval gating), checked against the C++ original's verified
// rows (behaviour doc section 7) where the semantics are the same, and against the documented
// fixes where they differ. Also validatePowerConfig's messages, in flag and job-field style.
import { describe, expect, it } from 'vitest';
import { decide, defaultPowerConfig, isCheckStep, sleepForHz, validatePowerConfig, type PowerConfig, type TelemetryReading } from '../../../device-agent/power/power-policy.js';

const cfg = (over: Partial<PowerConfig> = {}): PowerConfig => ({ ...defaultPowerConfig, interval: 5, ...over });
const r = (fields: Omit<TelemetryReading, 'source' | 'at'>): TelemetryReading => ({ ...fields, source: 'test', at: 0 });
const healthy = r({ batteryPct: 100, charging: false, temperatureC: 30 });

describe('decide: the original verified rows (K=5, evaluated at step 5)', () => {
  it.each([
    ['100 % battery, 30 °C', cfg(), healthy, 'normal', 500],
    ['10 % battery', cfg(), r({ batteryPct: 10, charging: false, temperatureC: 30 }), 'battery-low', 2000],
    ['50 °C', cfg(), r({ batteryPct: 100, charging: false, temperatureC: 50 }), 'hot', 2000],
    ['10 % battery, low frequency 0.1 Hz (cap)', cfg({ fbLow: 0.1 }), r({ batteryPct: 10, charging: false, temperatureC: 30 }), 'battery-low', 5000],
  ] as const)('%s', (_name, c, reading, state, sleepMs) => {
    expect(decide(c, 5, reading)).toMatchObject({ state, sleepMs });
  });
});

describe('decide: rules', () => {
  it('battery: strictly below the threshold is low, at the threshold is normal', () => {
    expect(decide(cfg(), 5, r({ batteryPct: 19.9, charging: false })).state).toBe('battery-low');
    expect(decide(cfg(), 5, r({ batteryPct: 20, charging: false })).state).toBe('normal');
  });
  it('temperature: strictly above the threshold is hot, at the threshold is normal', () => {
    expect(decide(cfg(), 5, r({ temperatureC: 42.1 })).state).toBe('hot');
    expect(decide(cfg(), 5, r({ temperatureC: 42 })).state).toBe('normal');
  });
  it('the stricter (longer sleep) wins', () => {
    const both = r({ batteryPct: 5, charging: false, temperatureC: 60 });
    expect(decide(cfg({ fbLow: 0.5, ftLow: 0.25 }), 5, both)).toMatchObject({ state: 'hot', sleepMs: 4000 });
    expect(decide(cfg({ fbLow: 0.25, ftLow: 0.5 }), 5, both)).toMatchObject({ state: 'battery-low', sleepMs: 4000 });
    // a low battery (2000 ms) beats a cool device's pacing (500 ms), and a hot one beats a full battery
    expect(decide(cfg(), 5, r({ batteryPct: 5, charging: false, temperatureC: 20 }))).toMatchObject({ state: 'battery-low', sleepMs: 2000 });
    expect(decide(cfg({ fbHigh: 4 }), 5, r({ batteryPct: 90, charging: false, temperatureC: 50 }))).toMatchObject({ state: 'hot', sleepMs: 2000 });
  });
  it('a fired rule names the state even when the other rule\'s pacing is longer', () => {
    const d = decide(cfg({ fbLow: 1, fbHigh: 1, ftHigh: 0.5, ftLow: 0.5 }), 5, r({ batteryPct: 5, charging: false, temperatureC: 20 }));
    expect(d).toMatchObject({ state: 'battery-low', sleepMs: 2000 });
    expect(d.reason).toBe('battery 5% < 20% (--pm_batt_thresh); 20 °C <= 42 °C: 0.5 Hz = 2000 ms after each step');
  });
  it('a tie between two triggered rules is named hot, and the reason names both, the deciding one first', () => {
    const d = decide(cfg(), 5, r({ batteryPct: 5, charging: false, temperatureC: 60 }));
    expect(d).toMatchObject({ state: 'hot', sleepMs: 2000 });
    expect(d.reason).toBe('60 °C > 42 °C (--pm_temp_thresh); battery 5% < 20% (--pm_batt_thresh): 0.5 Hz = 2000 ms after each step');
  });
  it('the healthy reason says why the default still sleeps 500 ms', () => {
    expect(decide(cfg(), 5, healthy).reason).toBe('battery 100% >= 20%; 30 °C <= 42 °C: 2 Hz = 500 ms after each step');
  });
  it('cap: --pm_max_sleep_ms bounds the sleep and the reason says so', () => {
    const d = decide(cfg({ fbLow: 0.1, maxSleepMs: 3000 }), 5, r({ batteryPct: 1, charging: false }));
    expect(d.sleepMs).toBe(3000);
    expect(d.reason).toContain('capped by --pm_max_sleep_ms 3000');
    expect(decide(cfg({ maxSleepMs: 0 }), 5, healthy).sleepMs).toBe(0);
  });
  it('sleepForHz rounds 1000/Hz after capping', () => {
    expect(sleepForHz(3, 5000)).toBe(333);
    expect(sleepForHz(0.01, 5000)).toBe(5000);
    expect(sleepForHz(1e6, 5000)).toBe(0);
  });
  it('a disabled rule contributes nothing (the original still paced with its high frequency)', () => {
    expect(decide(cfg({ disableBatt: true }), 5, r({ batteryPct: 1, charging: false, temperatureC: 30 }))).toMatchObject({ state: 'normal', sleepMs: 500 });
    expect(decide(cfg({ disableTemp: true }), 5, r({ batteryPct: 90, charging: false, temperatureC: 90 }))).toMatchObject({ state: 'normal', sleepMs: 500 });
    expect(decide(cfg({ disableBatt: true, ftHigh: 10 }), 5, healthy).sleepMs).toBe(100);
    expect(decide(cfg({ disableBatt: true, disableTemp: true }), 5, healthy)).toMatchObject({ state: 'off', sleepMs: 0 });
  });
});

describe('decide: charging', () => {
  const low = r({ batteryPct: 10, charging: true, temperatureC: 30 });
  it('on external power the battery rule does not throttle (default)', () => {
    const d = decide(cfg(), 5, low);
    expect(d).toMatchObject({ state: 'normal', sleepMs: 500 });
    expect(d.reason).toContain('battery 10% on external power, battery rule not applied');
  });
  it('battIgnoreWhenCharging false applies it anyway', () => {
    expect(decide(cfg({ battIgnoreWhenCharging: false }), 5, low)).toMatchObject({ state: 'battery-low', sleepMs: 2000 });
  });
  it('charging does not exempt the temperature rule', () => {
    expect(decide(cfg(), 5, r({ batteryPct: 10, charging: true, temperatureC: 45 })).state).toBe('hot');
  });
  it('an unknown charging state counts as on battery', () => {
    expect(decide(cfg(), 5, r({ batteryPct: 10 })).state).toBe('battery-low');
  });
});

describe('decide: missing telemetry', () => {
  it('no reading: no-telemetry, paced at the high frequencies', () => {
    expect(decide(cfg(), 5, null)).toMatchObject({ state: 'no-telemetry', sleepMs: 500, reason: 'no battery reading; no temperature reading: 2 Hz = 500 ms after each step' });
  });
  it('one field is enough to be normal', () => {
    expect(decide(cfg(), 5, r({ temperatureC: 30 }))).toMatchObject({ state: 'normal', sleepMs: 500 });
    expect(decide(cfg({ disableTemp: true }), 5, r({ temperatureC: 30 })).state).toBe('no-telemetry');
  });
});

describe('decide: interval 0 and the schedule', () => {
  it('interval 0 is off whatever the reading', () => {
    expect(decide(cfg({ interval: 0 }), 5, r({ batteryPct: 1, temperatureC: 90 }))).toMatchObject({ state: 'off', sleepMs: 0 });
  });
  it('the original verified schedule row: 0-3:300,4-7:200,8-:100 over steps 1..12, even with interval 0', () => {
    const c = cfg({ interval: 0, schedule: '0-3:300,4-7:200,8-:100' });
    const sleeps = Array.from({ length: 12 }, (_, i) => decide(c, i + 1, null).sleepMs);
    expect(sleeps).toEqual([300, 300, 300, 200, 200, 200, 200, 100, 100, 100, 100, 100]);
  });
  it('the schedule overrides the policy inside its range, inclusive at both ends', () => {
    const c = cfg({ schedule: '10-19:250' });
    const hot = r({ temperatureC: 90 });
    expect(decide(c, 9, hot).state).toBe('hot');
    expect(decide(c, 10, hot)).toMatchObject({ state: 'schedule', sleepMs: 250, reason: "--pm_schedule '10-19:250' covers step 10: 250 ms" });
    expect(decide(c, 19, hot).state).toBe('schedule');
    expect(decide(c, 20, hot).state).toBe('hot');
  });
});

describe('isCheckStep (interval gating)', () => {
  it('every interval steps, and at the first policy step', () => {
    const c = cfg({ interval: 5 });
    expect([1, 2, 5, 6, 10].map((s) => isCheckStep(c, s, true))).toEqual([false, false, true, false, true]);
    expect(isCheckStep(c, 3, false)).toBe(true);
    expect(isCheckStep(cfg({ interval: 0 }), 5, false)).toBe(false);
  });
});

describe('validatePowerConfig', () => {
  const err = (over: Partial<PowerConfig>, style?: 'flag' | 'field') => {
    try {
      validatePowerConfig(cfg(over), style);
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  };
  it('accepts the defaults', () => expect(err({})).toBeNull());
  it.each([
    [{ interval: -1 }, '--pm_interval must be a whole number of steps >= 0 (0 turns the power policy off), got -1'],
    [{ interval: 2.5 }, '--pm_interval must be a whole number of steps >= 0 (0 turns the power policy off), got 2.5'],
    [{ battThresh: 120 }, '--pm_batt_thresh must be a battery percentage in 0..100, got 120'],
    [{ battThresh: -1 }, '--pm_batt_thresh must be a battery percentage in 0..100, got -1'],
    [{ tempThresh: Number.NaN }, '--pm_temp_thresh must be a temperature in °C between -40 and 150, got NaN'],
    [{ fbHigh: 0, fbLow: 0 }, '--pm_fb_high must be a frequency in Hz > 0 (the sleep after each step is 1000/Hz ms), got 0\n--pm_fb_low must be a frequency in Hz > 0 (the sleep after each step is 1000/Hz ms), got 0'],
    [{ ftLow: -2 }, '--pm_ft_low must be a frequency in Hz > 0 (the sleep after each step is 1000/Hz ms), got -2'],
    [{ fbLow: 3 }, '--pm_fb_low (3 Hz) must not exceed --pm_fb_high (2 Hz): a low battery would then train faster than a full one'],
    [{ ftLow: 4, ftHigh: 1 }, '--pm_ft_low (4 Hz) must not exceed --pm_ft_high (1 Hz): a hot device would then train faster than a cool one'],
    [{ maxSleepMs: -1 }, '--pm_max_sleep_ms must be a whole number of ms >= 0, got -1'],
    [{ telemetryMaxAgeMs: 0 }, '--pm_telemetry_max_age_ms must be a whole number of ms > 0, got 0'],
    [{ schedule: '0-9:6000' }, "--pm_schedule: entry '0-9:6000' sleeps 6000 ms, longer than --pm_max_sleep_ms 5000; shorten it or raise --pm_max_sleep_ms"],
    [{ schedule: '9-0:10' }, "--pm_schedule: range '9-0' ends before it starts"],
  ] as const)('%j', (over, message) => {
    expect(err(over)).toBe(message);
  });
  it('lists every problem at once', () => {
    expect(err({ interval: -1, battThresh: 101 })?.split('\n')).toHaveLength(2);
  });
  it('names job fields in field style', () => {
    expect(err({ battThresh: 120 }, 'field')).toBe('power.battThresh must be a battery percentage in 0..100, got 120');
    expect(err({ schedule: '5-1:1' }, 'field')).toBe("power.schedule: range '5-1' ends before it starts");
  });
});
