// Tests of the non-energy local probes on fixture trees: thermal zones (main/probes/thermal-zones.ts),
// battery level (battery-status.ts) and the CPU model (cpu-model.ts).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findBatteries, readBattery } from '../../../main/probes/battery-status';
import { parseCpuModel, readCpuModel } from '../../../main/probes/cpu-model';
import { readThermal } from '../../../main/probes/thermal-zones';
import { parseSysfsRecording, useSysfsTrees } from './sysfs-fixture';

const tree = useSysfsTrees();

describe('fixture format', () => {
  it('splits "path:value" at the colon after the file name, keeping colons in folder names', () => {
    const files = parseSysfsRecording('/sys/class/powercap/intel-rapl:0/name:package-0\n/sys/class/thermal/thermal_zone1/type:INT3400 Thermal\n');
    expect([...files]).toEqual([
      ['class/powercap/intel-rapl:0/name', 'package-0'],
      ['class/thermal/thermal_zone1/type', 'INT3400 Thermal'],
    ]);
  });
});

describe('readThermal', () => {
  it('takes the hottest CPU zone, not a hotter chipset zone, and skips unreadable zones', async () => {
    const t = await tree('laptop-intel');
    expect(await readThermal(t.root)).toEqual({ temperatureC: 62, source: 'thermal_zone4 (x86_pkg_temp)' });
  });

  it('prefers cpu-thermal over a hotter gpu-thermal on ARM', async () => {
    const t = await tree('laptop-charge-counter');
    expect(await readThermal(t.root)).toEqual({ temperatureC: 55.5, source: 'thermal_zone0 (cpu-thermal)' });
  });

  it('falls back to the hottest zone when none is a CPU zone', async () => {
    const t = await tree('laptop-charge-counter');
    await t.set('class/thermal/thermal_zone0/type', 'skin-therm');
    expect(await readThermal(t.root)).toEqual({ temperatureC: 58, source: 'thermal_zone1 (gpu-thermal)' });
  });

  it('is null without thermal zones (servers, VMs)', async () => {
    const t = await tree('server-2-socket');
    expect(await readThermal(t.root)).toBeNull();
  });
});

describe('readBattery', () => {
  it('reads the system battery, not a Bluetooth mouse (scope Device)', async () => {
    const t = await tree('laptop-intel');
    expect((await findBatteries(t.root)).map((p) => path.basename(p))).toEqual(['BAT0']);
    expect(await readBattery(t.root)).toEqual({ pct: 87, charging: false });
  });

  it('derives the level from charge counters, reads the battery temperature (tenths of °C)', async () => {
    const t = await tree('laptop-charge-counter');
    expect(await readBattery(t.root)).toEqual({ pct: 78, charging: false, temperatureC: 31.2 });
  });

  it.each([
    ['Charging', true],
    ['Full', true],
    ['Not charging', true],
    ['Discharging', false],
    ['Unknown', false],
  ])('status %s -> charging %s', async (status, charging) => {
    const t = await tree('laptop-intel');
    await t.set('class/power_supply/BAT0/status', status);
    expect((await readBattery(t.root))?.charging).toBe(charging);
  });

  it('is null without a battery', async () => {
    const t = await tree('server-2-socket');
    expect(await readBattery(t.root)).toBeNull();
  });
});

describe('cpu model', () => {
  it('reads "model name" from a recorded x86 /proc/cpuinfo', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'proc-'));
    const cpuinfo = await readFile(fileURLToPath(new URL('../../fixtures/proc/cpuinfo-xeon-vm.txt', import.meta.url)), 'utf8');
    await writeFile(path.join(dir, 'cpuinfo'), cpuinfo);
    try {
      expect(await readCpuModel(dir)).toBe('Intel(R) Xeon(R) Processor @ 2.80GHz');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads "Hardware" of ARM boards, falls back to os.cpus() without /proc', async () => {
    expect(parseCpuModel('processor\t: 0\nBogoMIPS\t: 38.40\n\nHardware\t: Qualcomm Technologies, Inc SM8550\n')).toBe('Qualcomm Technologies, Inc SM8550');
    expect(await readCpuModel('/nonexistent-proc')).toBe(os.cpus()[0]?.model.trim() || `unknown ${os.arch()} CPU`);
  });
});
