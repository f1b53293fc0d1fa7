// Tests of the energy probes (main/probes/rapl-energy.ts, battery-energy.ts, energy-meter.ts) on
// sysfs trees materialized from tests/fixtures/sysfs/: domain choice, wraparound, units, the
// root-only RAPL case and the honest "not measured" reading.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatteryEnergy } from '../../../main/probes/battery-energy';
import { EnergyMeter } from '../../../main/probes/energy-meter';
import { RaplEnergy } from '../../../main/probes/rapl-energy';
import { sysfs } from '../../../main/probes/sysfs-read';
import { useSysfsTrees } from './sysfs-fixture';

const tree = useSysfsTrees();
afterEach(() => {
  vi.restoreAllMocks();
});

describe('RaplEnergy', () => {
  it('sums the package domains only (not psys, sub-zones or the mmio duplicate)', async () => {
    const t = await tree('laptop-intel');
    const r = await RaplEnergy.open(t.root);
    expect(r.ok && r.probe.source).toBe('rapl:package-0');
    if (!r.ok) return;
    expect(await r.probe.read()).toBe(0);
    await t.set('class/powercap/intel-rapl:0/energy_uj', 48213377015 + 5_000_000);
    await t.set('class/powercap/intel-rapl:1/energy_uj', 91853094412 + 9_000_000); // psys: ignored
    expect(await r.probe.read()).toBeCloseTo(5, 9);
  });

  it('undoes the counter wraparound with max_energy_range_uj, on two sockets', async () => {
    const t = await tree('server-2-socket');
    const r = await RaplEnergy.open(t.root);
    if (!r.ok) throw new Error(r.reason);
    expect(r.probe.source).toBe('rapl:package-0+package-1');
    // package-0 sits at 262143000000 of 262143328850: 328850 µJ to the wrap, then 1000000 more.
    await t.set('class/powercap/intel-rapl:0/energy_uj', 1_000_000);
    await t.set('class/powercap/intel-rapl:1/energy_uj', 131_000_000_000 + 2_000_000);
    expect(await r.probe.read()).toBeCloseTo(1.32885 + 2, 9);
    await t.set('class/powercap/intel-rapl:0/energy_uj', 3_000_000);
    expect(await r.probe.read()).toBeCloseTo(5.32885, 9);
  });

  it('delta: plain, wrapped, and wrapped without a known range', () => {
    expect(RaplEnergy.delta(10, 25, 100)).toBe(15);
    expect(RaplEnergy.delta(90, 5, 100)).toBe(15);
    expect(RaplEnergy.delta(90, 5, 0)).toBe(5);
  });

  it('explains root-only counters (Linux >= 5.10) with the command that fixes it', async () => {
    const t = await tree('laptop-intel');
    // Tests run as root here, where file modes cannot deny a read: fake the errno instead.
    const real = sysfs.read;
    vi.spyOn(sysfs, 'read').mockImplementation(async (file) => (file.endsWith('energy_uj') ? { ok: false, code: 'EACCES' } : real(file)));
    const r = await RaplEnergy.open(t.root);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/readable only by root.*chmod a\+r \/sys\/class\/powercap\/intel-rapl:\*\/energy_uj/);
  });

  it('reports missing RAPL', async () => {
    const r = await RaplEnergy.open('/nonexistent-sysfs');
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/no RAPL powercap zones/) });
  });
});

describe('BatteryEnergy', () => {
  it('counts energy_now drops in µWh (1 µWh = 3.6 mJ) and skips rises (charging)', async () => {
    const t = await tree('laptop-intel');
    const r = await BatteryEnergy.open(t.root);
    if (!r.ok) throw new Error(r.reason);
    expect(r.probe.source).toBe('battery:BAT0 energy_now');
    await t.set('class/power_supply/BAT0/energy_now', 45190000 - 1000);
    expect((await r.probe.read()).joules).toBeCloseTo(3.6, 9);
    await t.set('class/power_supply/BAT0/energy_now', 45190000 + 5000);
    await t.set('class/power_supply/BAT0/status', 'Charging');
    expect(await r.probe.read()).toEqual({ joules: expect.closeTo(3.6, 9), charging: true });
  });

  it('uses charge_now (µAh) x voltage_now (µV) where there is no energy counter', async () => {
    const t = await tree('laptop-charge-counter');
    const r = await BatteryEnergy.open(t.root);
    if (!r.ok) throw new Error(r.reason);
    expect(r.probe.source).toBe('battery:BAT1 charge_now');
    await t.set('class/power_supply/BAT1/charge_now', 3100000 - 10000);
    // 10000 µAh at 7.6 V = 0.076 Wh = 273.6 J
    expect((await r.probe.read()).joules).toBeCloseTo(273.6, 6);
  });
});

describe('EnergyMeter', () => {
  it('prefers RAPL', async () => {
    const t = await tree('laptop-intel');
    const m = await EnergyMeter.open(t.root);
    expect(await m.read()).toEqual({ joules: 0, source: 'rapl:package-0' });
  });

  it('falls back to the battery and says why, and that it is coarse', async () => {
    const t = await tree('laptop-intel');
    await t.remove('class/powercap');
    const m = await EnergyMeter.open(t.root);
    await t.set('class/power_supply/BAT0/energy_now', 45190000 - 2000);
    const r = await m.read();
    expect(r).toMatchObject({ joules: expect.closeTo(7.2, 9), source: 'battery:BAT0 energy_now' });
    expect(r.note).toMatch(/coarse battery counter.*no RAPL powercap zones/);
  });

  it('says "not measured" where nothing is readable (this VM: no powercap, no battery)', async () => {
    const m = await EnergyMeter.open('/nonexistent-sysfs');
    const r = await m.read();
    expect(r.joules).toBeNull();
    expect(r.source).toBe('none');
    expect(r.note).toMatch(/^no readable RAPL or battery counter: energy not measured/);
  });
});
