// Models, their immutable versions and aliases in SQLite (the part of SqliteStore that owns them).
// Version numbers count up per model and are never reused, even after the newest is deleted: a
// client that pinned `wine` v3 never silently gets a different file. `latest` is not stored; it is
// the newest remaining version. Transactions that read before they write start IMMEDIATE (taking
// the write lock first), so another process cannot change what they read.
import type Database from "better-sqlite3";
import { MaasError } from "../errors.js";
import { checkLimit, decodeCursor, toPage } from "./page-cursor.js";
import { fromJson, now, rethrowConstraint, toJson } from "./sqlite-values.js";
import type { AliasRecord, ModelRecord, NewVersion, Page, PageRequest, VersionRecord } from "./store.js";

/** The alias that always names a model's newest version. */
export const LATEST = "latest";

interface ModelRow {
  seq: number;
  tenant: string;
  name: string;
  created_at: string;
  latest: number;
  serving: string | null;
}

interface VersionRow {
  tenant: string;
  model: string;
  version: number;
  artifact: string;
  sha256: string;
  bytes: number;
  source: "trained" | "imported";
  card: string;
  job: string | null;
  dataset: string | null;
  created_at: string;
  created_by: string;
}

type Key = [tenant: string, model: string];
type VersionKey = [tenant: string, model: string, version: number];
type ListParams = { tenant: string; model?: string; at: string; seq: number; limit: number };

const MODEL_COLUMNS = `m.seq, m.tenant, m.name, m.created_at, m.serving,
  (SELECT COALESCE(MAX(v.version), 0) FROM versions v WHERE v.tenant = m.tenant AND v.model = m.name) AS latest`;

function toModel(row: ModelRow): ModelRecord {
  return { tenant: row.tenant, name: row.name, createdAt: row.created_at, latestVersion: row.latest, serving: row.serving === null ? null : fromJson(row.serving) };
}

