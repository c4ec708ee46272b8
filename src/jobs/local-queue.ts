// The embedded job queue: runs each training job in its own child process, at most `concurrency` at
// once, oldest first. Only this (server) process writes to the metadata store; children report
// epochs and their result over IPC. The store is the queue's memory: jobs left `running` by a server
// that died are found and retried (or failed) on the next start.
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ERROR_STATUS } from "../errors.js";
import type { EpochReport } from "../models/trainer.js";
import type { BlobStore } from "../registry/blob-store.js";
import type { DatasetRecord, JobEvent, JobRecord, JobStatus, MetadataStore } from "../registry/store.js";
import { distEntry } from "../util/paths.js";
import type { JobEventData, JobEventType, JobQueue, StatusEventData } from "./queue.js";
import { TrainingProcess, describeExit } from "./training-process.js";

/** The part of the metadata store the queue uses. */
export type QueueStore = Pick<MetadataStore, "getDataset" | "jobsWithStatus" | "updateJob" | "appendEvent" | "completeJob">;

export interface LocalQueueOptions {
  store: QueueStore;
  blobs: BlobStore;
  /** Jobs training at once (one child process each). */
  concurrency: number;
  /** Folder for model files being written, one subfolder per running job. */
  workDir: string;
  /** Starts a job gets: a job found `running` after a restart with this many attempts fails. Default 2. */
  maxAttempts?: number;
  /** Milliseconds between scans of the store for jobs queued or cancel requests written by other code; off when unset or 0. */
  heartbeat?: number;
  /** Milliseconds a child gets between SIGTERM and SIGKILL (and to exit after its result). Default 5000. */
  killGraceMs?: number;
  /** The child's entry point. Default: the compiled train-child.js. */
  entry?: string;
  /** Node options for the children, e.g. ["--max-old-space-size=4096"]. Default none. */
  execArgv?: string[];
  /** Errors the queue cannot record on a job (the store itself failing). Default: written to stderr. */
  onError?: (e: unknown) => void;
}

/** One job this queue has started. */
interface Run {
  /** The job as claimed (status running, attempts counted). */
  job: JobRecord;
  /** Set by cancel() or stop(): the child is being killed. */
  interrupt?: "cancel" | "stop";
  process?: TrainingProcess;
  /** Recording the job's result has begun: a cancel comes too late. */
  finishing: boolean;
  /** The status the run left the job in. */
  final?: JobStatus;
  /** Progress writes, in the order the epochs came. */
  writes: Promise<void>;
  ended: Promise<void>;
}

type Listener = (e: JobEvent) => void;

export class LocalQueue implements JobQueue {
  private readonly store: QueueStore;
  private readonly blobs: BlobStore;
  private readonly concurrency: number;
  private readonly workDir: string;
  private readonly maxAttempts: number;
  private readonly heartbeat: number;
  private readonly killGraceMs: number;
  private readonly entry: string;
  private readonly execArgv: string[];
  private readonly onError: (e: unknown) => void;

