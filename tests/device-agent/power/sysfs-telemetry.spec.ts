// SysfsTelemetry against small sysfs trees written to a temp folder: a laptop (AC + BAT0 + a mouse
// battery, CPU zones and a dead Wi-Fi zone), a phone-like tree (battery with temp, usb supply, skin
// zone), counters without capacity, a desktop without a battery, and an empty root.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SysfsTelemetry } from '../../../device-agent/power/sysfs-telemetry.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** Write { 'class/power_supply/BAT0/capacity': '57', ... } under a fresh root (values get a newline, as sysfs). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'fleettune-sysfs-'));
  roots.push(root);
  for (const [rel, value] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, `${value}\n`);
  }
  return root;
}

const read = (root: string) => new SysfsTelemetry(root, () => 1).read();

describe('SysfsTelemetry', () => {
  it('laptop: the system battery (not the mouse), charging from status, the hottest CPU zone', async () => {
    const root = tree({
      'class/power_supply/AC/type': 'Mains', 'class/power_supply/AC/online': '1',
      'class/power_supply/BAT0/type': 'Battery', 'class/power_supply/BAT0/present': '1',
      'class/power_supply/BAT0/capacity': '57', 'class/power_supply/BAT0/status': 'Charging',
      'class/power_supply/hidpp_battery_0/type': 'Battery', 'class/power_supply/hidpp_battery_0/scope': 'Device',
      'class/power_supply/hidpp_battery_0/capacity': '5',
      'class/thermal/thermal_zone0/type': 'acpitz', 'class/thermal/thermal_zone0/temp': '45000',
      'class/thermal/thermal_zone1/type': 'x86_pkg_temp', 'class/thermal/thermal_zone1/temp': '71000',
      'class/thermal/thermal_zone2/type': 'iwlwifi_1', 'class/thermal/thermal_zone2/temp': 'not a number',
      'class/thermal/cooling_device0/type': 'Processor',
    });
    expect(await read(root)).toEqual({ batteryPct: 57, charging: true, temperatureC: 71, source: 'sysfs BAT0 + thermal_zone1 (x86_pkg_temp)', at: 1 });
  });

  it('"Not charging" and "Full" are on external power, "Discharging" is not', async () => {
    for (const [status, charging] of [['Not charging', true], ['Full', true], ['Discharging', false]] as const) {
      const root = tree({ 'class/power_supply/BAT1/type': 'Battery', 'class/power_supply/BAT1/capacity': '80', 'class/power_supply/BAT1/status': status });
      expect((await read(root))?.charging).toBe(charging);
    }
  });

  it('phone-like: the battery temperature (tenths of °C) wins over the zones', async () => {
    const root = tree({
      'class/power_supply/battery/type': 'Battery', 'class/power_supply/battery/capacity': '15',
      'class/power_supply/battery/status': 'Discharging', 'class/power_supply/battery/temp': '383',
      'class/power_supply/usb/type': 'USB', 'class/power_supply/usb/online': '0',
      'class/thermal/thermal_zone0/type': 'cpu-0-0-usr', 'class/thermal/thermal_zone0/temp': '65000',
    });
    expect(await read(root)).toEqual({ batteryPct: 15, charging: false, temperatureC: 38.3, source: 'sysfs battery (temp)', at: 1 });
  });

  it('without a battery temperature a battery/skin zone is preferred over hotter CPU zones', async () => {
    const root = tree({
      'class/power_supply/battery/type': 'Battery', 'class/power_supply/battery/capacity': '50',
      'class/thermal/thermal_zone0/type': 'cpu-0-0-usr', 'class/thermal/thermal_zone0/temp': '65000',
      'class/thermal/thermal_zone7/type': 'skin-therm', 'class/thermal/thermal_zone7/temp': '36500',
      'class/thermal/thermal_zone9/type': 'bogus', 'class/thermal/thermal_zone9/temp': '200000',
    });
    expect(await read(root)).toEqual({ batteryPct: 50, temperatureC: 36.5, source: 'sysfs battery + thermal_zone7 (skin-therm)', at: 1 });
  });

  it('capacity from energy counters; an unknown status falls back to the external supplies', async () => {
    const root = tree({
      'class/power_supply/ADP1/type': 'Mains', 'class/power_supply/ADP1/online': '1',
      'class/power_supply/BAT0/type': 'Battery', 'class/power_supply/BAT0/status': 'Unknown',
      'class/power_supply/BAT0/energy_now': '25000000', 'class/power_supply/BAT0/energy_full': '50000000',
    });
    expect(await read(root)).toEqual({ batteryPct: 50, charging: true, source: 'sysfs BAT0', at: 1 });
  });

  it('a battery that is not present is skipped', async () => {
    const root = tree({ 'class/power_supply/BAT0/type': 'Battery', 'class/power_supply/BAT0/present': '0', 'class/power_supply/BAT0/capacity': '0' });
    expect(await read(root)).toBeNull();
  });

  it('desktop: no battery, only a temperature (the hottest zone when none is CPU-typed)', async () => {
    const root = tree({
      'class/thermal/thermal_zone0/type': 'pch_cannonlake', 'class/thermal/thermal_zone0/temp': '52000',
      'class/thermal/thermal_zone1/type': 'nvme', 'class/thermal/thermal_zone1/temp': '40000',
    });
    expect(await read(root)).toEqual({ temperatureC: 52, source: 'sysfs thermal_zone0 (pch_cannonlake)', at: 1 });
  });

  it('an empty or missing root reads null', async () => {
    expect(await read(tree({}))).toBeNull();
    expect(await read('/nonexistent/fleettune-sysfs')).toBeNull();
  });
});
