// The results database's schema as ordered, numbered migrations, and `migrate`, which applies the
// pending ones at open inside one IMMEDIATE transaction and records each in `schema_migrations`.
// A database whose newest migration is unknown to this code (written by a newer FleetTune) is an
// error, never silently used. Append new migrations; never edit one that has shipped.
// Tables are STRICT: a value of the wrong type is an error, not silently stored as text.
// Follows the usual "versions table + ordered SQL steps" scheme (Rails / Flyway / knex).
import type Database from 'better-sqlite3';
import { runImpls, runKinds, runStatuses, suiteRunStatuses } from './store-types';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const oneOf = (col: string, values: readonly string[]) => `CHECK (${col} IN (${values.map((v) => `'${v}'`).join(', ')}))`;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE devices (
        id          TEXT PRIMARY KEY,
        transport   TEXT NOT NULL,
        model       TEXT,
        os          TEXT,
        os_version  TEXT,
        browser     TEXT,
        info_json   TEXT NOT NULL DEFAULT '{}',
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL
      ) STRICT;
      CREATE TABLE suite_runs (
        id          TEXT PRIMARY KEY,
        suite_name  TEXT NOT NULL,
        suite_hash  TEXT NOT NULL,
        suite_json  TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL ${oneOf('status', suiteRunStatuses)},
        out_dir     TEXT
      ) STRICT;
      CREATE INDEX suite_runs_by_name ON suite_runs (suite_name, started_at);
      CREATE TABLE runs (
        id              TEXT PRIMARY KEY,
        suite_run_id    TEXT REFERENCES suite_runs (id) ON DELETE CASCADE,
        job_key         TEXT,
        device_id       TEXT REFERENCES devices (id),
        kind            TEXT NOT NULL ${oneOf('kind', runKinds)},
        impl            TEXT NOT NULL ${oneOf('impl', runImpls)},
        status          TEXT NOT NULL ${oneOf('status', runStatuses)},
        attempt         INTEGER NOT NULL DEFAULT 1,
        name            TEXT,
        source          TEXT,
        created_at      TEXT NOT NULL,
        started_at      TEXT,
        finished_at     TEXT,
        error           TEXT,
        job_json        TEXT,
        conditions_json TEXT NOT NULL DEFAULT '{}',
        summary_json    TEXT
      ) STRICT;
      CREATE INDEX runs_by_suite_run ON runs (suite_run_id, job_key);
      CREATE INDEX runs_by_job_key ON runs (job_key);
      CREATE TABLE steps (
        run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        step      INTEGER NOT NULL,
        loss      REAL,
        lr        REAL,
        tokens    INTEGER,
        ms        REAL,
        grad_norm REAL,
        sleep_ms  REAL,
        PRIMARY KEY (run_id, step)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE evals (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        step   INTEGER NOT NULL,
        split  TEXT NOT NULL,
        loss   REAL,
        ppl    REAL,
        tokens INTEGER,
        PRIMARY KEY (run_id, step, split)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE memory_samples (
        run_id               TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        t_ms                 REAL NOT NULL,
        rss_bytes            INTEGER,
        hwm_bytes            INTEGER,
        swap_bytes           INTEGER,
        tracked_bytes        INTEGER,
        peak_tracked_bytes   INTEGER,
        shard_resident_bytes INTEGER
      ) STRICT;
      CREATE INDEX memory_samples_by_run ON memory_samples (run_id, t_ms);
      CREATE TABLE power_samples (
        run_id        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        t_ms          REAL NOT NULL,
        energy_j      REAL,
        power_w       REAL,
        battery_pct   REAL,
        temperature_c REAL,
        charging      INTEGER,
        source        TEXT NOT NULL,
        sleep_ms      REAL,
        state         TEXT
      ) STRICT;
      CREATE INDEX power_samples_by_run ON power_samples (run_id, t_ms);
      CREATE TABLE artifacts (
        id     INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        kind   TEXT NOT NULL,
        name   TEXT NOT NULL,
        path   TEXT,
        bytes  INTEGER,
        sha256 TEXT
      ) STRICT;
      CREATE INDEX artifacts_by_run ON artifacts (run_id);
    `,
  },
  {
    version: 2,
    name: 'owner of running suite runs and runs',
    // "<host>#<pid>" of the controller process that set a row to running, so that a restarted
    // controller interrupts only rows whose owner process is gone, not another live controller's.
    sql: `
      ALTER TABLE suite_runs ADD COLUMN owner TEXT;
      ALTER TABLE runs ADD COLUMN owner TEXT;
    `,
  },
];

/** The schema version this code writes: the last migration's number. */
export const latestSchemaVersion = migrations[migrations.length - 1].version;

/** Bring `db` to `latestSchemaVersion`; returns the versions applied (empty when up to date). */
export function migrate(db: Database.Database, file: string, list: readonly Migration[] = migrations): number[] {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}; versions must be 1, 2, 3, ... in order`);
  });
  const latest = list.length ? list[list.length - 1].version : 0;
  const run = db.transaction((): number[] => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > latest) {
      throw new Error(`${file}: this results database has schema version ${current}, but this FleetTune knows only up to ` +
        `version ${latest}; it was written by a newer FleetTune. Update FleetTune, or open another database file.`);
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const applied: number[] = [];
    for (const m of list) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
      applied.push(m.version);
    }
    return applied;
  });
  // IMMEDIATE: two controllers opening the same file at once cannot both apply a migration.
  return run.immediate();
}
