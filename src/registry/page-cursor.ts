// Keyset pagination: a page continues after the position (creation time, insertion order) of the
// last row of the previous page, so rows added or deleted meanwhile never shift a page. The cursor a
// client sees is that position, opaque (base64url of JSON).
import { MaasError } from "../errors.js";
import type { Page } from "./store.js";

/** Where a listing stands: after the row created at `at` with insertion order `seq`. */
export interface Position {
  at: string;
  seq: number;
}

/** Before every row: ISO times sort after "", insertion orders start at 1. */
export const START: Position = { at: "", seq: 0 };

export function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify([p.at, p.seq])).toString("base64url");
}

/** The position a cursor names (the start when there is none); a malformed cursor is bad input. */
export function decodeCursor(cursor: string | null | undefined): Position {
  if (cursor === undefined || cursor === null || cursor === "") return START;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== "string" || !Number.isSafeInteger(value[1])) {
    throw new MaasError("bad_input", `invalid page cursor '${cursor}'`);
  }
  return { at: value[0], seq: value[1] };
}

/** A page size must be a positive integer. */
export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new MaasError("bad_input", `invalid page limit ${limit}: expected a positive integer`);
  return limit;
}

/**
 * Turns up to `limit + 1` rows read after a position into a page: the extra row only tells that
 * another page follows.
 */
export function toPage<R, T>(rows: R[], limit: number, toRecord: (row: R) => T, position: (row: R) => Position): Page<T> {
  const items = rows.slice(0, limit);
  const next = rows.length > limit ? encodeCursor(position(items[items.length - 1])) : null;
  return { items: items.map(toRecord), next };
}
