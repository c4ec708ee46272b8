// A job's event stream read with fetch (EventSource cannot send an Authorization header), resumed
// with Last-Event-ID when the connection drops, until the job's terminal status event.
import type { Job, JobEvent } from "../api/schemas.js";
import { MaasApiError } from "./errors.js";
import type { Http } from "./http.js";
import { seg } from "./http.js";
import { parseSse } from "./sse.js";

export interface EventsOptions {
  /** Start after this event id (the `id` of the last event already seen). */
  lastEventId?: number;
  /** Stops the stream (the iterator then throws the signal's reason). */
  signal?: AbortSignal;
  /** Reconnections in a row, without an event in between, before giving up (default 5). */
  retries?: number;
  /** Wait before the first reconnection, doubled for each further one (default 250 ms). */
  retryDelayMs?: number;
}

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

/** Whether an event is a job's last one: a `status` event with a terminal status. */
export function isTerminalEvent(e: JobEvent): boolean {
  return e.type === "status" && TERMINAL_STATUSES.has((e.data as { status?: string } | null)?.status ?? "");
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });

/** An event as the API defines it: numeric id, type, JSON data (the raw text if it is not JSON). */
function toEvent(m: { id: string | undefined; event: string; data: string }): JobEvent {
  let data: unknown;
  try {
    data = JSON.parse(m.data);
  } catch {
    data = m.data;
  }
  return { id: Number(m.id), type: m.event, data };
}

/**
 * The events of job `jobId` after `lastEventId`, each once and in order, ending after the terminal
 * status event. A dropped connection (or one the server closes early, e.g. on restart) is resumed
 * with `Last-Event-ID`; when the job is already finished and nothing is left, the iterator ends.
 */
export async function* jobEvents(http: Http, jobId: string, o: EventsOptions = {}): AsyncGenerator<JobEvent> {
  const retries = o.retries ?? 5;
  const retryDelayMs = o.retryDelayMs ?? 250;
  let last = o.lastEventId;
  let failures = 0;
  let lastError: unknown;
  const path = `/api/v1/jobs/${seg(jobId)}/events`;
  for (;;) {
    o.signal?.throwIfAborted();
    // One connection, stopped when the consumer stops (return from a for-await) or the caller aborts.
    const connection = new AbortController();
    const stop = () => connection.abort(o.signal?.reason);
    o.signal?.addEventListener("abort", stop, { once: true });
    try {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (last !== undefined) headers["last-event-id"] = String(last);
      const response = await http.request("GET", path, { headers, signal: connection.signal });
      for await (const m of parseSse(response.body!)) {
        const event = toEvent(m);
        if (Number.isFinite(event.id)) {
          if (last !== undefined && event.id <= last) continue;
          last = event.id;
        }
        failures = 0;
        yield event;
        o.signal?.throwIfAborted();
        if (isTerminalEvent(event)) return;
      }
      lastError = undefined;
    } catch (e) {
      if (o.signal?.aborted) throw o.signal.reason ?? e;
      // The server refused the stream (no such job, bad key): no point in asking again.
      if (e instanceof MaasApiError && e.isClientError) throw e;
      lastError = e;
    } finally {
      o.signal?.removeEventListener("abort", stop);
      connection.abort();
    }
    // The stream ended before the terminal event. A finished job's stream replays everything after
    // `last` and closes: a clean end then means every event was seen.
    if (lastError === undefined) {
      try {
        const job = await http.json<Job>("GET", `/api/v1/jobs/${seg(jobId)}`, { signal: o.signal });
        if (TERMINAL_STATUSES.has(job.status)) return;
      } catch (e) {
        if (o.signal?.aborted || (e instanceof MaasApiError && e.isClientError)) throw e;
        lastError = e;
      }
    }
    if (++failures > retries) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new MaasApiError(0, "unavailable", `the event stream of job '${jobId}' ended ${failures} times before the job finished${why}`);
    }
    await sleep(retryDelayMs * 2 ** (failures - 1), o.signal);
  }
}
