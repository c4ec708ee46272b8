// One error type with a closed set of codes, shared by every layer. A MaasError is a user's mistake
// or a known condition, with a message a person can act on; anything else is an internal error.

/** Error codes, each with the HTTP status the service answers it with. */
export const ERROR_STATUS = {
  bad_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class MaasError extends Error {
  override readonly name = "MaasError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** A bad-input error about a place in a file: "FILE, row R, column 'C': MESSAGE". */
export function inputError(message: string, where: { file?: string; row?: number; column?: string } = {}): MaasError {
  const place = [where.file, where.row !== undefined ? `row ${where.row}` : undefined, where.column !== undefined ? `column '${where.column}'` : undefined]
    .filter(Boolean)
    .join(", ");
  return new MaasError("bad_input", place ? `${place}: ${message}` : message);
}

export function isMaasError(e: unknown): e is MaasError {
  return e instanceof MaasError;
}
