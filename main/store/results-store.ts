// ResultsStore: the controller's results database (SQLite through better-sqlite3, synchronous):
// devices, suite runs, runs with their conditions and summary, and the per-run series (steps, evals,
// memory and power samples, artifacts). Opening applies the schema migrations (migrations.ts).
// Crash safety: WAL + synchronous=NORMAL, and every write API is one transaction (a batch is all or
// nothing), so a controller killed mid-run keeps everything it had written. Not the report builder
// (main/reports/) and not the runner's scheduling logic; it stores what it is told.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { hashSuite } from './hash-suite';
import { migrate } from './migrations';
import { readReferenceLog } from './reference-log';
import {
  runImpls, runKinds, runStatuses, suiteRunStatuses,
  type ArtifactInput, type ArtifactRow, type DeviceInput, type DeviceRow, type EvalInput, type EvalRow, type MemorySample,
  type MemorySampleInput, type PowerSample, type PowerSampleInput, type RunConditions, type RunFilter, type RunInput, type RunRow,
  type RunStatus, type RunSummary, type StepInput, type StepRow, type SuiteRunInput, type SuiteRunRow, type SuiteRunStatus,
} from './store-types';

type Row = Record<string, unknown>;

export interface ImportReferenceOptions {
  name?: string;
  id?: string;
  jobKey?: string | null;
  suiteRunId?: string | null;
  deviceId?: string | null;
}

export class ResultsStore {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(private readonly db: Database.Database, readonly file: string) {}

