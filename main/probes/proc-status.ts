// Parser of Linux /proc/<pid>/status into the memory sample the runner records: VmRSS (resident
// now), VmHWM (peak resident, the "peak RSS" of ARCHITECTURE.md) and VmSwap, in bytes. The same
// format comes from Android phones (adb shell cat /proc/PID/status), so the adb transport reuses it.
// Kernel threads and zombies have no Vm* lines: that is null, not zero.
import { sysfs } from './sysfs-read';
import type { MemorySample } from '../transports/device-transport';

/** Parse the text of /proc/<pid>/status; null when it has no memory accounting. */
export function parseProcStatus(text: string): MemorySample | null {
  const kb = (field: string): number | null => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB\\s*$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const rss = kb('VmRSS');
  if (rss === null) return null;
  // VmHWM is missing only on very old kernels; the current RSS is then the best lower bound.
  const hwm = kb('VmHWM') ?? rss;
  return { rssBytes: rss, hwmBytes: Math.max(hwm, rss), swapBytes: kb('VmSwap') ?? 0 };
}

/** Read and parse /proc/<pid>/status; null when the process is gone or has no memory accounting. */
export async function readProcStatus(pid: number, procRoot = '/proc'): Promise<MemorySample | null> {
  const text = await sysfs.text(sysfs.join(procRoot, String(pid), 'status'));
  return text === null ? null : parseProcStatus(text);
}
