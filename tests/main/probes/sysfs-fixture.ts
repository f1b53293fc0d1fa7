// Test helper: turns a tests/fixtures/sysfs/<machine>.txt recording ("path:value" lines) into a
// real folder tree in a temporary directory, which the probes read through their sysfsRoot option.
// Also small edits of a materialized tree (a counter moving on, a status changing).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const fixtures = fileURLToPath(new URL('../../fixtures/sysfs/', import.meta.url));

/** Parse "path:value" lines; the file name (last path part) never holds a colon, the folders may. */
export function parseSysfsRecording(text: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\/sys\/(.*\/[^/:]+):(.*)$/.exec(line);
    if (m) files.set(m[1]!, m[2]!);
  }
  return files;
}

export interface SysfsTree {
  /** Stands for /sys: pass it as sysfsRoot. */
  root: string;
  /** Overwrite one file, path relative to /sys ("class/powercap/intel-rapl:0/energy_uj"). */
  set(file: string, value: string | number): Promise<void>;
  remove(file: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function materializeSysfs(machine: string): Promise<SysfsTree> {
  const root = await mkdtemp(path.join(os.tmpdir(), `sysfs-${machine}-`));
  const set = async (file: string, value: string | number) => {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), `${value}\n`);
  };
  for (const [file, value] of parseSysfsRecording(await readFile(path.join(fixtures, `${machine}.txt`), 'utf8'))) await set(file, value);
  return {
    root,
    set,
    remove: (file) => rm(path.join(root, file), { recursive: true, force: true }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** For a spec file: `tree(machine)` materialises a recorded tree, removed again after each test. */
export function useSysfsTrees(): (machine: string) => Promise<SysfsTree> {
  const trees: SysfsTree[] = [];
  afterEach(async () => {
    for (const t of trees.splice(0)) await t.cleanup();
  });
  return async (machine) => {
    const t = await materializeSysfs(machine);
    trees.push(t);
    return t;
  };
}
