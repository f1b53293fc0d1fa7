// Battery level and charging state of this computer from /sys/class/power_supply (a laptop's BAT0
// and the like). Not a phone battery (the adb transport parses `dumpsys battery`) and not the
// energy counter (battery-energy.ts). Reference: Linux Documentation/ABI/testing/sysfs-class-power.
import { sysfs } from './sysfs-read';
import type { BatteryReading } from '../transports/device-transport';

/** power_supply folders of system batteries: type Battery, not a peripheral (scope Device). */
export async function findBatteries(sysfsRoot = '/sys'): Promise<string[]> {
  const dir = sysfs.join(sysfsRoot, 'class/power_supply');
  const found: string[] = [];
  for (const name of await sysfs.list(dir)) {
    const supply = sysfs.join(dir, name);
    if ((await sysfs.text(sysfs.join(supply, 'type'))) !== 'Battery') continue;
    // Wireless mice and headsets report batteries with scope "Device": not ours to measure.
    if ((await sysfs.text(sysfs.join(supply, 'scope'))) === 'Device') continue;
    if ((await sysfs.text(sysfs.join(supply, 'present'))) === '0') continue;
    found.push(supply);
  }
  return found;
}

/** Whether a power_supply status means external power is attached. */
export function onExternalPower(status: string | null): boolean {
  // "Not charging" is plugged in but held (charge thresholds); "Full" is plugged in and full.
  return status === 'Charging' || status === 'Full' || status === 'Not charging';
}

/** The first system battery's level; null on machines without one. */
export async function readBattery(sysfsRoot = '/sys'): Promise<BatteryReading | null> {
  const [supply] = await findBatteries(sysfsRoot);
  if (!supply) return null;
  let pct = await sysfs.number(sysfs.join(supply, 'capacity'));
  if (pct === null) {
    // Some firmwares omit capacity; derive it from the counters.
    const now = (await sysfs.number(sysfs.join(supply, 'energy_now'))) ?? (await sysfs.number(sysfs.join(supply, 'charge_now')));
    const full = (await sysfs.number(sysfs.join(supply, 'energy_full'))) ?? (await sysfs.number(sysfs.join(supply, 'charge_full')));
    if (now === null || !full) return null;
    pct = Math.round((100 * now) / full);
  }
  const reading: BatteryReading = {
    pct: Math.min(100, Math.max(0, pct)),
    charging: onExternalPower(await sysfs.text(sysfs.join(supply, 'status'))),
  };
  // temp is in tenths of a degree Celsius; few laptop batteries expose it.
  const temp = await sysfs.number(sysfs.join(supply, 'temp'));
  if (temp !== null) reading.temperatureC = temp / 10;
  return reading;
}
