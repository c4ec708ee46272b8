// The metadata store: every record the platform keeps, always scoped to one tenant. An interface,
// so SQLite (embedded, the default) and PostgreSQL (scale-out, later) are interchangeable; both must
// pass the contract suite in store.contract.ts.

/** What a key may do. `admin` implies every other scope; `write` implies `read`. */
export type Scope = "admin" | "write" | "predict" | "read";

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}

export interface ApiKeyRecord {
  /** The public part of the key, used to find it ("maas_<id>_<secret>"). */
  id: string;
  tenant: string;
  name: string;
  scopes: Scope[];
  /** SHA-256 of the secret part, hex. The secret itself is never stored. */
  digest: string;
  /** The platform administrator (tenant `default`) may manage every tenant's keys. */
  platformAdmin: boolean;
  createdAt: string;
  revokedAt: string | null;
}

export interface ColumnSummary {
  name: string;
  type: string;
}

export interface DatasetRecord {
  id: string;
  tenant: string;
  name: string;
  /** csv | ndjson | json (tabular) — image archives come with the image-data issue. */
  format: string;
  rows: number;
  columns: ColumnSummary[];
  /** SHA-256 of the stored bytes. */
  sha256: string;
  bytes: number;
  /** Key of the stored upload in the artifact store. */
  artifact: string;
  createdAt: string;
  /** Id of the API key that uploaded it. */
  createdBy: string;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface JobError {
  code: string;
  message: string;
}

export interface JobRecord {
  id: string;
  tenant: string;
  /** The model the job trains a version of. */
  name: string;
  dataset: string;
  /** The validated training spec (JSON of TabularSpec). */
  spec: unknown;
  status: JobStatus;
  /** The latest progress report (epoch, loss, metrics, samples/s), or null before the first. */
  progress: unknown;
  metrics: Record<string, number> | null;
  error: JobError | null;
  /** The version the job registered, once it has. */
  model: { name: string; version: number } | null;
  /** Times the job has been started (a restart while running starts it again). */
  attempts: number;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  createdBy: string;
}

/** A job as it enters the queue: given what the request says, everything else starts empty. */
export function queuedJob(j: Pick<JobRecord, "id" | "tenant" | "name" | "dataset" | "spec" | "createdBy"> & { createdAt?: string }): JobRecord {
  return {
    ...j,
    status: "queued",
    progress: null,
    metrics: null,
    error: null,
    model: null,
    attempts: 0,
    cancelRequested: false,
    createdAt: j.createdAt ?? new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
  };
}

export interface JobEvent {
  job: string;
  /** 1, 2, 3, ... per job: the SSE event id. */
  seq: number;
  type: string;
  data: unknown;
  at: string;
}

export interface ModelRecord {
  tenant: string;
  name: string;
  createdAt: string;
  latestVersion: number;
  /** How the model is served (the API's schema gives its form); null: the server's defaults. */
  serving: unknown;
}

export interface VersionRecord {
  tenant: string;
  model: string;
  version: number;
  /** Key of the .onnx file in the artifact store. */
  artifact: string;
  sha256: string;
  bytes: number;
  /** trained by a job, or imported. */
  source: "trained" | "imported";
  /** The lineage: job, dataset id and hash, spec, seed, software version, metrics (the model card). */
  card: unknown;
  job: string | null;
  dataset: string | null;
  createdAt: string;
  createdBy: string;
}

export interface AliasRecord {
  tenant: string;
  model: string;
  alias: string;
  version: number;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  next: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | null;
}

/** A response remembered for an Idempotency-Key. */
export interface IdempotentResponse {
  status: number;
  body: unknown;
}

export interface NewVersion {
  tenant: string;
  model: string;
  artifact: string;
  sha256: string;
  bytes: number;
  source: "trained" | "imported";
  card: unknown;
  job: string | null;
  dataset: string | null;
  createdBy: string;
}

/**
 * Every method is scoped by tenant where records belong to one; a record of another tenant is
 * reported as absent (undefined / false), never returned.
 */
export interface MetadataStore {
  // tenants and keys
  ensureTenant(name: string): Promise<Tenant>;
  createKey(key: Omit<ApiKeyRecord, "createdAt" | "revokedAt">): Promise<ApiKeyRecord>;
  /** Any tenant's key by id: authentication looks keys up before it knows the tenant. */
  findKey(id: string): Promise<ApiKeyRecord | undefined>;
  listKeys(tenant: string, page: PageRequest): Promise<Page<ApiKeyRecord>>;
  /** Revokes a key of `tenant`; false when there is none. */
  revokeKey(tenant: string, id: string): Promise<boolean>;
  hasPlatformAdmin(): Promise<boolean>;

