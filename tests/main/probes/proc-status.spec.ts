// Tests of main/probes/proc-status.ts against /proc/<pid>/status recorded on a real machine
// (tests/fixtures/proc-status/, see the fixtures README), plus this process's live status.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseProcStatus, readProcStatus } from '../../../main/probes/proc-status';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/proc-status/${name}`, import.meta.url)), 'utf8');
const KiB = 1024;

describe('parseProcStatus', () => {
  it('reads VmRSS, VmHWM and VmSwap of a small process (cat)', () => {
    expect(parseProcStatus(fixture('cat-self.txt'))).toEqual({ rssBytes: 1612 * KiB, hwmBytes: 1612 * KiB, swapBytes: 0 });
  });

  it('reads a Node process holding ~480 MB', () => {
    const m = parseProcStatus(fixture('node-300mb.txt'))!;
    expect(m.hwmBytes).toBe(491252 * KiB);
    expect(m.rssBytes).toBe(491252 * KiB);
  });

  it('returns null for a kernel thread and a zombie (no Vm* lines), not zeros', () => {
    expect(parseProcStatus(fixture('kthreadd.txt'))).toBeNull();
    expect(parseProcStatus(fixture('zombie.txt'))).toBeNull();
  });

  it('counts swapped-out memory (the recorded machines have no swap: this line is edited)', () => {
    const text = fixture('node-300mb.txt').replace(/^VmSwap:.*$/m, 'VmSwap:\t   20480 kB');
    expect(parseProcStatus(text)!.swapBytes).toBe(20480 * KiB);
  });

  it('never reports a peak below the current RSS', () => {
    expect(parseProcStatus('VmRSS:\t 100 kB\n')).toEqual({ rssBytes: 100 * KiB, hwmBytes: 100 * KiB, swapBytes: 0 });
  });
});

describe('readProcStatus', () => {
  it.skipIf(process.platform !== 'linux')('reads this test process (linux only)', async () => {
    const m = (await readProcStatus(process.pid))!;
    expect(m.rssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(m.hwmBytes).toBeGreaterThanOrEqual(m.rssBytes);
  });

  it('returns null for a process that does not exist', async () => {
    expect(await readProcStatus(2 ** 30)).toBeNull();
  });
});