  /** Open (creating if needed) and migrate a results database; ':memory:' for a throwaway one. */
  static open(file: string): ResultsStore {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL'); // an in-memory database answers 'memory'; that is fine
      // NORMAL in WAL mode: a committed transaction survives the process being killed; only an OS
      // crash or power loss can lose the last commits (never corrupt the file).
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000'); // a second connection (a report, the UI) waits instead of failing
      migrate(db, file);
    } catch (e) {
      db.close();
      throw e;
    }
    return new ResultsStore(db, file);
  }

  close(): void {
    this.db.close();
  }

  /** Run `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- devices ----

  upsertDevice(d: DeviceInput): void {
    const seen = d.seenAt ?? now();
    this.stmt(`INSERT INTO devices (id, transport, model, os, os_version, browser, info_json, first_seen, last_seen)
      VALUES (@id, @transport, @model, @os, @osVersion, @browser, @info, @seen, @seen)
      ON CONFLICT (id) DO UPDATE SET transport = excluded.transport, model = COALESCE(excluded.model, model),
        os = COALESCE(excluded.os, os), os_version = COALESCE(excluded.os_version, os_version),
        browser = COALESCE(excluded.browser, browser), info_json = CASE WHEN @hasInfo THEN excluded.info_json ELSE info_json END,
        last_seen = excluded.last_seen`).run({
      id: d.id, transport: d.transport, model: d.model ?? null, os: d.os ?? null, osVersion: d.osVersion ?? null,
      browser: d.browser ?? null, info: JSON.stringify(d.info ?? {}), hasInfo: d.info ? 1 : 0, seen,
    });
  }

  getDevice(id: string): DeviceRow | undefined {
    const r = this.stmt('SELECT * FROM devices WHERE id = ?').get(id) as Row | undefined;
    return r && toDevice(r);
  }

  listDevices(): DeviceRow[] {
    return (this.stmt('SELECT * FROM devices ORDER BY id').all() as Row[]).map(toDevice);
  }

  // ---- suite runs ----

  createSuiteRun(s: SuiteRunInput): string {
    const id = s.id ?? newId('suite');
    this.stmt(`INSERT INTO suite_runs (id, suite_name, suite_hash, suite_json, started_at, status, out_dir, owner)
      VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`).run(id, s.suiteName, hashSuite(s.suite), JSON.stringify(s.suite ?? null), s.startedAt ?? now(), s.outDir ?? null, OWNER);
    return id;
  }

  finishSuiteRun(id: string, status: SuiteRunStatus, finishedAt: string = now()): void {
    check('suite run status', status, suiteRunStatuses);
    const done = status === 'running' ? null : finishedAt;
    this.mustChange(this.stmt('UPDATE suite_runs SET status = ?, finished_at = ?, owner = CASE WHEN ? THEN ? ELSE owner END WHERE id = ?')
      .run(status, done, status === 'running' ? 1 : 0, OWNER, id), 'suite run', id);
  }

  getSuiteRun(id: string): SuiteRunRow | undefined {
    const r = this.stmt('SELECT * FROM suite_runs WHERE id = ?').get(id) as Row | undefined;
    return r && toSuiteRun(r);
  }

  /** Suite runs, newest first; of one suite when `suiteName` is given. */
  listSuiteRuns(suiteName?: string): SuiteRunRow[] {
    const rows = suiteName === undefined
      ? this.stmt('SELECT * FROM suite_runs ORDER BY started_at DESC, rowid DESC').all()
      : this.stmt('SELECT * FROM suite_runs WHERE suite_name = ? ORDER BY started_at DESC, rowid DESC').all(suiteName);
    return (rows as Row[]).map(toSuiteRun);
  }

  /**
   * The suite run to resume: the latest run of this suite (of this exact spec when `suiteHash`, see
   * hashSuite, is given) if it is not done; undefined when there is none or the latest one finished.
   */
  findResumableSuiteRun(suiteName: string, suiteHash?: string): SuiteRunRow | undefined {
    const latest = (suiteHash === undefined
      ? this.stmt('SELECT * FROM suite_runs WHERE suite_name = ? ORDER BY started_at DESC, rowid DESC LIMIT 1').get(suiteName)
      : this.stmt('SELECT * FROM suite_runs WHERE suite_name = ? AND suite_hash = ? ORDER BY started_at DESC, rowid DESC LIMIT 1').get(suiteName, suiteHash)) as Row | undefined;
    return latest && latest.status !== 'done' ? toSuiteRun(latest) : undefined;
  }

  /**
   * After a crash: suite runs and runs left 'running' by a controller process that no longer
   * exists become 'interrupted' (suite runs, resumable) and 'failed' (runs, with the reason). Rows
   * owned by a live process (another controller sharing this database: the CLI and the app) are
   * left alone, as are rows owned by a process on another host (which cannot be checked). Rows
   * from before owners were recorded count as orphaned.
   */
  recoverInterrupted(): { suiteRuns: number; runs: number } {
    const orphaned = (owner: unknown) => !ownerAlive(owner as string | null);
    return this.transaction(() => {
      const suites = (this.stmt(`SELECT id, owner FROM suite_runs WHERE status = 'running'`).all() as Row[]).filter((r) => orphaned(r.owner));
      const runs = (this.stmt(`SELECT r.id, r.owner AS owner, s.owner AS suite_owner FROM runs r LEFT JOIN suite_runs s ON s.id = r.suite_run_id
        WHERE r.status = 'running'`).all() as Row[]).filter((r) => orphaned(r.owner ?? r.suite_owner));
      const t = now();
      for (const r of suites) this.stmt(`UPDATE suite_runs SET status = 'interrupted' WHERE id = ?`).run(r.id);
      for (const r of runs) {
        this.stmt(`UPDATE runs SET status = 'failed', finished_at = COALESCE(finished_at, ?),
          error = 'interrupted: the controller stopped while this run was running' WHERE id = ?`).run(t, r.id);
      }
      return { suiteRuns: suites.length, runs: runs.length };
    });
  }

  // ---- runs ----

  createRun(r: RunInput): string {
    check('run kind', r.kind, runKinds);
    check('run impl', r.impl, runImpls);
    check('run status', r.status ?? 'queued', runStatuses);
    if (r.deviceId && !this.getDevice(r.deviceId)) throw new Error(`unknown device "${r.deviceId}": call upsertDevice before creating its runs`);
    if (r.suiteRunId && !this.getSuiteRun(r.suiteRunId)) throw new Error(`unknown suite run "${r.suiteRunId}": create it with createSuiteRun first`);
    const id = r.id ?? newId('run');
    this.stmt(`INSERT INTO runs (id, suite_run_id, job_key, device_id, kind, impl, status, attempt, name, source, created_at, job_json, conditions_json, owner)
      VALUES (@id, @suiteRunId, @jobKey, @deviceId, @kind, @impl, @status, @attempt, @name, @source, @createdAt, @job, @conditions, @owner)`).run({
      owner: OWNER,
      id, suiteRunId: r.suiteRunId ?? null, jobKey: r.jobKey ?? null, deviceId: r.deviceId ?? null, kind: r.kind, impl: r.impl,
      status: r.status ?? 'queued', attempt: r.attempt ?? 1, name: r.name ?? null, source: r.source ?? null, createdAt: now(),
      job: r.job === undefined ? null : JSON.stringify(r.job), conditions: JSON.stringify(r.conditions ?? {}),
    });
    return id;
  }

  /**
   * Set a run's status. 'running' stamps started_at (unless already set), a final status stamps
   * finished_at; 'queued'/'running'/'done' clear the error unless one is given.
   */
  setRunStatus(id: string, status: RunStatus, opts: { error?: string | null; startedAt?: string; finishedAt?: string; attempt?: number } = {}): void {
    check('run status', status, runStatuses);
    const t = now();
    const final = status === 'done' || status === 'failed' || status === 'cancelled';
    this.mustChange(this.stmt(`UPDATE runs SET status = @status,
        started_at = COALESCE(@startedAt, CASE WHEN @status = 'running' THEN COALESCE(started_at, @t) ELSE started_at END),
        finished_at = COALESCE(@finishedAt, CASE WHEN @final THEN @t WHEN @status IN ('queued', 'running') THEN NULL ELSE finished_at END),
        error = CASE WHEN @hasError THEN @error WHEN @status IN ('queued', 'running', 'done') THEN NULL ELSE error END,
        attempt = COALESCE(@attempt, attempt),
        owner = CASE WHEN @status = 'running' THEN @owner ELSE owner END
      WHERE id = @id`).run({
      id, status, t, final: final ? 1 : 0, owner: OWNER, startedAt: opts.startedAt ?? null, finishedAt: opts.finishedAt ?? null,
      hasError: opts.error !== undefined ? 1 : 0, error: opts.error ?? null, attempt: opts.attempt ?? null,
    }), 'run', id);
  }

  /** Replace a run's conditions. */
  setRunConditions(id: string, conditions: RunConditions): void {
    this.mustChange(this.stmt('UPDATE runs SET conditions_json = ? WHERE id = ?').run(JSON.stringify(conditions), id), 'run', id);
  }

  /** Merge keys into a run's conditions (for conditions learned during the run). */
  patchRunConditions(id: string, patch: RunConditions): void {
    this.transaction(() => {
      const run = this.mustGetRun(id);
      this.setRunConditions(id, { ...run.conditions, ...patch });
    });
  }

  setRunSummary(id: string, summary: RunSummary): void {
    this.mustChange(this.stmt('UPDATE runs SET summary_json = ? WHERE id = ?').run(JSON.stringify(summary), id), 'run', id);
  }

  getRun(id: string): RunRow | undefined {
    const r = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return r && toRun(r);
  }

  /** Runs in creation order, narrowed by every filter key given. */
  listRuns(filter: RunFilter = {}): RunRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const eq = (col: string, v: unknown) => {
      where.push(`${col} = ?`);
      args.push(v);
    };
    if (filter.suiteRunId !== undefined) eq('suite_run_id', filter.suiteRunId);
    if (filter.kind !== undefined) eq('kind', filter.kind);
    if (filter.jobKey !== undefined) eq('job_key', filter.jobKey);
    if (filter.deviceId !== undefined) eq('device_id', filter.deviceId);
    if (filter.status !== undefined) {
      const list = Array.isArray(filter.status) ? filter.status : [filter.status];
      where.push(`status IN (${list.map(() => '?').join(', ') || 'NULL'})`);
      args.push(...list);
    }
    const sql = `SELECT * FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, rowid`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(toRun);
  }

  /** For a retried attempt: keep the run row (id, job, conditions, attempt), clear its series, summary and times. */
  deleteRunData(runId: string): void {
    this.transaction(() => {
      this.mustGetRun(runId);
      for (const table of ['steps', 'evals', 'memory_samples', 'power_samples', 'artifacts']) {
        this.stmt(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
      }
      this.stmt('UPDATE runs SET summary_json = NULL, started_at = NULL, finished_at = NULL, error = NULL WHERE id = ?').run(runId);
    });
  }

  /** Delete a run and all its data. */
  deleteRun(runId: string): void {
    this.mustChange(this.stmt('DELETE FROM runs WHERE id = ?').run(runId), 'run', runId);
  }

  // ---- series ----

  /** Insert steps in one transaction; a step already stored (a resumed agent resending it) is replaced. */
  addSteps(runId: string, rows: readonly StepInput[]): void {
    const ins = this.stmt(`INSERT OR REPLACE INTO steps (run_id, step, loss, lr, tokens, ms, grad_norm, sleep_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.transaction(() => {
      for (const s of rows) ins.run(runId, s.step, s.loss, s.lr ?? null, s.tokens ?? null, s.ms ?? null, s.gradNorm ?? null, s.sleepMs ?? null);
    });
  }

  addEval(runId: string, e: EvalInput): void {
    this.stmt('INSERT OR REPLACE INTO evals (run_id, step, split, loss, ppl, tokens) VALUES (?, ?, ?, ?, ?, ?)')
      .run(runId, e.step, e.split, e.loss, e.ppl ?? null, e.tokens ?? null);
  }

  addMemorySamples(runId: string, rows: readonly MemorySampleInput[]): void {
    const ins = this.stmt(`INSERT INTO memory_samples (run_id, t_ms, rss_bytes, hwm_bytes, swap_bytes, tracked_bytes, peak_tracked_bytes, shard_resident_bytes)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.transaction(() => {
      // byte counts are whole numbers; a probe that scaled kB or MB to bytes may hand in a fraction
      for (const m of rows) ins.run(runId, m.tMs, int(m.rssBytes), int(m.hwmBytes), int(m.swapBytes), int(m.trackedBytes), int(m.peakTrackedBytes), int(m.shardResidentBytes));
    });
  }

  addPowerSamples(runId: string, rows: readonly PowerSampleInput[]): void {
    const ins = this.stmt(`INSERT INTO power_samples (run_id, t_ms, energy_j, power_w, battery_pct, temperature_c, charging, source, sleep_ms, state)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.transaction(() => {
      for (const p of rows) {
        const charging = p.charging == null ? null : p.charging ? 1 : 0;
        ins.run(runId, p.tMs, p.energyJ ?? null, p.powerW ?? null, p.batteryPct ?? null, p.temperatureC ?? null, charging, p.source, p.sleepMs ?? null, p.state ?? null);
      }
    });
  }

  addArtifact(runId: string, a: ArtifactInput): number {
    const r = this.stmt('INSERT INTO artifacts (run_id, kind, name, path, bytes, sha256) VALUES (?, ?, ?, ?, ?, ?)')
      .run(runId, a.kind, a.name, a.path ?? null, int(a.bytes), a.sha256 ?? null);
    return Number(r.lastInsertRowid);
  }

  getSteps(runId: string): StepRow[] {
    return (this.stmt('SELECT * FROM steps WHERE run_id = ? ORDER BY step').all(runId) as Row[]).map((r) => ({
      step: r.step as number, loss: num(r.loss), lr: num(r.lr), tokens: num(r.tokens), ms: num(r.ms), gradNorm: num(r.grad_norm), sleepMs: num(r.sleep_ms),
    }));
  }

  getEvals(runId: string): EvalRow[] {
    return (this.stmt('SELECT * FROM evals WHERE run_id = ? ORDER BY step, split').all(runId) as Row[]).map((r) => ({
      step: r.step as number, split: r.split as string, loss: num(r.loss), ppl: num(r.ppl), tokens: num(r.tokens),
    }));
  }

  getMemorySamples(runId: string): MemorySample[] {
    return (this.stmt('SELECT * FROM memory_samples WHERE run_id = ? ORDER BY t_ms, rowid').all(runId) as Row[]).map((r) => ({
      tMs: r.t_ms as number, rssBytes: num(r.rss_bytes), hwmBytes: num(r.hwm_bytes), swapBytes: num(r.swap_bytes),
      trackedBytes: num(r.tracked_bytes), peakTrackedBytes: num(r.peak_tracked_bytes), shardResidentBytes: num(r.shard_resident_bytes),
    }));
  }

  getPowerSamples(runId: string): PowerSample[] {
    return (this.stmt('SELECT * FROM power_samples WHERE run_id = ? ORDER BY t_ms, rowid').all(runId) as Row[]).map((r) => ({
      tMs: r.t_ms as number, energyJ: num(r.energy_j), powerW: num(r.power_w), batteryPct: num(r.battery_pct), temperatureC: num(r.temperature_c),
      charging: r.charging == null ? null : r.charging === 1, source: r.source as string, sleepMs: num(r.sleep_ms), state: (r.state as string | null) ?? null,
    }));
  }

  getArtifacts(runId: string): ArtifactRow[] {
    return (this.stmt('SELECT id, kind, name, path, bytes, sha256 FROM artifacts WHERE run_id = ? ORDER BY id').all(runId) as Row[]).map((r) => ({
      id: r.id as number, kind: r.kind as string, name: r.name as string, path: (r.path as string | null) ?? null, bytes: num(r.bytes), sha256: (r.sha256 as string | null) ?? null,
    }));
  }

  // ---- PyTorch (or CLI) run logs ----

  /**
   * Import a JSONL run log as a run of kind 'reference' with its steps, evals and summary, in one
   * transaction: an invalid line throws an error naming `source:line` and stores nothing.
   */
  importReferenceLog(jsonlText: string, source: string, opts: ImportReferenceOptions = {}): string {
    const log = readReferenceLog(jsonlText, source);
    return this.transaction(() => {
      const id = this.createRun({
        id: opts.id, kind: 'reference', impl: log.impl, status: log.status, name: opts.name ?? path.basename(source), source,
        jobKey: opts.jobKey ?? null, suiteRunId: opts.suiteRunId ?? null, deviceId: opts.deviceId ?? null, job: log.job, conditions: log.conditions,
      });
      this.addSteps(id, log.steps);
      for (const e of log.evals) this.addEval(id, e);
      this.setRunSummary(id, log.summary);
      // finished_at stays NULL: a log does not say when its run ended (done.ms sums step times only)
      this.stmt('UPDATE runs SET error = ?, started_at = ? WHERE id = ?').run(log.error, log.startedAt, id);
      return id;
    });
  }

  // ---- helpers ----

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private mustGetRun(id: string): RunRow {
    const run = this.getRun(id);
    if (!run) throw new Error(`no run with id "${id}" in ${this.file}`);
    return run;
  }

  private mustChange(r: Database.RunResult, what: string, id: string): void {
    if (r.changes === 0) throw new Error(`no ${what} with id "${id}" in ${this.file}`);
  }
}

function toDevice(r: Row): DeviceRow {
  return {
    id: r.id as string, transport: r.transport as string, model: str(r.model), os: str(r.os), osVersion: str(r.os_version),
    browser: str(r.browser), info: parseJson(r.info_json, {}) as Record<string, unknown>, firstSeen: r.first_seen as string, lastSeen: r.last_seen as string,
  };
}

/** This process as the owner of rows it sets running: "<host>#<pid>". */
const OWNER = `${os.hostname()}#${process.pid}`;

/** Whether the owner process of a row still runs: unknown for other hosts (true), false for none. */
export function ownerAlive(owner: string | null): boolean {
  const m = owner ? /^(.*)#(\d+)$/.exec(owner) : null;
  if (!m) return false;
  if (m[1] !== os.hostname()) return true;
  try {
    process.kill(Number(m[2]), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

function toSuiteRun(r: Row): SuiteRunRow {
  return {
    id: r.id as string, suiteName: r.suite_name as string, suiteHash: r.suite_hash as string, suite: parseJson(r.suite_json, null),
    startedAt: r.started_at as string, finishedAt: str(r.finished_at), status: r.status as SuiteRunStatus, outDir: str(r.out_dir),
  };
}

function toRun(r: Row): RunRow {
  return {
    id: r.id as string, suiteRunId: str(r.suite_run_id), jobKey: str(r.job_key), deviceId: str(r.device_id),
    kind: r.kind as RunRow['kind'], impl: r.impl as RunRow['impl'], status: r.status as RunStatus, attempt: r.attempt as number,
    name: str(r.name), source: str(r.source), createdAt: r.created_at as string, startedAt: str(r.started_at),
    finishedAt: str(r.finished_at), error: str(r.error), job: parseJson(r.job_json, null),
    conditions: parseJson(r.conditions_json, {}) as RunConditions, summary: parseJson(r.summary_json, null) as RunSummary | null,
  };
}

function parseJson(v: unknown, fallback: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : fallback;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
}

function int(v: number | null | undefined): number | null {
  return v == null || !Number.isFinite(v) ? null : Math.round(v);
}

function check<T extends string>(what: string, v: string, allowed: readonly T[]): void {
  if (!(allowed as readonly string[]).includes(v)) throw new Error(`${what} "${v}" is not one of ${allowed.join(', ')}`);
}

function now(): string {
  return new Date().toISOString();
}

/** Time-sortable, readable ids: `run-20261129T092900-3f2a1c`. */
function newId(prefix: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `${prefix}-${t}-${randomBytes(3).toString('hex')}`;
}