  private readonly runs = new Map<string, Run>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private started = false;
  private pumpPending = false;
  private timer: NodeJS.Timeout | undefined;
  /** Scheduling, recovery and cancelling queued jobs take turns (see exclusive). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(o: LocalQueueOptions) {
    if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${o.concurrency}`);
    this.store = o.store;
    this.blobs = o.blobs;
    this.concurrency = o.concurrency;
    this.workDir = o.workDir;
    this.maxAttempts = o.maxAttempts ?? 2;
    this.heartbeat = o.heartbeat ?? 0;
    this.killGraceMs = o.killGraceMs ?? 5000;
    this.entry = o.entry ?? distEntry("jobs/train-child.js");
    this.execArgv = o.execArgv ?? [];
    this.onError = o.onError ?? ((e) => process.stderr.write(`openmaas job queue: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`));
  }

  // ---------------------------------------------------------------------------------------------
  // JobQueue

  enqueue(_jobId: string): void {
    this.schedule();
  }

  async cancel(jobId: string): Promise<boolean> {
    const queued = await this.exclusive(async () => {
      if (this.runs.has(jobId)) return "running";
      const job = (await this.store.jobsWithStatus("queued")).find((j) => j.id === jobId);
      if (!job) return false;
      await this.cancelled(jobId);
      return true;
    });
    if (queued !== "running") return queued;
    const run = this.runs.get(jobId);
    return run ? this.interrupt(run, "cancel") : false;
  }

  subscribe(jobId: string, listener: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.exclusive(() => this.recover());
    this.started = true;
    if (this.heartbeat > 0) this.timer = setInterval(() => void this.tick().catch(this.onError), this.heartbeat).unref();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.timer);
    await this.exclusive(async () => undefined); // a scheduling pass under way has launched its jobs
    await Promise.all([...this.runs.values()].map((run) => this.interrupt(run, "stop")));
  }

  /** The process id of a job's child while it runs (tests, diagnostics). */
  pidOf(jobId: string): number | undefined {
    return this.runs.get(jobId)?.process?.pid;
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduling and recovery

  /** Runs `fn` after every earlier exclusive section has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Starts queued jobs while there are free slots (one pass at a time; calls during a pass add one more). */
  private schedule(): void {
    if (!this.started || this.pumpPending) return;
    this.pumpPending = true;
    this.exclusive(async () => {
      this.pumpPending = false;
      await this.pump();
    }).catch(this.onError);
  }

  private async pump(): Promise<void> {
    if (!this.started || this.runs.size >= this.concurrency) return;
    for (const job of await this.store.jobsWithStatus("queued")) {
      if (!this.started || this.runs.size >= this.concurrency) return;
      if (this.runs.has(job.id)) continue;
      if (job.cancelRequested) await this.cancelled(job.id);
      else await this.launch(job);
    }
  }

  /** Marks a job running and starts it. */
  private async launch(queued: JobRecord): Promise<void> {
    const job = await this.store.updateJob(queued.id, { status: "running", attempts: queued.attempts + 1, startedAt: now(), progress: null, error: null });
    await this.emitStatus(job.id, { status: "running", attempt: job.attempts, maxAttempts: this.maxAttempts });
    const run: Run = { job, finishing: false, writes: Promise.resolve(), ended: Promise.resolve() };
    this.runs.set(job.id, run);
    run.ended = this.execute(run)
      .catch(this.onError)
      .finally(() => {
        this.runs.delete(job.id);
        this.schedule();
      });
  }

  /** Jobs a stopped server left `running`: retried while attempts remain, else failed. */
  private async recover(): Promise<void> {
    for (const job of await this.store.jobsWithStatus("running")) {
      if (this.runs.has(job.id)) continue;
      const attempt = `attempt ${job.attempts} of ${this.maxAttempts}`;
      if (job.cancelRequested) {
        await this.cancelled(job.id);
      } else if (job.attempts < this.maxAttempts) {
        await this.store.updateJob(job.id, { status: "queued", progress: null });
        await this.emitStatus(job.id, { status: "queued", reason: `the server stopped while the job was running (${attempt}); it will run again` });
      } else {
        await this.failed(job.id, "internal", `the server stopped while the job was running (${attempt})`);
      }
    }
  }

  /** Picks up work other code recorded in the store: new queued jobs, cancel requests. */
  private async tick(): Promise<void> {
    this.schedule();
    if (this.runs.size === 0) return;
    for (const job of await this.store.jobsWithStatus("running")) {
      const run = this.runs.get(job.id);
      if (run && job.cancelRequested) void this.interrupt(run, "cancel");
    }
  }

  /** Kills a run's child for a cancel or a shutdown; resolves when the run has ended, true if it ended cancelled. */
  private async interrupt(run: Run, reason: "cancel" | "stop"): Promise<boolean> {
    if (!run.finishing) {
      if (reason === "cancel" || run.interrupt === undefined) run.interrupt = reason;
      void run.process?.kill(this.killGraceMs);
    }
    await run.ended;
    return run.final === "cancelled";
  }

  // ---------------------------------------------------------------------------------------------
  // Running one job

  private async execute(run: Run): Promise<void> {
    const job = run.job;
    const dir = join(this.workDir, job.id);
    try {
      const dataset = await this.store.getDataset(job.tenant, job.dataset);
      if (!dataset) return await this.fail(run, "not_found", `the dataset '${job.dataset}' no longer exists`);
      if (!(await this.blobs.has(dataset.artifact))) return await this.fail(run, "not_found", `the file of dataset '${dataset.name}' is missing from the artifact store`);
      if (!existsSync(this.entry)) return await this.fail(run, "internal", `the training program ${this.entry} is missing (run npm run build)`);
      const datasetPath = await this.blobs.localPath(dataset.artifact);
      await mkdir(dir, { recursive: true });
      const outPath = join(dir, "model.onnx");
      if (run.interrupt) return await this.interrupted(run);

      const request = { jobId: job.id, spec: job.spec, datasetPath, datasetName: dataset.name, outPath };
      run.process = TrainingProcess.start(this.entry, request, (report) => this.progress(run, report), this.execArgv);
      const outcome = await run.process.outcome;
      // A cancel discards whatever the child did; a shutdown only the work it killed.
      if (run.interrupt === "cancel" || (run.interrupt === "stop" && outcome.kind === "exit")) return await this.interrupted(run);
      run.finishing = true;
      await run.writes;
      if (outcome.kind === "done") await this.register(run, dataset, outPath, outcome.card);
      else if (outcome.kind === "error") await this.fail(run, outcome.code in ERROR_STATUS ? outcome.code : "internal", outcome.message);
      else await this.fail(run, "internal", describeExit(outcome));
    } catch (e) {
      run.finishing = true;
      if (run.final === undefined) await this.fail(run, "internal", `the job could not run: ${e instanceof Error ? e.message : String(e)}`);
      else throw e;
    } finally {
      await run.process?.settle(this.killGraceMs);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Records an epoch: the job's progress and an `epoch` event, in the order epochs come. */
  private progress(run: Run, report: EpochReport): void {
    if (run.interrupt || run.finishing) return;
    run.writes = run.writes
      .then(async () => {
        await this.store.updateJob(run.job.id, { progress: report });
        await this.emit(run.job.id, "epoch", report);
      })
      .catch(this.onError);
  }

  /** Stores the model file and registers the version (once per job, however often this runs). */
  private async register(run: Run, dataset: DatasetRecord, outPath: string, card: { metrics: Record<string, number> }): Promise<void> {
    const job = run.job;
    const { sha256, bytes } = await digestFile(outPath);
    const artifact = `models/${job.tenant}/${job.name}/${job.id}.onnx`;
    await this.blobs.putFile(artifact, outPath);
    const newVersion = { tenant: job.tenant, model: job.name, artifact, sha256, bytes, source: "trained" as const, card, job: job.id, dataset: dataset.id, createdBy: job.createdBy };
    const version = await this.store.completeJob(job.id, newVersion, card.metrics);
    run.final = "succeeded";
    const model = { name: job.name, version: version.version };
    await this.emit(job.id, "done", { model, metrics: card.metrics });
    await this.emitStatus(job.id, { status: "succeeded", model });
  }

  private async fail(run: Run, code: string, message: string): Promise<void> {
    await run.writes;
    run.final = "failed";
    await this.failed(run.job.id, code, message);
  }

  /** A cancelled run ends cancelled; a stopped one goes back to the queue, its attempt not counted. */
  private async interrupted(run: Run): Promise<void> {
    await run.writes;
    if (run.interrupt === "cancel") {
      run.final = "cancelled";
      return this.cancelled(run.job.id);
    }
    run.final = "queued";
    await this.store.updateJob(run.job.id, { status: "queued", attempts: run.job.attempts - 1, startedAt: null, progress: null });
    await this.emitStatus(run.job.id, { status: "queued", reason: "the server is shutting down; the job will run again when it restarts" });
  }

  // ---------------------------------------------------------------------------------------------
  // Terminal transitions and events

  private async failed(jobId: string, code: string, message: string): Promise<void> {
    await this.store.updateJob(jobId, { status: "failed", error: { code, message }, finishedAt: now() });
    await this.emitStatus(jobId, { status: "failed", error: { code, message } });
  }

  private async cancelled(jobId: string): Promise<void> {
    await this.store.updateJob(jobId, { status: "cancelled", cancelRequested: true, finishedAt: now() });
    await this.emitStatus(jobId, { status: "cancelled" });
  }

  private emitStatus(jobId: string, data: StatusEventData): Promise<void> {
    return this.emit(jobId, "status", data);
  }

  /** Stores an event, then hands it to the job's subscribers. */
  private async emit<T extends JobEventType>(jobId: string, type: T, data: JobEventData[T]): Promise<void> {
    const event = await this.store.appendEvent(jobId, type, data);
    for (const listener of [...(this.listeners.get(jobId) ?? [])]) {
      try {
        listener(event);
      } catch (e) {
        this.onError(e);
      }
    }
  }
}

function now(): string {
  return new Date().toISOString();
}

/** SHA-256 (hex) and size of a file, streamed. */
async function digestFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest("hex"), bytes };
}
