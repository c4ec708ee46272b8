// Jobs and their event streams in SQLite (the part of SqliteStore that owns them), and the one
// transaction that turns a finished job into a registered model version.
import type Database from "better-sqlite3";
import { MaasError } from "../errors.js";
import { checkLimit, decodeCursor, toPage } from "./page-cursor.js";
import type { SqliteModels } from "./sqlite-models.js";
import { fromJson, now, rethrowConstraint, toFlag, toJson } from "./sqlite-values.js";
import type { JobEvent, JobRecord, JobStatus, NewVersion, Page, PageRequest, VersionRecord } from "./store.js";

/** The fields of a job that `updateJob` may change. */
export type JobPatch = Partial<Pick<JobRecord, "status" | "progress" | "metrics" | "error" | "attempts" | "cancelRequested" | "startedAt" | "finishedAt">>;

interface JobRow {
  seq: number;
  id: string;
  tenant: string;
  name: string;
  dataset: string;
  spec: string;
  status: JobStatus;
  progress: string;
  metrics: string;
  error: string;
  model_name: string | null;
  model_version: number | null;
  attempts: number;
  cancel_requested: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  created_by: string;
}

interface EventRow {
  job: string;
  seq: number;
  type: string;
  data: string;
  at: string;
}

type Mutable = Pick<JobRow, "status" | "progress" | "metrics" | "error" | "attempts" | "cancel_requested" | "started_at" | "finished_at"> & { id: string };

function toJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    dataset: row.dataset,
    spec: fromJson(row.spec),
    status: row.status,
    progress: fromJson(row.progress),
    metrics: fromJson(row.metrics),
    error: fromJson(row.error),
    model: row.model_name === null ? null : { name: row.model_name, version: row.model_version! },
    attempts: row.attempts,
    cancelRequested: row.cancel_requested === 1,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdBy: row.created_by,
  };
}

function toEvent(row: EventRow): JobEvent {
  return { job: row.job, seq: row.seq, type: row.type, data: fromJson(row.data), at: row.at };
}

export class SqliteJobs {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly getByIdStmt;
  private readonly listStmt;
  private readonly withStatusStmt;
  private readonly countStmt;
  private readonly updateStmt;
  private readonly completeStmt;
  private readonly deleteStmt;
  private readonly usesDatasetStmt;
  private readonly appendEventStmt;
  private readonly eventsAfterStmt;

  constructor(
    private readonly db: Database.Database,
    private readonly models: SqliteModels,
  ) {
    this.insertStmt = db.prepare<Omit<JobRow, "seq">>(
      `INSERT INTO jobs (id, tenant, name, dataset, spec, status, progress, metrics, error, model_name, model_version,
         attempts, cancel_requested, created_at, started_at, finished_at, created_by)
       VALUES (@id, @tenant, @name, @dataset, @spec, @status, @progress, @metrics, @error, @model_name, @model_version,
         @attempts, @cancel_requested, @created_at, @started_at, @finished_at, @created_by)`,
    );
    this.getStmt = db.prepare<[string, string], JobRow>("SELECT * FROM jobs WHERE tenant = ? AND id = ?");
    this.getByIdStmt = db.prepare<[string], JobRow>("SELECT * FROM jobs WHERE id = ?");
    this.listStmt = db.prepare<{ tenant: string; at: string; seq: number; limit: number }, JobRow>(
      "SELECT * FROM jobs WHERE tenant = @tenant AND (created_at, seq) > (@at, @seq) ORDER BY created_at, seq LIMIT @limit",
    );
    this.withStatusStmt = db.prepare<[JobStatus], JobRow>("SELECT * FROM jobs WHERE status = ? ORDER BY created_at, seq");
    this.countStmt = db.prepare<[], { status: JobStatus; n: number }>("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status");
    this.updateStmt = db.prepare<Mutable>(
      `UPDATE jobs SET status = @status, progress = @progress, metrics = @metrics, error = @error, attempts = @attempts,
         cancel_requested = @cancel_requested, started_at = @started_at, finished_at = @finished_at WHERE id = @id`,
    );
    this.completeStmt = db.prepare<[string, number, string, string, string]>(
      "UPDATE jobs SET status = 'succeeded', model_name = ?, model_version = ?, metrics = ?, finished_at = ? WHERE id = ?",
    );
    this.deleteStmt = db.prepare<[string, string]>("DELETE FROM jobs WHERE tenant = ? AND id = ?");
    this.usesDatasetStmt = db.prepare<[string, string], { one: number }>(
      "SELECT 1 AS one FROM jobs WHERE tenant = ? AND dataset = ? AND status IN ('queued', 'running') LIMIT 1",
    );
    // One statement reads the last seq and inserts the next, so appends never race.
    this.appendEventStmt = db.prepare<{ job: string; type: string; data: string; at: string }, { seq: number }>(
      `INSERT INTO job_events (job, seq, type, data, at)
       SELECT @job, COALESCE(MAX(seq), 0) + 1, @type, @data, @at FROM job_events WHERE job = @job
       RETURNING seq`,
    );
    this.eventsAfterStmt = db.prepare<[string, number], EventRow>("SELECT * FROM job_events WHERE job = ? AND seq > ? ORDER BY seq");
  }

