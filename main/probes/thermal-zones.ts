// This computer's CPU temperature from /sys/class/thermal/thermal_zone*/ (temp in millidegrees C):
// the hottest CPU-type zone, else the hottest zone; null where no zone is readable (VMs, macOS,
// Windows). Not a phone's thermal status (adb: dumpsys thermalservice).
// Reference: Linux Documentation/driver-api/thermal/sysfs-api.rst.
import { sysfs } from './sysfs-read';
import type { ThermalReading } from '../transports/device-transport';

/** Zone types that measure the CPU package or the SoC rather than a Wi-Fi card or a battery. */
const CPU_ZONE = /^(x86_pkg_temp|cpu[-_]thermal|cpu|soc_thermal|k10temp|coretemp|acpitz|TCPU)/i;

export async function readThermal(sysfsRoot = '/sys'): Promise<ThermalReading | null> {
  const dir = sysfs.join(sysfsRoot, 'class/thermal');
  const zones: { zone: string; type: string; c: number }[] = [];
  for (const zone of (await sysfs.list(dir)).filter((z) => z.startsWith('thermal_zone'))) {
    const milli = await sysfs.number(sysfs.join(dir, zone, 'temp'));
    // Unreadable zones (a Wi-Fi card that is down answers ENODATA) and absurd values are skipped.
    if (milli === null || milli <= -40_000 || milli >= 150_000) continue;
    zones.push({ zone, type: (await sysfs.text(sysfs.join(dir, zone, 'type'))) ?? 'unknown', c: milli / 1000 });
  }
  const cpu = zones.filter((z) => CPU_ZONE.test(z.type));
  const pool = cpu.length > 0 ? cpu : zones;
  if (pool.length === 0) return null;
  const hottest = pool.reduce((a, b) => (b.c > a.c ? b : a));
  return { temperatureC: hottest.c, source: `${hottest.zone} (${hottest.type})` };
}
