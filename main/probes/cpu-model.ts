// The CPU model of this computer for DeviceInfo.model: /proc/cpuinfo's "model name" (x86) or
// "Hardware" / "Model" (ARM boards), else Node's os.cpus() (macOS, Windows). Not a benchmark of it.
import os from 'node:os';
import { sysfs } from './sysfs-read';

/** The model line of a /proc/cpuinfo text, or null. */
export function parseCpuModel(cpuinfo: string): string | null {
  for (const key of ['model name', 'Hardware', 'Model', 'cpu model']) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, 'm').exec(cpuinfo);
    if (m?.[1]?.trim()) return m[1].trim();
  }
  return null;
}

export async function readCpuModel(procRoot = '/proc'): Promise<string> {
  const text = await sysfs.text(sysfs.join(procRoot, 'cpuinfo'));
  return (text && parseCpuModel(text)) || os.cpus()[0]?.model?.trim() || `unknown ${os.arch()} CPU`;
}
