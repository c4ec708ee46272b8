// The typed client of the OpenMaaS HTTP API: one object per resource, global fetch underneath.
import { MaasError } from "../errors.js";
import { DatasetsApi } from "./datasets.js";
import { HealthApi } from "./health.js";
import type { Fetch } from "./http.js";
import { Http } from "./http.js";
import { JobsApi } from "./jobs.js";
import { KeysApi } from "./keys.js";
import { ModelsApi } from "./models.js";

export interface ClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** An API key (sent as `Authorization: Bearer <key>`); only the health probes work without one. */
  key?: string;
  /** The fetch to use (default: the global one). */
  fetch?: Fetch;
}

/**
 * A client of one OpenMaaS server. Every failure is a MaasApiError: the server's error code, message
 * and HTTP status, or code `unavailable` with status 0 when the server could not be reached.
 * @example
 * const client = new MaasClient({ url: "http://127.0.0.1:8080", key: process.env.MAAS_KEY });
 * await client.datasets.upload("wine", { path: "wine.csv" });
 * const { id } = await client.jobs.create({ dataset: "wine", target: "quality", model: { kind: "mlp" }, name: "wine" });
 * const job = await client.jobs.wait(id);
 * const { predictions } = await client.models.predict("wine", { instances: [{ alcohol: 12.1 }] });
 */
export class MaasClient {
  readonly health: HealthApi;
  readonly datasets: DatasetsApi;
  readonly jobs: JobsApi;
  readonly models: ModelsApi;
  readonly keys: KeysApi;
  readonly url: string;

  constructor(o: ClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(o.url);
    } catch {
      throw new MaasError("bad_input", `not a URL: '${o.url}'`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new MaasError("bad_input", `not an http(s) URL: '${o.url}'`);
    this.url = o.url.replace(/\/+$/, "");
    const http = new Http(this.url, o.key, o.fetch ?? globalThis.fetch);
    this.health = new HealthApi(http);
    this.datasets = new DatasetsApi(http);
    this.jobs = new JobsApi(http);
    this.models = new ModelsApi(http);
    this.keys = new KeysApi(http);
  }
}

export { MaasApiError } from "./errors.js";
export type { DatasetSource, UploadOptions } from "./datasets.js";
export type { CreateJobOptions, WaitOptions } from "./jobs.js";
export type { EventsOptions } from "./job-events.js";
export type { PageOptions } from "./pages.js";
export { collect } from "./pages.js";
export type * from "../api/schemas.js";