  // datasets
  createDataset(d: DatasetRecord): Promise<DatasetRecord>;
  getDataset(tenant: string, idOrName: string): Promise<DatasetRecord | undefined>;
  listDatasets(tenant: string, page: PageRequest): Promise<Page<DatasetRecord>>;
  /** Deletes unless a queued or running job uses it: "in-use" then. */
  deleteDataset(tenant: string, id: string): Promise<"deleted" | "missing" | "in-use">;

  // jobs and their events
  createJob(j: JobRecord): Promise<JobRecord>;
  getJob(tenant: string, id: string): Promise<JobRecord | undefined>;
  listJobs(tenant: string, page: PageRequest): Promise<Page<JobRecord>>;
  /** Jobs in a status across all tenants (the scheduler's view), oldest first. */
  jobsWithStatus(status: JobStatus): Promise<JobRecord[]>;
  /** How many jobs are in each status, across tenants (for the platform's metrics). */
  countJobs(): Promise<Record<JobStatus, number>>;
  updateJob(id: string, patch: Partial<Pick<JobRecord, "status" | "progress" | "metrics" | "error" | "attempts" | "cancelRequested" | "startedAt" | "finishedAt">>): Promise<JobRecord>;
  deleteJob(tenant: string, id: string): Promise<boolean>;
  appendEvent(job: string, type: string, data: unknown): Promise<JobEvent>;
  eventsAfter(job: string, seq: number): Promise<JobEvent[]>;

  /**
   * Registers the version a job trained and marks the job succeeded, in one transaction keyed by the
   * job: a second call for the same job returns the version the first registered.
   */
  completeJob(jobId: string, v: NewVersion, metrics: Record<string, number>): Promise<VersionRecord>;

  // models, versions, aliases
  createVersion(v: NewVersion): Promise<VersionRecord>;
  getModel(tenant: string, name: string): Promise<ModelRecord | undefined>;
  listModels(tenant: string, page: PageRequest): Promise<Page<ModelRecord>>;
  getVersion(tenant: string, model: string, version: number): Promise<VersionRecord | undefined>;
  listVersions(tenant: string, model: string, page: PageRequest): Promise<Page<VersionRecord>>;
  listAliases(tenant: string, model: string): Promise<AliasRecord[]>;
  /** Points an alias (not `latest`, which always follows the newest version) at a version. */
  setAlias(tenant: string, model: string, alias: string, version: number): Promise<AliasRecord>;
  deleteAlias(tenant: string, model: string, alias: string): Promise<boolean>;
  /** The version an alias names (`latest` included), if any. */
  resolveAlias(tenant: string, model: string, alias: string): Promise<number | undefined>;
  /** Deletes a version unless an alias points at it: "aliased" then. */
  deleteVersion(tenant: string, model: string, version: number): Promise<"deleted" | "missing" | "aliased">;
  /** Sets how a model is served (null: the server's defaults); false when there is no such model. */
  setServing(tenant: string, model: string, serving: unknown): Promise<boolean>;
  /** Deletes a model and all its versions and aliases; returns the artifacts to remove. */
  deleteModel(tenant: string, model: string): Promise<string[] | undefined>;

  // idempotency
  getIdempotent(tenant: string, key: string, route: string): Promise<IdempotentResponse | undefined>;
  putIdempotent(tenant: string, key: string, route: string, response: IdempotentResponse): Promise<void>;

  close(): Promise<void>;
}