  // ---------------------------------------------------------------- jobs

  createJob(j: JobRecord): JobRecord {
    try {
      this.insertStmt.run({
        id: j.id,
        tenant: j.tenant,
        name: j.name,
        dataset: j.dataset,
        spec: toJson(j.spec),
        status: j.status,
        progress: toJson(j.progress),
        metrics: toJson(j.metrics),
        error: toJson(j.error),
        model_name: j.model?.name ?? null,
        model_version: j.model?.version ?? null,
        attempts: j.attempts,
        cancel_requested: toFlag(j.cancelRequested),
        created_at: j.createdAt,
        started_at: j.startedAt,
        finished_at: j.finishedAt,
        created_by: j.createdBy,
      });
    } catch (e) {
      rethrowConstraint(e, { duplicate: `job '${j.id}' exists`, missingParent: `tenant '${j.tenant}' does not exist` });
    }
    return toJob(this.getByIdStmt.get(j.id)!);
  }

  getJob(tenant: string, id: string): JobRecord | undefined {
    const row = this.getStmt.get(tenant, id);
    return row && toJob(row);
  }

  listJobs(tenant: string, page: PageRequest): Page<JobRecord> {
    const limit = checkLimit(page.limit);
    const { at, seq } = decodeCursor(page.cursor);
    const rows = this.listStmt.all({ tenant, at, seq, limit: limit + 1 });
    return toPage(rows, limit, toJob, (r) => ({ at: r.created_at, seq: r.seq }));
  }

  jobsWithStatus(status: JobStatus): JobRecord[] {
    return this.withStatusStmt.all(status).map(toJob);
  }

  countJobs(): Record<JobStatus, number> {
    const counts: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const { status, n } of this.countStmt.all()) counts[status] = n;
    return counts;
  }

  /** Applies the fields of `patch` that are not undefined; an unknown job is "not_found". */
  updateJob(id: string, patch: JobPatch): JobRecord {
    return this.db
      .transaction(() => {
        const row = this.getByIdStmt.get(id);
        if (!row) throw new MaasError("not_found", `no job '${id}'`);
        const keep = <T>(value: T | undefined, stored: T): T => (value === undefined ? stored : value);
        const keepJson = (value: unknown, stored: string): string => (value === undefined ? stored : toJson(value));
        this.updateStmt.run({
          id,
          status: keep(patch.status, row.status),
          progress: keepJson(patch.progress, row.progress),
          metrics: keepJson(patch.metrics, row.metrics),
          error: keepJson(patch.error, row.error),
          attempts: keep(patch.attempts, row.attempts),
          cancel_requested: patch.cancelRequested === undefined ? row.cancel_requested : toFlag(patch.cancelRequested),
          started_at: keep(patch.startedAt, row.started_at),
          finished_at: keep(patch.finishedAt, row.finished_at),
        });
        return toJob(this.getByIdStmt.get(id)!);
      })
      .immediate();
  }

  deleteJob(tenant: string, id: string): boolean {
    return this.deleteStmt.run(tenant, id).changes > 0;
  }

  /** Whether a queued or running job of `tenant` trains on the dataset. */
  usesDataset(tenant: string, dataset: string): boolean {
    return this.usesDatasetStmt.get(tenant, dataset) !== undefined;
  }

  /**
   * Registers the version a job trained and marks the job succeeded, once: when the job already
   * recorded a version (a retried completion), that version is returned and nothing changes.
   */
  completeJob(jobId: string, v: NewVersion, metrics: Record<string, number>): VersionRecord {
    return this.db
      .transaction(() => {
        const job = this.getByIdStmt.get(jobId);
        if (!job) throw new MaasError("not_found", `no job '${jobId}'`);
        if (job.model_name !== null) {
          const registered = this.models.getVersion(job.tenant, job.model_name, job.model_version!);
          if (!registered) throw new MaasError("conflict", `job '${jobId}' registered ${job.model_name} v${job.model_version}, which has since been deleted`);
          return registered;
        }
        if (v.tenant !== job.tenant || v.model !== job.name) {
          throw new MaasError("internal", `job '${jobId}' trains ${job.tenant}/${job.name}, not ${v.tenant}/${v.model}`);
        }
        const version = this.models.insertVersion({ ...v, job: jobId });
        this.completeStmt.run(version.model, version.version, toJson(metrics), now(), jobId);
        return version;
      })
      .immediate();
  }

  // ---------------------------------------------------------------- events

  /** Appends an event with the job's next seq (1, 2, 3, ...); an unknown job is "not_found". */
  appendEvent(job: string, type: string, data: unknown): JobEvent {
    const at = now();
    const json = toJson(data);
    let seq: number;
    try {
      seq = this.appendEventStmt.get({ job, type, data: json, at })!.seq;
    } catch (e) {
      rethrowConstraint(e, { duplicate: `event of job '${job}' written twice`, missingParent: `no job '${job}'` });
    }
    return { job, seq, type, data: fromJson(json), at };
  }

  eventsAfter(job: string, seq: number): JobEvent[] {
    return this.eventsAfterStmt.all(job, seq).map(toEvent);
  }
}
