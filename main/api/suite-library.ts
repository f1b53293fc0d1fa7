// The suites the UI can pick: the built-in ones (benchmarks/suites/*.json) and the user's own
// folder, each named by an id ("builtin/smoke.json", "user/mine.json") so the renderer never sends
// a file path. Lists, reads and saves (user folder only); validation is suite-validate.ts.
// Not the runner's loader (main/suites/suite-expand.ts loadSuite).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SuiteEntry, SuiteText } from '../ipc/api-types';
import { validateSuiteText } from './suite-validate';

export interface SuiteFolders {
  builtin: string;
  user: string;
}

const FILE_RE = /^[A-Za-z0-9._-]+\.json$/;

export class SuiteLibrary {
  constructor(private readonly folders: SuiteFolders) {}

  get userFolder(): string {
    return this.folders.user;
  }

  list(): SuiteEntry[] {
    return (['builtin', 'user'] as const).flatMap((source) => {
      const dir = this.folders[source];
      if (!existsSync(dir)) return [];
      return readdirSync(dir).filter((f) => FILE_RE.test(f)).sort().map((f) => this.entry(source, f));
    });
  }

  read(id: string): SuiteText {
    const file = this.resolve(id);
    if (!existsSync(file)) throw new Error(`no suite "${id}"; pick one from the list (suites:list)`);
    return { id, file, text: readFileSync(file, 'utf8') };
  }

  /** Saves into the user folder under `fileName` (letters, digits, . _ -, ending in .json). */
  save(fileName: string, text: string): SuiteEntry {
    if (!FILE_RE.test(fileName)) throw new Error(`"${fileName}" is not a suite file name: use letters, digits, dot, dash or underscore, ending in .json`);
    mkdirSync(this.folders.user, { recursive: true });
    const file = path.join(this.folders.user, fileName);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return this.entry('user', fileName);
  }

  private resolve(id: string): string {
    const m = /^(builtin|user)\/([^/\\]+)$/.exec(id);
    if (!m || !FILE_RE.test(m[2])) throw new Error(`"${id}" is not a suite id; ids look like "builtin/smoke.json" or "user/mine.json"`);
    return path.join(this.folders[m[1] as 'builtin' | 'user'], m[2]);
  }

  private entry(source: 'builtin' | 'user', f: string): SuiteEntry {
    const file = path.join(this.folders[source], f);
    const id = `${source}/${f}`;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      return { id, name: f.replace(/\.json$/, ''), description: null, source, file, error: `cannot read: ${(e as Error).message}` };
    }
    const v = validateSuiteText(text);
    const first = v.issues[0];
    return {
      id, source, file,
      name: v.suite?.name ?? f.replace(/\.json$/, ''),
      description: v.suite?.description ?? null,
      error: first ? `${first.pathText}: ${first.message}` : null,
    };
  }
}
