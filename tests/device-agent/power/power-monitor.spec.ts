// The power monitor over scripted telemetry: 30 steps through every state, the interval gating
// (telemetry read only on check steps, the first step and after a schedule range), the `fresh`
// flag that drives power messages, failures of telemetry, the protocol message, and sleep()'s
// interruption by an AbortSignal or a polled cancel predicate.
import { describe, expect, it } from 'vitest';
import { PowerMonitor, powerMessage, sleep } from '../../../device-agent/power/power-monitor.js';
import { defaultPowerConfig, type PowerConfig } from '../../../device-agent/power/power-policy.js';
import { ScriptedTelemetry, type TelemetrySource } from '../../../device-agent/power/telemetry-source.js';
import { agentMessage } from '../../../device-agent/protocol.js';

const cfg = (over: Partial<PowerConfig> = {}): PowerConfig => ({ ...defaultPowerConfig, interval: 5, ...over });

describe('PowerMonitor over 30 scripted steps', () => {
  it('produces the expected states, sleeps, fresh flags and telemetry reads', async () => {
    const telemetry = new ScriptedTelemetry([
      { from: 1, batteryPct: 80, charging: false, temperatureC: 30 },
      { from: 8, batteryPct: 15, charging: false, temperatureC: 30 }, // noticed at the check on step 10
      { from: 13, batteryPct: 15, charging: true, temperatureC: 45 }, // plugged in but hot
      { from: 18 }, // telemetry lost
      { from: 26, batteryPct: 90, charging: false, temperatureC: 30 },
    ], 'step', () => 0);
    const monitor = new PowerMonitor(cfg({ schedule: '21-25:300' }), telemetry);
    const rows: string[] = [];
    for (let step = 1; step <= 30; step++) {
      const d = await monitor.afterStep(step);
      rows.push(`${step} ${d.state} ${d.sleepMs}${d.fresh ? ' *' : ''}`);
    }
    expect(rows).toEqual([
      '1 normal 500 *', // first step: read at once (the original never throttled steps 1..K-1)
      '2 normal 500', '3 normal 500', '4 normal 500',
      '5 normal 500 *', // re-evaluated: fresh even though nothing changed
      '6 normal 500', '7 normal 500', '8 normal 500', '9 normal 500',
      '10 battery-low 2000 *',
      '11 battery-low 2000', '12 battery-low 2000', '13 battery-low 2000', '14 battery-low 2000',
      '15 hot 2000 *', // charging exempts the battery, not the heat
      '16 hot 2000', '17 hot 2000', '18 hot 2000', '19 hot 2000',
      '20 no-telemetry 500 *',
      '21 schedule 300 *', '22 schedule 300', '23 schedule 300', '24 schedule 300', '25 schedule 300',
      '26 normal 500 *', // leaving the schedule re-reads instead of reusing step 20's decision
      '27 normal 500', '28 normal 500', '29 normal 500',
      '30 normal 500 *',
    ]);
    expect(telemetry.reads).toBe(7); // steps 1, 5, 10, 15, 20, 26, 30
    expect(monitor.last).toMatchObject({ step: 30, decidedAt: 30, reading: { batteryPct: 90, temperatureC: 30, source: 'scripted' } });
  });

  it('carries the decision between checks with the current step and the deciding step', async () => {
    const m = new PowerMonitor(cfg({ interval: 4 }), new ScriptedTelemetry([{ from: 0, temperatureC: 50 }]));
    await m.afterStep(1);
    const d = await m.afterStep(3);
    expect(d).toMatchObject({ state: 'hot', step: 3, decidedAt: 1, fresh: false });
    expect(d.reading?.temperatureC).toBe(50);
  });

  it('a resumed run checks at its first step', async () => {
    const t = new ScriptedTelemetry([{ from: 0, batteryPct: 5 }]);
    const d = await new PowerMonitor(cfg({ interval: 100 }), t).afterStep(101);
    expect(d).toMatchObject({ state: 'battery-low', fresh: true });
    expect(t.reads).toBe(1);
  });

  it('interval 0 and no schedule: off, fresh once, never reads, inactive', async () => {
    const t = new ScriptedTelemetry([{ from: 0, temperatureC: 90 }]);
    const m = new PowerMonitor(cfg({ interval: 0 }), t);
    expect(m.active).toBe(false);
    const ds = [await m.afterStep(1), await m.afterStep(2)];
    expect(ds.map((d) => [d.state, d.sleepMs, d.fresh])).toEqual([['off', 0, true], ['off', 0, false]]);
    expect(t.reads).toBe(0);
  });

  it('a failing or missing telemetry source does not stop training', async () => {
    const bad: TelemetrySource = { name: 'bad', read: async () => { throw new Error('EIO'); } };
    const d = await new PowerMonitor(cfg(), bad).afterStep(1);
    expect(d).toMatchObject({ state: 'no-telemetry', sleepMs: 500 });
    expect(d.reason).toContain('(reading telemetry failed: EIO)');
    expect((await new PowerMonitor(cfg(), null).afterStep(1)).state).toBe('no-telemetry');
  });

  it('rejects an invalid config when constructed', () => {
    expect(() => new PowerMonitor(cfg({ fbHigh: 0 }), null)).toThrow('--pm_fb_high must be a frequency in Hz > 0');
  });
});

describe('powerMessage', () => {
  it('flattens the reading to numbers and passes the protocol schema', async () => {
    const t = new ScriptedTelemetry([{ from: 0, batteryPct: 15, charging: true, temperatureC: 44 }], 'step', () => 1000);
    const d = await new PowerMonitor(cfg(), t).afterStep(1);
    const m = powerMessage(d, 1250);
    expect(m).toEqual({
      state: 'hot', sleepMs: 2000,
      reason: '44 °C > 42 °C (--pm_temp_thresh); battery 15% on external power, battery rule not applied: 0.5 Hz = 2000 ms after each step [scripted]',
      reading: { batteryPct: 15, charging: 1, temperatureC: 44, ageMs: 250 },
    });
    expect(agentMessage.parse({ type: 'power', jobId: 'j', ...m })).toMatchObject({ type: 'power', state: 'hot', sleepMs: 2000 });
  });
});

describe('sleep', () => {
  it('sleeps the full time and resolves true', async () => {
    const t0 = performance.now();
    expect(await sleep(40)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    expect(await sleep(0)).toBe(true);
  });
  it('an AbortSignal cuts it short', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 20);
    expect(await sleep(5000, ac.signal)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await sleep(5000, AbortSignal.abort())).toBe(false);
  });
  it('a polled predicate (the agent\'s cancel) cuts it short', async () => {
    let cancelled = false;
    setTimeout(() => (cancelled = true), 30);
    const t0 = performance.now();
    expect(await sleep(5000, () => cancelled, 20)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
