// The job queue: takes queued training jobs, runs them, and records what happened as job events.
// An interface, so the local queue (one child process per job, the default) and a BullMQ queue on
// Redis (scale-out, later) are interchangeable.
import type { EpochReport } from "../models/trainer.js";
import type { JobError, JobEvent } from "../registry/store.js";

export interface JobQueue {
  /** Schedules a job the store holds as `queued` (a hint: `start()` also finds queued jobs itself). */
  enqueue(jobId: string): void;
  /**
   * Cancels a queued job at once, or kills a running job's process; resolves once the job is stored
   * as `cancelled`. False when the job is neither queued nor running here (finished, unknown, or
   * already registering its model).
   */
  cancel(jobId: string): Promise<boolean>;
  /** Calls `listener` with each event of the job after it is stored; returns the unsubscribe function. */
  subscribe(jobId: string, listener: (e: JobEvent) => void): () => void;
  /** Recovers jobs a previous server left `running`, then starts scheduling. */
  start(): Promise<void>;
  /** Stops starting jobs, kills running ones and puts them back to `queued`; resolves when their processes are gone. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Event types and their data (JobEvent.type -> JobEvent.data)

/** Every status change; a terminal one (succeeded, failed, cancelled) is a job's last event. */
export type StatusEventData =
  | { status: "running"; attempt: number; maxAttempts: number }
  /** Back in the queue: after a server restart or a graceful shutdown. */
  | { status: "queued"; reason: string }
  | { status: "succeeded"; model: ModelRef }
  | { status: "failed"; error: JobError }
  | { status: "cancelled" };

/** The model version a job registered. */
export interface ModelRef {
  name: string;
  version: number;
}

/** The model is registered; followed by the final `status` event. */
export interface DoneEventData {
  model: ModelRef;
  metrics: Record<string, number>;
}

export interface JobEventData {
  status: StatusEventData;
  /** One per finished epoch, as the training loop reports it (also the job's `progress`). */
  epoch: EpochReport;
  done: DoneEventData;
}

export type JobEventType = keyof JobEventData;

/** Whether a `status` event ends the job. */
export function isTerminal(data: StatusEventData): boolean {
  return data.status === "succeeded" || data.status === "failed" || data.status === "cancelled";
}
