// Energy of this computer's CPU packages from the Linux powercap RAPL counters
// (/sys/class/powercap/intel-rapl:N/energy_uj, also used for AMD Zen): a cumulative joule counter
// since open(), summed over the package domains, with the counters' wraparound undone. Not a power
// model and not a whole-system meter: DRAM, GPU and the rest of the board are outside it.
// Reference: Linux Documentation/power/powercap/powercap.rst.
import { sysfs } from './sysfs-read';
import type { ProbeOpen } from './probe-open';

interface Domain {
  zone: string;
  name: string;
  /** Counter range: energy_uj counts up to this, then restarts from 0. */
  maxRangeUj: number;
  lastUj: number;
}

export class RaplEnergy {
  private totalUj = 0;

  private constructor(
    private readonly dir: string,
    private readonly domains: Domain[],
  ) {}

  /** "rapl:package-0+package-1". */
  get source(): string {
    return `rapl:${this.domains.map((d) => d.name).join('+')}`;
  }

  static async open(sysfsRoot = '/sys'): Promise<ProbeOpen<RaplEnergy>> {
    const dir = sysfs.join(sysfsRoot, 'class/powercap');
    // Top-level zones only (intel-rapl:0, not intel-rapl:0:0): sub-zones (core, uncore, dram) are
    // parts of, or beside, the package and would double count.
    const zones = (await sysfs.list(dir)).filter((z) => /^intel-rapl:\d+$/.test(z));
    if (zones.length === 0) return { ok: false, reason: 'no RAPL powercap zones (/sys/class/powercap/intel-rapl:*)' };
    const named = await Promise.all(zones.map(async (zone) => ({ zone, name: (await sysfs.text(sysfs.join(dir, zone, 'name'))) ?? zone })));
    // Sum the packages; psys (the whole SoC, on laptops) contains them, so it is used only alone.
    const packages = named.filter((z) => z.name.startsWith('package'));
    const chosen = packages.length > 0 ? packages : named.filter((z) => z.name === 'psys').slice(0, 1);
    if (chosen.length === 0) return { ok: false, reason: `RAPL zones ${zones.join(', ')} have no package domain` };
    const domains: Domain[] = [];
    for (const { zone, name } of chosen) {
      const r = await sysfs.read(sysfs.join(dir, zone, 'energy_uj'));
      if (!r.ok) {
        // Since Linux 5.10 energy_uj is readable by root only (CVE-2020-8694, "Platypus").
        if (r.code === 'EACCES' || r.code === 'EPERM') {
          return {
            ok: false,
            reason:
              'RAPL energy counters are readable only by root on this system; to measure energy, run ' +
              '`sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj` (until reboot) or add a udev rule',
          };
        }
        return { ok: false, reason: `cannot read ${zone}/energy_uj (${r.code})` };
      }
      const maxRangeUj = (await sysfs.number(sysfs.join(dir, zone, 'max_energy_range_uj'))) ?? 0;
      if (!/^\d+$/.test(r.text)) return { ok: false, reason: `${zone}/energy_uj holds "${r.text}", not a number` };
      domains.push({ zone, name, maxRangeUj, lastUj: Number(r.text) });
    }
    return { ok: true, probe: new RaplEnergy(dir, domains) };
  }

  /**
   * Joules since open(). Call it at least once per counter period (max_energy_range_uj at full
   * power: minutes on desktops), or a second wrap between two reads goes unseen.
   */
  async read(): Promise<number> {
    for (const d of this.domains) {
      const now = await sysfs.number(sysfs.join(this.dir, d.zone, 'energy_uj'));
      if (now === null) throw new Error(`RAPL counter ${d.zone}/energy_uj became unreadable`);
      this.totalUj += RaplEnergy.delta(d.lastUj, now, d.maxRangeUj);
      d.lastUj = now;
    }
    return this.totalUj / 1e6;
  }

  /** Energy between two counter values, undoing one wraparound at maxRangeUj. */
  static delta(lastUj: number, nowUj: number, maxRangeUj: number): number {
    if (nowUj >= lastUj) return nowUj - lastUj;
    // Wrapped: counted up to the range, restarted at 0. Without a known range, count from 0.
    return maxRangeUj > lastUj ? maxRangeUj - lastUj + nowUj : nowUj;
  }
}