function toVersion(row: VersionRow): VersionRecord {
  return {
    tenant: row.tenant,
    model: row.model,
    version: row.version,
    artifact: row.artifact,
    sha256: row.sha256,
    bytes: row.bytes,
    source: row.source,
    card: fromJson(row.card),
    job: row.job,
    dataset: row.dataset,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

export class SqliteModels {
  private readonly getModelStmt;
  private readonly listModelsStmt;
  private readonly ensureModelStmt;
  private readonly nextVersionStmt;
  private readonly insertVersionStmt;
  private readonly getVersionStmt;
  private readonly listVersionsStmt;
  private readonly latestStmt;
  private readonly artifactsStmt;
  private readonly deleteVersionStmt;
  private readonly deleteVersionsStmt;
  private readonly deleteModelStmt;
  private readonly getAliasStmt;
  private readonly listAliasesStmt;
  private readonly upsertAliasStmt;
  private readonly deleteAliasStmt;
  private readonly deleteAliasesStmt;
  private readonly aliasedStmt;
  private readonly setServingStmt;

  constructor(private readonly db: Database.Database) {
    this.getModelStmt = db.prepare<Key, ModelRow>(`SELECT ${MODEL_COLUMNS} FROM models m WHERE m.tenant = ? AND m.name = ?`);
    this.listModelsStmt = db.prepare<ListParams, ModelRow>(
      `SELECT ${MODEL_COLUMNS} FROM models m WHERE m.tenant = @tenant AND (m.created_at, m.seq) > (@at, @seq)
       ORDER BY m.created_at, m.seq LIMIT @limit`,
    );
    this.ensureModelStmt = db.prepare<[string, string, string]>(
      "INSERT INTO models (tenant, name, created_at, last_version) VALUES (?, ?, ?, 0) ON CONFLICT (tenant, name) DO NOTHING",
    );
    this.nextVersionStmt = db.prepare<Key, { version: number }>(
      "UPDATE models SET last_version = last_version + 1 WHERE tenant = ? AND name = ? RETURNING last_version AS version",
    );
    this.insertVersionStmt = db.prepare<VersionRow>(
      `INSERT INTO versions (tenant, model, version, artifact, sha256, bytes, source, card, job, dataset, created_at, created_by)
       VALUES (@tenant, @model, @version, @artifact, @sha256, @bytes, @source, @card, @job, @dataset, @created_at, @created_by)`,
    );
    this.getVersionStmt = db.prepare<VersionKey, VersionRow>("SELECT * FROM versions WHERE tenant = ? AND model = ? AND version = ?");
    this.listVersionsStmt = db.prepare<ListParams, VersionRow>(
      "SELECT * FROM versions WHERE tenant = @tenant AND model = @model AND version > @seq ORDER BY version LIMIT @limit",
    );
    this.latestStmt = db.prepare<Key, { version: number | null }>("SELECT MAX(version) AS version FROM versions WHERE tenant = ? AND model = ?");
    this.artifactsStmt = db.prepare<Key, { artifact: string }>("SELECT artifact FROM versions WHERE tenant = ? AND model = ? ORDER BY version");
    this.deleteVersionStmt = db.prepare<VersionKey>("DELETE FROM versions WHERE tenant = ? AND model = ? AND version = ?");
    this.deleteVersionsStmt = db.prepare<Key>("DELETE FROM versions WHERE tenant = ? AND model = ?");
    this.deleteModelStmt = db.prepare<Key>("DELETE FROM models WHERE tenant = ? AND name = ?");
    this.getAliasStmt = db.prepare<[string, string, string], { version: number }>(
      "SELECT version FROM aliases WHERE tenant = ? AND model = ? AND alias = ?",
    );
    this.listAliasesStmt = db.prepare<Key, AliasRecord>("SELECT tenant, model, alias, version FROM aliases WHERE tenant = ? AND model = ? ORDER BY alias");
    this.upsertAliasStmt = db.prepare<AliasRecord>(
      `INSERT INTO aliases (tenant, model, alias, version) VALUES (@tenant, @model, @alias, @version)
       ON CONFLICT (tenant, model, alias) DO UPDATE SET version = excluded.version`,
    );
    this.deleteAliasStmt = db.prepare<[string, string, string]>("DELETE FROM aliases WHERE tenant = ? AND model = ? AND alias = ?");
    this.deleteAliasesStmt = db.prepare<Key>("DELETE FROM aliases WHERE tenant = ? AND model = ?");
    this.setServingStmt = db.prepare<[string | null, string, string]>("UPDATE models SET serving = ? WHERE tenant = ? AND name = ?");
    this.aliasedStmt = db.prepare<VersionKey, { one: number }>("SELECT 1 AS one FROM aliases WHERE tenant = ? AND model = ? AND version = ? LIMIT 1");
  }

  // ---------------------------------------------------------------- versions

  /** Adds the next version of a model, creating the model if new. Call inside a transaction. */
  insertVersion(v: NewVersion): VersionRecord {
    const createdAt = now();
    try {
      this.ensureModelStmt.run(v.tenant, v.model, createdAt);
    } catch (e) {
      rethrowConstraint(e, { duplicate: `model '${v.model}' exists`, missingParent: `tenant '${v.tenant}' does not exist` });
    }
    const { version } = this.nextVersionStmt.get(v.tenant, v.model)!;
    try {
      this.insertVersionStmt.run({
        tenant: v.tenant,
        model: v.model,
        version,
        artifact: v.artifact,
        sha256: v.sha256,
        bytes: v.bytes,
        source: v.source,
        card: toJson(v.card),
        job: v.job,
        dataset: v.dataset,
        created_at: createdAt,
        created_by: v.createdBy,
      });
    } catch (e) {
      rethrowConstraint(e, { duplicate: `job '${v.job}' already registered a version`, missingParent: `model '${v.model}' does not exist` });
    }
    return this.getVersion(v.tenant, v.model, version)!;
  }

  createVersion(v: NewVersion): VersionRecord {
    return this.db.transaction(() => this.insertVersion(v)).immediate();
  }

  getVersion(tenant: string, model: string, version: number): VersionRecord | undefined {
    const row = this.getVersionStmt.get(tenant, model, version);
    return row && toVersion(row);
  }

  listVersions(tenant: string, model: string, page: PageRequest): Page<VersionRecord> {
    const limit = checkLimit(page.limit);
    const { at, seq } = decodeCursor(page.cursor);
    const rows = this.listVersionsStmt.all({ tenant, model, at, seq, limit: limit + 1 });
    return toPage(rows, limit, toVersion, (r) => ({ at: r.created_at, seq: r.version }));
  }

  deleteVersion(tenant: string, model: string, version: number): "deleted" | "missing" | "aliased" {
    return this.db.transaction(() => {
      if (!this.getVersionStmt.get(tenant, model, version)) return "missing";
      if (this.aliasedStmt.get(tenant, model, version)) return "aliased";
      this.deleteVersionStmt.run(tenant, model, version);
      return "deleted";
    }).immediate();
  }

  // ---------------------------------------------------------------- models

  getModel(tenant: string, name: string): ModelRecord | undefined {
    const row = this.getModelStmt.get(tenant, name);
    return row && toModel(row);
  }

  listModels(tenant: string, page: PageRequest): Page<ModelRecord> {
    const limit = checkLimit(page.limit);
    const { at, seq } = decodeCursor(page.cursor);
    const rows = this.listModelsStmt.all({ tenant, at, seq, limit: limit + 1 });
    return toPage(rows, limit, toModel, (r) => ({ at: r.created_at, seq: r.seq }));
  }

  setServing(tenant: string, model: string, serving: unknown): boolean {
    return this.setServingStmt.run(serving === null ? null : toJson(serving), tenant, model).changes > 0;
  }

  deleteModel(tenant: string, model: string): string[] | undefined {
    return this.db.transaction(() => {
      if (!this.getModelStmt.get(tenant, model)) return undefined;
      const artifacts = this.artifactsStmt.all(tenant, model).map((r) => r.artifact);
      this.deleteAliasesStmt.run(tenant, model);
      this.deleteVersionsStmt.run(tenant, model);
      this.deleteModelStmt.run(tenant, model);
      return artifacts;
    }).immediate();
  }

  // ---------------------------------------------------------------- aliases

  listAliases(tenant: string, model: string): AliasRecord[] {
    return this.listAliasesStmt.all(tenant, model);
  }

  setAlias(tenant: string, model: string, alias: string, version: number): AliasRecord {
    if (alias === LATEST) throw new MaasError("bad_input", `'${LATEST}' always names the newest version and cannot be set`);
    if (alias === "") throw new MaasError("bad_input", "an alias needs a name");
    return this.db.transaction(() => {
      if (!this.getVersionStmt.get(tenant, model, version)) throw new MaasError("not_found", `model '${model}' has no version ${version}`);
      const record = { tenant, model, alias, version };
      this.upsertAliasStmt.run(record);
      return record;
    }).immediate();
  }

  deleteAlias(tenant: string, model: string, alias: string): boolean {
    return this.deleteAliasStmt.run(tenant, model, alias).changes > 0;
  }

  resolveAlias(tenant: string, model: string, alias: string): number | undefined {
    if (alias === LATEST) return this.latestStmt.get(tenant, model)?.version ?? undefined;
    return this.getAliasStmt.get(tenant, model, alias)?.version;
  }
}
