// One HTTP request to the API: the base URL and key applied, failures turned into MaasApiErrors.
import { errorFromResponse, networkError } from "./errors.js";

export type Fetch = typeof globalThis.fetch;

export interface RequestOptions {
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | undefined>;
  /** A JSON body (sets Content-Type). */
  json?: unknown;
  /** A raw body, with its `contentType`. */
  body?: RequestInit["body"];
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class Http {
  private readonly base: string;

  constructor(
    url: string,
    private readonly key: string | undefined,
    private readonly fetchImpl: Fetch,
  ) {
    this.base = url.replace(/\/+$/, "");
  }

  /** The absolute URL of `path` (which starts with '/') with `query`. */
  url(path: string, query: RequestOptions["query"] = {}): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ""}`;
  }

  /** Sends a request; resolves with a 2xx response, throws MaasApiError otherwise. */
  async request(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, o.query);
    const headers: Record<string, string> = { ...o.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    let body = o.body;
    if (o.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(o.json);
    } else if (o.contentType) headers["content-type"] = o.contentType;
    // A streamed body must say so (`duplex: "half"`: the response is read after the request is sent).
    const streamed = body !== undefined && typeof body === "object" && body !== null && "getReader" in body;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body, signal: o.signal, ...(streamed ? { duplex: "half" } : {}) } as RequestInit);
    } catch (e) {
      if (o.signal?.aborted) throw o.signal.reason ?? e;
      throw networkError(e, url);
    }
    if (!response.ok) throw await errorFromResponse(response, url);
    return response;
  }

  /** A request whose response is JSON. */
  async json<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, o);
    return (await response.json()) as T;
  }

  /** A request whose response has no body worth reading (204). */
  async empty(method: string, path: string, o: RequestOptions = {}): Promise<void> {
    const response = await this.request(method, path, o);
    await response.body?.cancel();
  }
}

/** A path segment with anything special escaped. */
export const seg = (s: string | number): string => encodeURIComponent(String(s));
