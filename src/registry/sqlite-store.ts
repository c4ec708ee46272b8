// The embedded metadata store: one SQLite file (WAL mode) through better-sqlite3. Tenants, keys,
// datasets and idempotent responses live here; jobs and models in sqlite-jobs.ts and
// sqlite-models.ts. better-sqlite3 is synchronous; the methods are async only to match the
// MetadataStore interface that a PostgreSQL store will share.
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { MaasError } from "../errors.js";
import { applyMigrations } from "./migrations.js";
import { checkLimit, decodeCursor, toPage } from "./page-cursor.js";
import { SqliteJobs, type JobPatch } from "./sqlite-jobs.js";
import { SqliteModels } from "./sqlite-models.js";
import { fromJson, now, rethrowConstraint, toFlag, toJson } from "./sqlite-values.js";
import type {
  AliasRecord,
  ApiKeyRecord,
  DatasetRecord,
  IdempotentResponse,
  JobEvent,
  JobRecord,
  JobStatus,
  MetadataStore,
  ModelRecord,
  NewVersion,
  Page,
  PageRequest,
  Scope,
  Tenant,
  VersionRecord,
} from "./store.js";

/** How long a statement waits for another process's write lock before failing (ms). */
const BUSY_TIMEOUT_MS = 5000;

interface KeyRow {
  seq: number;
  id: string;
  tenant: string;
  name: string;
  scopes: string;
  digest: string;
  platform_admin: number;
  created_at: string;
  revoked_at: string | null;
}

interface DatasetRow {
  seq: number;
  id: string;
  tenant: string;
  name: string;
  format: string;
  rows: number;
  columns: string;
  sha256: string;
  bytes: number;
  artifact: string;
  created_at: string;
  created_by: string;
}

type ListParams = { tenant: string; at: string; seq: number; limit: number };

