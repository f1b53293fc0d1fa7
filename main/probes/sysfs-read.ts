// Small readers for sysfs / procfs text files, rooted at a configurable folder so tests point them
// at fixture trees (tests/fixtures/sysfs/...). Not a probe itself: the probes in this folder use it.
// sysfs files hold one value and a newline; unreadable or missing files are normal (absent
// hardware, root-only counters), so the readers return null or [] instead of throwing.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

export type ReadResult = { ok: true; text: string } | { ok: false; code: string };

export const sysfs = {
  /** The file's text without the trailing newline, or the errno code (ENOENT, EACCES, ...). */
  async read(file: string): Promise<ReadResult> {
    try {
      return { ok: true, text: (await readFile(file, 'utf8')).trim() };
    } catch (e) {
      return { ok: false, code: (e as NodeJS.ErrnoException).code ?? 'EIO' };
    }
  },

  async text(file: string): Promise<string | null> {
    const r = await sysfs.read(file);
    return r.ok ? r.text : null;
  },

  /** An integer file (energy_uj, temp in millidegrees, capacity in %), or null. */
  async number(file: string): Promise<number | null> {
    const t = await sysfs.text(file);
    if (t === null || !/^-?\d+$/.test(t)) return null;
    return Number(t);
  },

  /** Entry names of a folder, sorted, or [] when it does not exist. */
  async list(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    } catch {
      return [];
    }
  },

  join: path.join,
};
