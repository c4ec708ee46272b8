// Conversions between records and SQLite values, and SQLite constraint errors as MaasErrors.
import { MaasError } from "../errors.js";

/** A JSON column's text; `undefined` is stored as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson<T = unknown>(text: string): T {
  return JSON.parse(text) as T;
}

/** SQLite has no booleans: 1 or 0. */
export function toFlag(value: boolean): number {
  return value ? 1 : 0;
}

export function now(): string {
  return new Date().toISOString();
}

/** What to say when an insert breaks a uniqueness or a reference constraint. */
export interface ConstraintMessages {
  duplicate: string;
  missingParent: string;
}

/** Rethrows a uniqueness violation as "conflict" and a broken reference as "not_found". */
export function rethrowConstraint(e: unknown, messages: ConstraintMessages): never {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE") throw new MaasError("conflict", messages.duplicate);
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") throw new MaasError("not_found", messages.missingParent);
  throw e;
}