function toKey(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    scopes: fromJson<Scope[]>(row.scopes),
    digest: row.digest,
    platformAdmin: row.platform_admin === 1,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

function toDataset(row: DatasetRow): DatasetRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    format: row.format,
    rows: row.rows,
    columns: fromJson(row.columns),
    sha256: row.sha256,
    bytes: row.bytes,
    artifact: row.artifact,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

/**
 * A MetadataStore in one SQLite database.
 * @example const store = await SqliteStore.open(join(home, "maas.db"));
 */
export class SqliteStore implements MetadataStore {
  private readonly jobs: SqliteJobs;
  private readonly models: SqliteModels;
  private readonly insertTenantStmt;
  private readonly getTenantStmt;
  private readonly insertKeyStmt;
  private readonly getKeyStmt;
  private readonly listKeysStmt;
  private readonly revokeKeyStmt;
  private readonly platformAdminStmt;
  private readonly insertDatasetStmt;
  private readonly getDatasetStmt;
  private readonly listDatasetsStmt;
  private readonly datasetExistsStmt;
  private readonly deleteDatasetStmt;
  private readonly getIdempotentStmt;
  private readonly putIdempotentStmt;

  private constructor(
    private readonly db: Database.Database,
    /** The migrations this open applied (empty when the schema was current). */
    readonly migrated: number[],
  ) {
    this.models = new SqliteModels(db);
    this.jobs = new SqliteJobs(db, this.models);
    this.insertTenantStmt = db.prepare<[string, string, string]>("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING");
    this.getTenantStmt = db.prepare<[string], Tenant>("SELECT id, name, created_at AS createdAt FROM tenants WHERE name = ?");
    this.insertKeyStmt = db.prepare<Omit<KeyRow, "seq">>(
      `INSERT INTO api_keys (id, tenant, name, scopes, digest, platform_admin, created_at, revoked_at)
       VALUES (@id, @tenant, @name, @scopes, @digest, @platform_admin, @created_at, @revoked_at)`,
    );
    this.getKeyStmt = db.prepare<[string], KeyRow>("SELECT * FROM api_keys WHERE id = ?");
    this.listKeysStmt = db.prepare<ListParams, KeyRow>(
      "SELECT * FROM api_keys WHERE tenant = @tenant AND (created_at, seq) > (@at, @seq) ORDER BY created_at, seq LIMIT @limit",
    );
    this.revokeKeyStmt = db.prepare<[string, string, string]>("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant = ? AND id = ?");
    this.platformAdminStmt = db.prepare<[], { one: number }>("SELECT 1 AS one FROM api_keys WHERE platform_admin = 1 AND revoked_at IS NULL LIMIT 1");
    this.insertDatasetStmt = db.prepare<Omit<DatasetRow, "seq">>(
      `INSERT INTO datasets (id, tenant, name, format, rows, columns, sha256, bytes, artifact, created_at, created_by)
       VALUES (@id, @tenant, @name, @format, @rows, @columns, @sha256, @bytes, @artifact, @created_at, @created_by)`,
    );
    // An id wins over a name; of several datasets with one name, the newest.
    this.getDatasetStmt = db.prepare<{ tenant: string; key: string }, DatasetRow>(
      `SELECT * FROM datasets WHERE tenant = @tenant AND (id = @key OR name = @key)
       ORDER BY id = @key DESC, created_at DESC, seq DESC LIMIT 1`,
    );
    this.listDatasetsStmt = db.prepare<ListParams, DatasetRow>(
      "SELECT * FROM datasets WHERE tenant = @tenant AND (created_at, seq) > (@at, @seq) ORDER BY created_at, seq LIMIT @limit",
    );
    this.datasetExistsStmt = db.prepare<[string, string], { one: number }>("SELECT 1 AS one FROM datasets WHERE tenant = ? AND id = ?");
    this.deleteDatasetStmt = db.prepare<[string, string]>("DELETE FROM datasets WHERE tenant = ? AND id = ?");
    this.getIdempotentStmt = db.prepare<[string, string, string], { status: number; body: string }>(
      "SELECT status, body FROM idempotency WHERE tenant = ? AND key = ? AND route = ?",
    );
    // The first response remembered for a key stands.
    this.putIdempotentStmt = db.prepare<[string, string, string, number, string, string]>(
      "INSERT INTO idempotency (tenant, key, route, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    );
  }

  /** Opens (creating if needed) the database at `path` (":memory:" for a private in-memory one) and migrates it. */
  static async open(path: string): Promise<SqliteStore> {
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("foreign_keys = ON");
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      return new SqliteStore(db, applyMigrations(db));
    } catch (e) {
      db.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------- tenants and keys

  async ensureTenant(name: string): Promise<Tenant> {
    if (name === "") throw new MaasError("bad_input", "a tenant needs a name");
    this.insertTenantStmt.run(randomUUID(), name, now());
    return this.getTenantStmt.get(name)!;
  }

  async createKey(key: Omit<ApiKeyRecord, "createdAt" | "revokedAt">): Promise<ApiKeyRecord> {
    try {
      this.insertKeyStmt.run({
        id: key.id,
        tenant: key.tenant,
        name: key.name,
        scopes: toJson(key.scopes),
        digest: key.digest,
        platform_admin: toFlag(key.platformAdmin),
        created_at: now(),
        revoked_at: null,
      });
    } catch (e) {
      rethrowConstraint(e, { duplicate: `key '${key.id}' exists`, missingParent: `tenant '${key.tenant}' does not exist` });
    }
    return toKey(this.getKeyStmt.get(key.id)!);
  }

  async findKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.getKeyStmt.get(id);
    return row && toKey(row);
  }

  async listKeys(tenant: string, page: PageRequest): Promise<Page<ApiKeyRecord>> {
    const limit = checkLimit(page.limit);
    const { at, seq } = decodeCursor(page.cursor);
    return toPage(this.listKeysStmt.all({ tenant, at, seq, limit: limit + 1 }), limit, toKey, (r) => ({ at: r.created_at, seq: r.seq }));
  }

  /** Revokes a key (a key revoked before keeps its first revocation time). */
  async revokeKey(tenant: string, id: string): Promise<boolean> {
    return this.revokeKeyStmt.run(now(), tenant, id).changes > 0;
  }

  async hasPlatformAdmin(): Promise<boolean> {
    return this.platformAdminStmt.get() !== undefined;
  }

  // ---------------------------------------------------------------- datasets

  async createDataset(d: DatasetRecord): Promise<DatasetRecord> {
    try {
      this.insertDatasetStmt.run({
        id: d.id,
        tenant: d.tenant,
        name: d.name,
        format: d.format,
        rows: d.rows,
        columns: toJson(d.columns),
        sha256: d.sha256,
        bytes: d.bytes,
        artifact: d.artifact,
        created_at: d.createdAt,
        created_by: d.createdBy,
      });
    } catch (e) {
      rethrowConstraint(e, { duplicate: `dataset '${d.id}' exists`, missingParent: `tenant '${d.tenant}' does not exist` });
    }
    return (await this.getDataset(d.tenant, d.id))!;
  }

  /** A dataset by id, else the newest of the tenant's datasets with that name. */
  async getDataset(tenant: string, idOrName: string): Promise<DatasetRecord | undefined> {
    const row = this.getDatasetStmt.get({ tenant, key: idOrName });
    return row && toDataset(row);
  }

  async listDatasets(tenant: string, page: PageRequest): Promise<Page<DatasetRecord>> {
    const limit = checkLimit(page.limit);
    const { at, seq } = decodeCursor(page.cursor);
    return toPage(this.listDatasetsStmt.all({ tenant, at, seq, limit: limit + 1 }), limit, toDataset, (r) => ({ at: r.created_at, seq: r.seq }));
  }

  async deleteDataset(tenant: string, id: string): Promise<"deleted" | "missing" | "in-use"> {
    return this.db
      .transaction(() => {
        if (!this.datasetExistsStmt.get(tenant, id)) return "missing";
        if (this.jobs.usesDataset(tenant, id)) return "in-use";
        this.deleteDatasetStmt.run(tenant, id);
        return "deleted";
      })
      .immediate();
  }

  // ---------------------------------------------------------------- jobs and events

  async createJob(j: JobRecord): Promise<JobRecord> {
    return this.jobs.createJob(j);
  }

  async getJob(tenant: string, id: string): Promise<JobRecord | undefined> {
    return this.jobs.getJob(tenant, id);
  }

  async listJobs(tenant: string, page: PageRequest): Promise<Page<JobRecord>> {
    return this.jobs.listJobs(tenant, page);
  }

  async jobsWithStatus(status: JobStatus): Promise<JobRecord[]> {
    return this.jobs.jobsWithStatus(status);
  }

  async countJobs(): Promise<Record<JobStatus, number>> {
    return this.jobs.countJobs();
  }

  async updateJob(id: string, patch: JobPatch): Promise<JobRecord> {
    return this.jobs.updateJob(id, patch);
  }

  async deleteJob(tenant: string, id: string): Promise<boolean> {
    return this.jobs.deleteJob(tenant, id);
  }

  async appendEvent(job: string, type: string, data: unknown): Promise<JobEvent> {
    return this.jobs.appendEvent(job, type, data);
  }

  async eventsAfter(job: string, seq: number): Promise<JobEvent[]> {
    return this.jobs.eventsAfter(job, seq);
  }

  async completeJob(jobId: string, v: NewVersion, metrics: Record<string, number>): Promise<VersionRecord> {
    return this.jobs.completeJob(jobId, v, metrics);
  }

  // ---------------------------------------------------------------- models, versions, aliases

  async createVersion(v: NewVersion): Promise<VersionRecord> {
    return this.models.createVersion(v);
  }

  async getModel(tenant: string, name: string): Promise<ModelRecord | undefined> {
    return this.models.getModel(tenant, name);
  }

  async listModels(tenant: string, page: PageRequest): Promise<Page<ModelRecord>> {
    return this.models.listModels(tenant, page);
  }

  async getVersion(tenant: string, model: string, version: number): Promise<VersionRecord | undefined> {
    return this.models.getVersion(tenant, model, version);
  }

  async listVersions(tenant: string, model: string, page: PageRequest): Promise<Page<VersionRecord>> {
    return this.models.listVersions(tenant, model, page);
  }

  async setServing(tenant: string, model: string, serving: unknown): Promise<boolean> {
    return this.models.setServing(tenant, model, serving);
  }

  async listAliases(tenant: string, model: string): Promise<AliasRecord[]> {
    return this.models.listAliases(tenant, model);
  }

  async setAlias(tenant: string, model: string, alias: string, version: number): Promise<AliasRecord> {
    return this.models.setAlias(tenant, model, alias, version);
  }

  async deleteAlias(tenant: string, model: string, alias: string): Promise<boolean> {
    return this.models.deleteAlias(tenant, model, alias);
  }

  async resolveAlias(tenant: string, model: string, alias: string): Promise<number | undefined> {
    return this.models.resolveAlias(tenant, model, alias);
  }

  async deleteVersion(tenant: string, model: string, version: number): Promise<"deleted" | "missing" | "aliased"> {
    return this.models.deleteVersion(tenant, model, version);
  }

  async deleteModel(tenant: string, model: string): Promise<string[] | undefined> {
    return this.models.deleteModel(tenant, model);
  }

  // ---------------------------------------------------------------- idempotency

  async getIdempotent(tenant: string, key: string, route: string): Promise<IdempotentResponse | undefined> {
    const row = this.getIdempotentStmt.get(tenant, key, route);
    return row && { status: row.status, body: fromJson(row.body) };
  }

  /** Remembers a response; the first one remembered for (tenant, key, route) stands. */
  async putIdempotent(tenant: string, key: string, route: string, response: IdempotentResponse): Promise<void> {
    try {
      this.putIdempotentStmt.run(tenant, key, route, response.status, toJson(response.body), now());
    } catch (e) {
      rethrowConstraint(e, { duplicate: `idempotency key '${key}' exists`, missingParent: `tenant '${tenant}' does not exist` });
    }
  }
}
