// Schema migrations of the results store: a fresh database gets every migration in order inside
// schema_migrations, reopening applies nothing, a database from a newer FleetTune is refused with
// an error that says what to do, a failing migration leaves nothing behind, and the pragmas hold.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { latestSchemaVersion, migrate, migrations, type Migration } from '../../../main/store/migrations';
import { ResultsStore } from '../../../main/store/results-store';

const dirs: string[] = [];
const tmpDb = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleettune-mig-'));
  dirs.push(dir);
  return path.join(dir, 'nested', 'results.db');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tables = (db: Database.Database) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);

describe('migrations', () => {
  it('are numbered 1..N in order', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(latestSchemaVersion).toBe(migrations.length);
  });

  it('create the schema in a fresh database (parent folders too) and record every version', () => {
    const file = tmpDb();
    ResultsStore.open(file).close();
    const db = new Database(file, { readonly: true });
    expect(tables(db)).toEqual(expect.arrayContaining(['devices', 'suite_runs', 'runs', 'steps', 'evals', 'memory_samples', 'power_samples', 'artifacts', 'schema_migrations']));
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('reopening is idempotent and keeps the data', () => {
    const file = tmpDb();
    const a = ResultsStore.open(file);
    a.upsertDevice({ id: 'local', transport: 'local' });
    a.close();
    const b = ResultsStore.open(file);
    expect(b.getDevice('local')?.transport).toBe('local');
    b.close();
    const db = new Database(file);
    expect(migrate(db, file)).toEqual([]);
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(migrations.length);
    db.close();
  });

  it('sets WAL-compatible pragmas on every connection', () => {
    const store = ResultsStore.open(':memory:');
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    store.close();
  });

  it('refuses a database written by a newer FleetTune', () => {
    const file = tmpDb();
    ResultsStore.open(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(latestSchemaVersion + 1, 'from the future', new Date().toISOString());
    db.close();
    expect(() => ResultsStore.open(file)).toThrow(new RegExp(`schema version ${latestSchemaVersion + 1}.*knows only up to version ${latestSchemaVersion}.*Update FleetTune`));
  });

  it('applies pending migrations only, and a failing one rolls back the whole open', () => {
    const db = new Database(':memory:');
    const v1: Migration = { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' };
    expect(migrate(db, 'mem', [v1])).toEqual([1]);
    const v2: Migration = { version: 2, name: 'two', sql: 'CREATE TABLE b (x INTEGER);' };
    const v3: Migration = { version: 3, name: 'broken', sql: 'CREATE TABLE c (x INTEGER); SELECT * FROM no_such_table;' };
    expect(() => migrate(db, 'mem', [v1, v2, v3])).toThrow(/no_such_table/);
    expect(tables(db)).toEqual(['a', 'schema_migrations']); // neither b nor c
    expect(migrate(db, 'mem', [v1, v2])).toEqual([2]);
    expect(() => migrate(db, 'mem', [v2])).toThrow(/versions must be 1, 2, 3/);
    db.close();
  });
});
