// The part of autocannon 9 that bench/serve.ts uses (the package ships no types, and @types/autocannon
// is not installed).
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  export interface Options {
    url: string;
    method?: "GET" | "POST";
    headers?: Record<string, string>;
    body?: string;
    /** Concurrent connections, each with one request in flight (pipelining 1). */
    connections?: number;
    /** Seconds. */
    duration?: number;
  }

  export interface Result {
    /** Seconds the run took. */
    duration: number;
    /** Socket errors and timeouts. */
    errors: number;
    timeouts: number;
    non2xx: number;
    requests: { total: number };
  }

  /** A running load: emits `response` (client, statusCode, bytes, milliseconds) per response. */
  export interface Instance extends EventEmitter, PromiseLike<Result> {
    on(event: "response", listener: (client: unknown, statusCode: number, bytes: number, ms: number) => void): this;
  }

  export default function autocannon(options: Options): Instance;
}
