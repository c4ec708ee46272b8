// What the client throws: a MaasError with the code the server answered (so callers handle a remote
// failure as they handle a local one) plus the HTTP status, or `unavailable` with status 0 when the
// server could not be reached at all.
import type { ErrorCode } from "../errors.js";
import { ERROR_STATUS, MaasError } from "../errors.js";
import { ErrorSchema } from "../api/schemas.js";

const CODES = new Set(Object.keys(ERROR_STATUS));

/** The code of an HTTP status, for replies without a readable error body. */
function codeOfStatus(status: number): ErrorCode {
  const exact = (Object.entries(ERROR_STATUS) as [ErrorCode, number][]).find(([, s]) => s === status);
  if (exact) return exact[0];
  return status >= 400 && status < 500 ? "bad_input" : status === 502 || status === 504 ? "unavailable" : "internal";
}

export class MaasApiError extends MaasError {
  constructor(
    /** The HTTP status; 0 when no response arrived (the server could not be reached). */
    readonly status: number,
    code: ErrorCode,
    message: string,
    details?: unknown,
  ) {
    super(code, message, details);
  }

  /** Whether the server refused the request as the caller's mistake (a 4xx status). */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/** The error a non-2xx response stands for: its `{error:{code,message,details}}` body, or its status. */
export async function errorFromResponse(response: Response, url: string): Promise<MaasApiError> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = ErrorSchema.safeParse(body);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new MaasApiError(response.status, CODES.has(code) ? (code as ErrorCode) : codeOfStatus(response.status), message, details);
  }
  const snippet = text.trim().slice(0, 200);
  const what = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
  return new MaasApiError(response.status, codeOfStatus(response.status), `${url} answered ${what}${snippet ? `: ${snippet}` : ""}`);
}

/** The error for a request that got no response: names the URL and the system's reason. */
export function networkError(e: unknown, url: string): MaasApiError {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
  return new MaasApiError(0, "unavailable", `cannot reach OpenMaaS at ${url} (${reason})`);
}
