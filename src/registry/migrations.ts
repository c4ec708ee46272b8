// The SQLite schema as an ordered list of migrations. Migration N (1-based) is applied once, in order,
// and recorded in `schema_migrations`; never edit an applied migration, append a new one.
//
// Conventions: `tenant` columns hold the tenant's name (tenants.name); JSON values are TEXT; times are
// ISO-8601 strings; `seq INTEGER PRIMARY KEY` is the insertion order that breaks ties between rows
// created in the same millisecond (a stable pagination order that VACUUM does not renumber).
import type Database from "better-sqlite3";

export const MIGRATIONS: readonly string[] = [
  // 1: tenants and API keys
  `CREATE TABLE tenants (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL
   );
   CREATE TABLE api_keys (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     tenant TEXT NOT NULL REFERENCES tenants(name),
     name TEXT NOT NULL,
     scopes TEXT NOT NULL,
     digest TEXT NOT NULL,
     platform_admin INTEGER NOT NULL CHECK (platform_admin IN (0, 1)),
     created_at TEXT NOT NULL,
     revoked_at TEXT
   );
   CREATE INDEX api_keys_by_tenant ON api_keys(tenant, created_at, seq);`,

  // 2: datasets, jobs and their events
  `CREATE TABLE datasets (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     tenant TEXT NOT NULL REFERENCES tenants(name),
     name TEXT NOT NULL,
     format TEXT NOT NULL,
     rows INTEGER NOT NULL,
     columns TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     artifact TEXT NOT NULL,
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL
   );
   CREATE INDEX datasets_by_tenant ON datasets(tenant, created_at, seq);
   CREATE INDEX datasets_by_name ON datasets(tenant, name);
   CREATE TABLE jobs (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     tenant TEXT NOT NULL REFERENCES tenants(name),
     name TEXT NOT NULL,
     dataset TEXT NOT NULL,
     spec TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
     progress TEXT NOT NULL,
     metrics TEXT NOT NULL,
     error TEXT NOT NULL,
     model_name TEXT,
     model_version INTEGER,
     attempts INTEGER NOT NULL,
     cancel_requested INTEGER NOT NULL CHECK (cancel_requested IN (0, 1)),
     created_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT,
     created_by TEXT NOT NULL
   );
   CREATE INDEX jobs_by_tenant ON jobs(tenant, created_at, seq);
   CREATE INDEX jobs_by_status ON jobs(status, created_at, seq);
   CREATE INDEX jobs_by_dataset ON jobs(tenant, dataset, status);
   CREATE TABLE job_events (
     job TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     at TEXT NOT NULL,
     PRIMARY KEY (job, seq)
   );`,

  // 3: models, their immutable versions, and aliases (`latest` is not stored: it is the newest version)
  `CREATE TABLE models (
     seq INTEGER PRIMARY KEY,
     tenant TEXT NOT NULL REFERENCES tenants(name),
     name TEXT NOT NULL,
     created_at TEXT NOT NULL,
     last_version INTEGER NOT NULL,
     UNIQUE (tenant, name)
   );
   CREATE INDEX models_by_tenant ON models(tenant, created_at, seq);
   CREATE TABLE versions (
     tenant TEXT NOT NULL,
     model TEXT NOT NULL,
     version INTEGER NOT NULL,
     artifact TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     source TEXT NOT NULL CHECK (source IN ('trained', 'imported')),
     card TEXT NOT NULL,
     job TEXT,
     dataset TEXT,
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL,
     PRIMARY KEY (tenant, model, version),
     FOREIGN KEY (tenant, model) REFERENCES models(tenant, name)
   );
   CREATE UNIQUE INDEX versions_by_job ON versions(job) WHERE job IS NOT NULL;
   CREATE TABLE aliases (
     tenant TEXT NOT NULL,
     model TEXT NOT NULL,
     alias TEXT NOT NULL,
     version INTEGER NOT NULL,
     PRIMARY KEY (tenant, model, alias),
     FOREIGN KEY (tenant, model, version) REFERENCES versions(tenant, model, version)
   );
   CREATE INDEX aliases_by_version ON aliases(tenant, model, version);`,

  // 4: responses remembered for Idempotency-Key headers
  `CREATE TABLE idempotency (
     tenant TEXT NOT NULL REFERENCES tenants(name),
     key TEXT NOT NULL,
     route TEXT NOT NULL,
     status INTEGER NOT NULL,
     body TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (tenant, key, route)
   );`,

  // 5: how a model is served (dynamic batching, ...), JSON; null: the server's defaults
  `ALTER TABLE models ADD COLUMN serving TEXT;`,
];

/**
 * Applies the migrations a database has not seen yet, in one immediate transaction (so two processes
 * opening the same file cannot both apply one), and returns their numbers.
 */
export function applyMigrations(db: Database.Database, migrations: readonly string[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
  )`);
  const current = db.prepare<[], { v: number | null }>("SELECT MAX(version) AS v FROM schema_migrations");
  const record = db.prepare<[number, string]>("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
  const apply = db.transaction((): number[] => {
    const have = current.get()?.v ?? 0;
    if (have > migrations.length) {
      throw new Error(`the database schema is at version ${have}, newer than this software (${migrations.length}); upgrade OpenMaaS`);
    }
    const applied: number[] = [];
    for (let version = have + 1; version <= migrations.length; version++) {
      db.exec(migrations[version - 1]);
      record.run(version, new Date().toISOString());
      applied.push(version);
    }
    return applied;
  });
  return apply.immediate();
}
