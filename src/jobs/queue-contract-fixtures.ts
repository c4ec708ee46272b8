// Fixtures shared by the JobQueue contract suite (queue.contract.ts) and queue-specific tests: a real
// SQLite store in memory, a real blob store in a temporary folder, tiny CSV datasets and job specs.
import { createHash, randomUUID } from "node:crypto";
import { join } from "node:path";
import { Random } from "../engine/random.js";
import type { TabularSpecInput } from "../models/spec.js";
import { TabularSpecSchema } from "../models/spec.js";
import { FsBlobStore } from "../registry/fs-blob-store.js";
import { SqliteStore } from "../registry/sqlite-store.js";
import type { DatasetRecord, JobEvent, JobRecord, JobStatus } from "../registry/store.js";
import { queuedJob } from "../registry/store.js";
import type { JobQueue } from "./queue.js";

export const TENANT = "acme";

/** An MLP spec for the planted table with a fixed number of epochs. */
export function mlp(epochs: number, over: Partial<TabularSpecInput> = {}): TabularSpecInput {
  return { target: "y", model: { kind: "mlp", hidden: [4] }, training: { epochs, batchSize: 16, earlyStopping: false }, ...over };
}

/** Runs for minutes: it is still running whenever a test acts on it. */
export const endless = mlp(1_000_000);

/** y = 2 x1 - 3 x2 + 1 + noise, as CSV. */
function plantedCsv(rows: number): string {
  const rng = new Random(7);
  const lines = ["x1,x2,y"];
  for (let i = 0; i < rows; i++) {
    const [x1, x2] = [rng.uniform(), rng.uniform()];
    lines.push(`${x1},${x2},${2 * x1 - 3 * x2 + 1 + 0.01 * rng.normal()}`);
  }
  return lines.join("\n") + "\n";
}

/** One test's world: a store, a blob store and a work folder under `dir`. */
export class QueueHarness {
  private clock = Date.UTC(2024, 0, 1);

  private constructor(
    readonly store: SqliteStore,
    readonly blobs: FsBlobStore,
    readonly workDir: string,
  ) {}

  static async create(dir: string): Promise<QueueHarness> {
    const store = await SqliteStore.open(":memory:");
    await store.ensureTenant(TENANT);
    return new QueueHarness(store, new FsBlobStore(join(dir, "blobs")), join(dir, "work"));
  }

  /** Uploads a planted-regression CSV as a dataset. */
  async dataset(name = "houses.csv", rows = 40): Promise<DatasetRecord> {
    const id = randomUUID();
    const bytes = new TextEncoder().encode(plantedCsv(rows));
    const artifact = `datasets/${TENANT}/${id}.csv`;
    await this.blobs.put(artifact, bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const columns = ["x1", "x2", "y"].map((n) => ({ name: n, type: "number" }));
    return this.store.createDataset({ id, tenant: TENANT, name, format: "csv", rows, columns, sha256, bytes: bytes.length, artifact, createdAt: new Date().toISOString(), createdBy: "key-1" });
  }

  /** A queued job training model `houses`; each job is created a second after the previous one. */
  async job(ds: DatasetRecord | string, spec: TabularSpecInput, over: Partial<JobRecord> = {}): Promise<JobRecord> {
    this.clock += 1000;
    const dataset = typeof ds === "string" ? ds : ds.id;
    const job = queuedJob({ id: randomUUID(), tenant: TENANT, name: "houses", dataset, spec: TabularSpecSchema.parse(spec), createdBy: "key-1", createdAt: new Date(this.clock).toISOString() });
    return this.store.createJob({ ...job, ...over });
  }

  /** The job once it has one of `statuses` (polling the store). */
  async until(id: string, statuses: JobStatus[], timeoutMs = 30_000): Promise<JobRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const j = (await this.store.getJob(TENANT, id))!;
      if (statuses.includes(j.status)) return j;
      if (Date.now() > deadline) throw new Error(`job ${id} is still ${j.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  events(id: string): Promise<JobEvent[]> {
    return this.store.eventsAfter(id, 0);
  }

  /** Event types with status names, runs of epochs as one: ["status:running", "epoch", "done", "status:succeeded"]. */
  async timeline(id: string): Promise<string[]> {
    const names = (await this.events(id)).map((e) => (e.type === "status" ? `status:${(e.data as { status: string }).status}` : e.type));
    return names.filter((n, i) => !(n === "epoch" && names[i - 1] === "epoch"));
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Resolves with the job's first epoch event (subscribe before the job starts). */
export function firstEpoch(q: JobQueue, id: string): Promise<JobEvent> {
  return new Promise((resolve) => {
    const off = q.subscribe(id, (e) => {
      if (e.type === "epoch") {
        off();
        resolve(e);
      }
    });
  });
}
