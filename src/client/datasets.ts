// /api/v1/datasets: upload a table (a file, streamed, or text/bytes), list, get, delete.
import type { Dataset, DatasetRows, Page } from "../api/schemas.js";
import type { Http } from "./http.js";
import { seg } from "./http.js";
import type { PageOptions } from "./pages.js";
import { paginate } from "./pages.js";

/** Where an upload's bytes come from: a file (its extension gives the type) or data in memory. */
export type DatasetSource =
  | { path: string; contentType?: string }
  /** `contentType` defaults to text/csv. */
  | { data: string | Uint8Array; contentType?: string };

export interface UploadOptions {
  /** Makes a retried upload return the first one's dataset instead of creating another. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export class DatasetsApi {
  constructor(private readonly http: Http) {}

  /**
   * Uploads a table as dataset `name`; the server parses it and answers its rows and column types.
   * @example await client.datasets.upload("wine", { path: "wine.csv" })
   */
  async upload(name: string, source: DatasetSource, o: UploadOptions = {}): Promise<Dataset> {
    let body: unknown = "data" in source ? source.data : undefined;
    let contentType = source.contentType ?? "text/csv";
    if ("path" in source) {
      // Loaded only for files: the rest of the client runs in browsers too (the dashboard).
      const files = await import("./files.js");
      body = await files.fileBody(source.path);
      contentType = source.contentType ?? files.tableContentType(source.path);
    }
    const headers: Record<string, string> = o.idempotencyKey ? { "idempotency-key": o.idempotencyKey } : {};
    return this.http.json<Dataset>("POST", "/api/v1/datasets", { query: { name }, body: body as RequestInit["body"], contentType, headers, signal: o.signal });
  }

  /** One page of datasets, oldest first. */
  list(page: PageOptions = {}): Promise<Page<Dataset>> {
    return this.http.json("GET", "/api/v1/datasets", { query: { ...page } });
  }

  /** Every dataset, fetching pages as the iteration needs them. */
  all(limit?: number): AsyncGenerator<Dataset> {
    return paginate((p) => this.list(p), limit);
  }

  /** A dataset by id or name. */
  get(idOrName: string): Promise<Dataset> {
    return this.http.json("GET", `/api/v1/datasets/${seg(idOrName)}`);
  }

  /** A window of a table's rows as written in the file (`offset` 0, `limit` 50 by default; at most 1,000). */
  rows(idOrName: string, window: { offset?: number; limit?: number } = {}): Promise<DatasetRows> {
    return this.http.json("GET", `/api/v1/datasets/${seg(idOrName)}/rows`, { query: { ...window } });
  }

  /** Deletes a dataset (a conflict while a queued or running job uses it). */
  delete(idOrName: string): Promise<void> {
    return this.http.empty("DELETE", `/api/v1/datasets/${seg(idOrName)}`);
  }
}
