// /api/v1/jobs: submit training, read, list, cancel, delete; follow a job's events or wait for its end.
import type { Job, JobCreated, JobEvent, JobRequestInput, Page } from "../api/schemas.js";
import type { Http } from "./http.js";
import { seg } from "./http.js";
import type { EventsOptions } from "./job-events.js";
import { TERMINAL_STATUSES, jobEvents } from "./job-events.js";
import type { PageOptions } from "./pages.js";
import { paginate } from "./pages.js";

export interface CreateJobOptions {
  /** Makes a retried submission return the first one's job instead of starting another. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface WaitOptions extends Omit<EventsOptions, "lastEventId"> {
  /** Called with each event while waiting (progress, status changes). */
  onEvent?: (e: JobEvent) => void;
}

export class JobsApi {
  constructor(private readonly http: Http) {}

  /**
   * Submits a training job; a successful job registers a new version of model `name`.
   * @example await client.jobs.create({ dataset: "wine", target: "quality", model: { kind: "mlp" }, name: "wine" })
   */
  create(request: JobRequestInput, o: CreateJobOptions = {}): Promise<JobCreated> {
    const headers: Record<string, string> = o.idempotencyKey ? { "idempotency-key": o.idempotencyKey } : {};
    return this.http.json("POST", "/api/v1/jobs", { json: request, headers, signal: o.signal });
  }

  get(id: string): Promise<Job> {
    return this.http.json("GET", `/api/v1/jobs/${seg(id)}`);
  }

  /** One page of jobs, oldest first. */
  list(page: PageOptions = {}): Promise<Page<Job>> {
    return this.http.json("GET", "/api/v1/jobs", { query: { ...page } });
  }

  /** Every job, fetching pages as the iteration needs them. */
  all(limit?: number): AsyncGenerator<Job> {
    return paginate((p) => this.list(p), limit);
  }

  /** Cancels a queued or running job; answers the job as it stands after the request. */
  cancel(id: string): Promise<Job> {
    return this.http.json("POST", `/api/v1/jobs/${seg(id)}/cancel`);
  }

  /** Deletes a finished job (a conflict while it is queued or running). */
  delete(id: string): Promise<void> {
    return this.http.empty("DELETE", `/api/v1/jobs/${seg(id)}`);
  }

  /**
   * The job's events ({id, type: status|epoch|done, data}) after `lastEventId`, ending after the
   * terminal status; a dropped connection is resumed with Last-Event-ID.
   * @example for await (const e of client.jobs.events(id)) if (e.type === "epoch") console.log(e.data);
   */
  events(id: string, o: EventsOptions = {}): AsyncGenerator<JobEvent> {
    return jobEvents(this.http, id, o);
  }

  /** Follows the job's events until it ends, then answers the finished job (whatever its status). */
  async wait(id: string, o: WaitOptions = {}): Promise<Job> {
    for await (const e of this.events(id, o)) o.onEvent?.(e);
    // The terminal event is stored with (or after) the job's final status; read it back.
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      const job = await this.get(id);
      if (TERMINAL_STATUSES.has(job.status)) return job;
      o.signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
