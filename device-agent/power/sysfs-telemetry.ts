// Battery and temperature of the Linux machine the agent runs on, from sysfs: the first system
// battery's capacity and status (/sys/class/power_supply/*), and a temperature (battery temp, else
// /sys/class/thermal/thermal_zone*/temp). Node only: node:fs/promises is imported lazily, so the
// browser bundle never loads it. The root is configurable so tests run against fixture trees.
// Same reading rules as the controller's probes (main/probes/battery-status.ts, thermal-zones.ts).
// References: Linux Documentation/ABI/testing/sysfs-class-power, driver-api/thermal/sysfs-api.rst.
import type { TelemetryReading } from './power-policy.js';
import type { TelemetrySource } from './telemetry-source.js';

type Fs = typeof import('node:fs/promises');

/** Supplies that mean external power when `online` is 1 (Android exposes usb/ac/wireless, laptops AC/ADP1). */
const EXTERNAL_SUPPLY = /^(Mains|USB.*|Wireless|BrickID)$/;
/** Zones that measure what the 42 °C default is about: the battery or the skin of the device. */
const BATTERY_OR_SKIN_ZONE = /batt|skin/i;
/** Zones that measure the CPU package or the SoC, used when no battery/skin sensor exists. */
const CPU_ZONE = /^(x86_pkg_temp|cpu[-_]thermal|cpu|soc_thermal|k10temp|coretemp|acpitz|TCPU)/i;

export class SysfsTelemetry implements TelemetrySource {
  readonly name = 'sysfs';
  private fs: Fs | null = null;

  constructor(private readonly root = '/sys', private readonly now: () => number = () => Date.now()) {}

  async read(): Promise<TelemetryReading | null> {
    this.fs ??= await import('node:fs/promises');
    const battery = await this.battery();
    const temp = battery?.temperatureC !== undefined ? null : await this.hottestZone();
    const parts: string[] = [];
    const out: Omit<TelemetryReading, 'source' | 'at'> = {};
    if (battery) {
      if (battery.pct !== undefined) out.batteryPct = battery.pct;
      if (battery.charging !== undefined) out.charging = battery.charging;
      if (battery.temperatureC !== undefined) out.temperatureC = battery.temperatureC;
      parts.push(battery.what);
    }
    if (temp) {
      out.temperatureC = temp.c;
      parts.push(temp.what);
    }
    if (Object.keys(out).length === 0) return null;
    return { ...out, source: `sysfs ${parts.join(' + ')}`, at: this.now() };
  }

  private async text(p: string): Promise<string | null> {
    try {
      return (await this.fs!.readFile(p, 'utf8')).trim();
    } catch {
      return null; // absent, or a driver that answers EIO/ENODATA: no value
    }
  }

  private async number(p: string): Promise<number | null> {
    const t = await this.text(p);
    if (t === null || t === '') return null;
    const n = Number(t);
    return Number.isFinite(n) ? n : null;
  }

  private async list(dir: string): Promise<string[]> {
    try {
      return (await this.fs!.readdir(dir)).sort();
    } catch {
      return [];
    }
  }

  /** The first system battery (type Battery, not a peripheral's, present) and the external-power state. */
  private async battery(): Promise<{ pct?: number; charging?: boolean; temperatureC?: number; what: string } | null> {
    const dir = `${this.root}/class/power_supply`;
    let supply: string | null = null;
    let externalOnline: boolean | undefined;
    for (const name of await this.list(dir)) {
      const d = `${dir}/${name}`;
      const type = await this.text(`${d}/type`);
      if ((await this.text(`${d}/scope`)) === 'Device') continue; // a wireless mouse or headset
      if (type === 'Battery') {
        if (supply === null && (await this.text(`${d}/present`)) !== '0') supply = name;
      } else if (type !== null && EXTERNAL_SUPPLY.test(type)) {
        const online = await this.text(`${d}/online`);
        if (online !== null) externalOnline = (externalOnline ?? false) || online === '1';
      }
    }
    if (supply === null) return externalOnline === undefined ? null : { charging: externalOnline, what: 'power_supply online' };
    const d = `${dir}/${supply}`;
    let pct = await this.number(`${d}/capacity`);
    if (pct === null) {
      // Some firmwares omit capacity; derive it from the energy or charge counters.
      const nowC = (await this.number(`${d}/energy_now`)) ?? (await this.number(`${d}/charge_now`));
      const full = (await this.number(`${d}/energy_full`)) ?? (await this.number(`${d}/charge_full`));
      if (nowC !== null && full) pct = (100 * nowC) / full;
    }
    const status = await this.text(`${d}/status`);
    // "Not charging" is plugged in but held (charge thresholds); "Full" is plugged in and full.
    const charging = status === 'Charging' || status === 'Full' || status === 'Not charging' ? true : status === 'Discharging' ? false : externalOnline;
    const tenths = await this.number(`${d}/temp`); // tenths of a degree Celsius
    const out: { pct?: number; charging?: boolean; temperatureC?: number; what: string } = { what: supply };
    if (pct !== null) out.pct = Math.min(100, Math.max(0, pct));
    if (charging !== undefined) out.charging = charging;
    if (tenths !== null && tenths > -400 && tenths < 1000) {
      out.temperatureC = tenths / 10;
      out.what += ' (temp)';
    }
    return out;
  }

  /** A battery/skin zone if any, else the hottest CPU zone, else the hottest zone; null without readable zones. */
  private async hottestZone(): Promise<{ c: number; what: string } | null> {
    const dir = `${this.root}/class/thermal`;
    const zones: { zone: string; type: string; c: number }[] = [];
    for (const zone of (await this.list(dir)).filter((z) => z.startsWith('thermal_zone'))) {
      const milli = await this.number(`${dir}/${zone}/temp`);
      // Unreadable zones (a Wi-Fi card that is down answers ENODATA) and absurd values are skipped.
      if (milli === null || milli <= -40_000 || milli >= 150_000) continue;
      zones.push({ zone, type: (await this.text(`${dir}/${zone}/type`)) ?? 'unknown', c: milli / 1000 });
    }
    const pools = [zones.filter((z) => BATTERY_OR_SKIN_ZONE.test(z.type)), zones.filter((z) => CPU_ZONE.test(z.type)), zones];
    const pool = pools.find((p) => p.length > 0);
    if (!pool) return null;
    const hottest = pool.reduce((a, b) => (b.c > a.c ? b : a));
    return { c: hottest.c, what: `${hottest.zone} (${hottest.type})` };
  }
}
