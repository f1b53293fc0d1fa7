// Energy drawn from this computer's battery (a laptop on battery power), as a cumulative joule
// counter since open(): from energy_now (µWh) or, where the driver reports charge instead,
// charge_now (µAh) x voltage_now (µV). Coarse: firmware updates these every few seconds to a
// minute, and while on external power the battery does not supply the machine, so nothing counts.
// Reference: Linux Documentation/ABI/testing/sysfs-class-power.
import path from 'node:path';
import { findBatteries, onExternalPower } from './battery-status';
import { sysfs } from './sysfs-read';
import type { ProbeOpen } from './probe-open';

type Counter = 'energy_now' | 'charge_now';

export class BatteryEnergy {
  private totalJ = 0;

  private constructor(
    private readonly supply: string,
    private readonly counter: Counter,
    private last: number,
  ) {}

  /** "battery:BAT0 energy_now". */
  get source(): string {
    return `battery:${path.basename(this.supply)} ${this.counter}`;
  }

  static async open(sysfsRoot = '/sys'): Promise<ProbeOpen<BatteryEnergy>> {
    const [supply] = await findBatteries(sysfsRoot);
    if (!supply) return { ok: false, reason: 'no battery in /sys/class/power_supply' };
    for (const counter of ['energy_now', 'charge_now'] as const) {
      const value = await sysfs.number(sysfs.join(supply, counter));
      if (value === null) continue;
      if (counter === 'charge_now' && (await sysfs.number(sysfs.join(supply, 'voltage_now'))) === null) continue;
      return { ok: true, probe: new BatteryEnergy(supply, counter, value) };
    }
    return { ok: false, reason: `${path.basename(supply)} has neither energy_now nor charge_now + voltage_now` };
  }

  /** Joules drawn since open(), and whether external power is attached now (then nothing counts). */
  async read(): Promise<{ joules: number; charging: boolean }> {
    const charging = onExternalPower(await sysfs.text(sysfs.join(this.supply, 'status')));
    const now = await sysfs.number(sysfs.join(this.supply, this.counter));
    if (now === null) throw new Error(`battery counter ${this.supply}/${this.counter} became unreadable`);
    const drop = this.last - now;
    // A rising counter is charging: not energy drawn by the machine, so it is skipped.
    if (drop > 0) {
      if (this.counter === 'energy_now') {
        this.totalJ += drop * 3.6e-3; // 1 µWh = 3.6 mJ
      } else {
        const microVolts = (await sysfs.number(sysfs.join(this.supply, 'voltage_now'))) ?? 0;
        this.totalJ += drop * microVolts * 3.6e-9; // µAh x µV = 1e-12 Wh = 3.6e-9 J
      }
    }
    this.last = now;
    return { joules: this.totalJ, charging };
  }
}
