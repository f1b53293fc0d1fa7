// This computer's energy meter: RAPL package counters where readable, else the laptop battery's
// counter, else an honest "not measured" reading with the reason. Cumulative joules since open().
// The local transport's readEnergy(); phones use their own (adb: current x voltage, iOS: level).
import { BatteryEnergy } from './battery-energy';
import { RaplEnergy } from './rapl-energy';
import type { EnergyReading } from '../transports/device-transport';

export class EnergyMeter {
  private constructor(
    private readonly rapl: RaplEnergy | null,
    private readonly battery: BatteryEnergy | null,
    private readonly why: string,
  ) {}

  static async open(sysfsRoot = '/sys'): Promise<EnergyMeter> {
    const rapl = await RaplEnergy.open(sysfsRoot);
    if (rapl.ok) return new EnergyMeter(rapl.probe, null, '');
    const battery = await BatteryEnergy.open(sysfsRoot);
    if (battery.ok) return new EnergyMeter(null, battery.probe, rapl.reason);
    return new EnergyMeter(null, null, `${rapl.reason}; ${battery.reason}`);
  }

  async read(): Promise<EnergyReading> {
    try {
      if (this.rapl) return { joules: await this.rapl.read(), source: this.rapl.source };
      if (this.battery) {
        const r = await this.battery.read();
        const note = r.charging
          ? 'on external power: the battery counter does not see the energy used now (RAPL unavailable: ' + this.why + ')'
          : 'coarse battery counter (firmware updates it every few seconds to a minute); RAPL unavailable: ' + this.why;
        return { joules: r.joules, source: this.battery.source, note };
      }
    } catch (e) {
      return { joules: null, source: 'none', note: `energy counter failed: ${(e as Error).message}` };
    }
    return { joules: null, source: 'none', note: `no readable RAPL or battery counter: energy not measured (${this.why})` };
  }
}
