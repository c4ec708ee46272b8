// Records and helpers shared by the MetadataStore contract suites (store*.contract.ts).
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { ApiKeyRecord, DatasetRecord, JobRecord, MetadataStore, NewVersion, Page, PageRequest } from "./store.js";
import { queuedJob } from "./store.js";

/** The tenant the tests act as, and the one that must never see its records. */
export const ACME = "acme";
export const OTHER = "other";

/** The store under test; set by the contract's beforeEach. */
export type StoreRef = () => MetadataStore;

/** The n-th second of 2024-01-01, as an ISO timestamp. */
export function second(n: number): string {
  return new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString();
}

export function isIsoTime(s: string | null): boolean {
  return typeof s === "string" && new Date(s).toISOString() === s;
}

export function keyRecord(tenant: string, over: Partial<ApiKeyRecord> = {}): Omit<ApiKeyRecord, "createdAt" | "revokedAt"> {
  return { id: randomUUID().slice(0, 8), tenant, name: "ci", scopes: ["read", "write"], digest: "d".repeat(64), platformAdmin: false, ...over };
}

export function datasetRecord(tenant: string, over: Partial<DatasetRecord> = {}): DatasetRecord {
  const id = over.id ?? randomUUID();
  return {
    id,
    tenant,
    name: "iris",
    format: "csv",
    rows: 150,
    columns: [
      { name: "petal_length", type: "number" },
      { name: "species", type: "category" },
    ],
    sha256: "a".repeat(64),
    bytes: 4551,
    artifact: `datasets/${tenant}/${id}.csv`,
    createdAt: new Date().toISOString(),
    createdBy: "key-1",
    ...over,
  };
}

export function jobRecord(tenant: string, dataset: string, over: Partial<JobRecord> = {}): JobRecord {
  const spec = { target: "quality", model: { kind: "mlp", hidden: [16, 8] }, training: { epochs: 3 } };
  return { ...queuedJob({ id: randomUUID(), tenant, name: "wine", dataset, spec, createdBy: "key-1" }), ...over };
}

export function newVersion(tenant: string, model: string, over: Partial<NewVersion> = {}): NewVersion {
  return {
    tenant,
    model,
    artifact: `models/${tenant}/${model}/${randomUUID()}.onnx`,
    sha256: "b".repeat(64),
    bytes: 2048,
    source: "imported",
    card: { task: "regression", features: [{ name: "x", type: "number" }] },
    job: null,
    dataset: null,
    createdBy: "key-1",
    ...over,
  };
}

/** Every page of a listing, following `next` until it is null. */
export async function allPages<T>(list: (page: PageRequest) => Promise<Page<T>>, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await list({ limit, cursor });
    pages.push(page.items);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    if (page.next !== null) expect(page.items.length).toBe(limit);
    cursor = page.next;
    if (pages.length > 100) throw new Error("pagination does not end");
  } while (cursor !== null);
  return pages;
}

/** Asserts that a promise rejects with a MaasError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: "MaasError", code });
}
