// The one contract every MetadataStore passes (run by sqlite-store.test.ts, and by any future store):
// tenants and keys, datasets, idempotency, tenant isolation and pagination here; jobs and events in
// store-jobs.contract.ts; models, versions and aliases in store-models.contract.ts.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ACME, OTHER, allPages, datasetRecord, isIsoTime, jobRecord, keyRecord, newVersion, rejectsWith } from "./store-contract-fixtures.js";
import { jobsContract } from "./store-jobs.contract.js";
import { modelsContract } from "./store-models.contract.js";
import type { JobStatus, MetadataStore } from "./store.js";

/**
 * Registers the contract's tests for a store; `open` returns a new, empty store for each test.
 * @example storeContract("sqlite :memory:", () => SqliteStore.open(":memory:"));
 */
export function storeContract(name: string, open: () => Promise<MetadataStore>): void {
  describe(`MetadataStore contract: ${name}`, () => {
    let current: MetadataStore | undefined;
    const store = (): MetadataStore => current!;

    beforeEach(async () => {
      current = await open();
      await current.ensureTenant(ACME);
      await current.ensureTenant(OTHER);
    });

    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    tenantsAndKeys(store);
    datasets(store);
    jobsContract(store);
    modelsContract(store);
    idempotency(store);
    isolation(store);
    pagination(store);
  });
}

function tenantsAndKeys(store: () => MetadataStore): void {
  describe("tenants and keys", () => {
    test("ensureTenant creates a tenant once per name", async () => {
      const a = await store().ensureTenant("zeta");
      expect(a.name).toBe("zeta");
      expect(isIsoTime(a.createdAt)).toBe(true);
      expect(await store().ensureTenant("zeta")).toEqual(a);
      expect((await store().ensureTenant("eta")).id).not.toBe(a.id);
    });

    test("createKey stores a key that findKey returns whatever its tenant", async () => {
      const key = keyRecord(OTHER, { scopes: ["predict"], platformAdmin: false });
      const created = await store().createKey(key);
      expect(created).toEqual({ ...key, createdAt: created.createdAt, revokedAt: null });
      expect(isIsoTime(created.createdAt)).toBe(true);
      expect(await store().findKey(key.id)).toEqual(created);
      expect(await store().findKey("nope")).toBeUndefined();
      await rejectsWith(store().createKey({ ...key, tenant: ACME }), "conflict");
    });

    test("revokeKey revokes only the tenant's own key; findKey still returns it", async () => {
      const key = await store().createKey(keyRecord(ACME));
      expect(await store().revokeKey(OTHER, key.id)).toBe(false);
      expect((await store().findKey(key.id))!.revokedAt).toBeNull();
      expect(await store().revokeKey(ACME, key.id)).toBe(true);
      const revoked = await store().findKey(key.id);
      expect(isIsoTime(revoked!.revokedAt)).toBe(true);
      expect(await store().revokeKey(ACME, key.id)).toBe(true);
      expect((await store().findKey(key.id))!.revokedAt).toBe(revoked!.revokedAt);
      expect(await store().revokeKey(ACME, "nope")).toBe(false);
    });

    test("hasPlatformAdmin counts unrevoked platform-admin keys only", async () => {
      expect(await store().hasPlatformAdmin()).toBe(false);
      await store().createKey(keyRecord(ACME, { scopes: ["admin"] }));
      expect(await store().hasPlatformAdmin()).toBe(false);
      const admin = await store().ensureTenant("default").then(() => store().createKey(keyRecord("default", { scopes: ["admin"], platformAdmin: true })));
      expect(await store().hasPlatformAdmin()).toBe(true);
      await store().revokeKey("default", admin.id);
      expect(await store().hasPlatformAdmin()).toBe(false);
    });

    test("listKeys pages through the tenant's keys in creation order", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store().createKey(keyRecord(ACME))).id);
      await store().createKey(keyRecord(OTHER));
      const pages = await allPages((p) => store().listKeys(ACME, p), 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat().map((k) => k.id)).toEqual(ids);
    });
  });
}

function datasets(store: () => MetadataStore): void {
  describe("datasets", () => {
    test("createDataset stores a dataset that getDataset finds by id or name", async () => {
      const d = datasetRecord(ACME);
      expect(await store().createDataset(d)).toEqual(d);
      expect(await store().getDataset(ACME, d.id)).toEqual(d);
      expect(await store().getDataset(ACME, "iris")).toEqual(d);
      expect(await store().getDataset(ACME, "nope")).toBeUndefined();
      await rejectsWith(store().createDataset({ ...d, name: "again" }), "conflict");
    });

    test("a name finds the newest dataset with it; an id wins over a name", async () => {
      await store().createDataset(datasetRecord(ACME, { name: "wine" }));
      const newer = await store().createDataset(datasetRecord(ACME, { name: "wine" }));
      expect((await store().getDataset(ACME, "wine"))!.id).toBe(newer.id);
      const confusing = await store().createDataset(datasetRecord(ACME, { name: newer.id }));
      expect((await store().getDataset(ACME, newer.id))!.id).toBe(newer.id);
      expect((await store().getDataset(ACME, confusing.id))!.id).toBe(confusing.id);
    });

    test("listDatasets pages through the tenant's datasets in creation order", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await store().createDataset(datasetRecord(ACME, { name: `d${i}` }))).id);
      await store().createDataset(datasetRecord(OTHER));
      const pages = await allPages((p) => store().listDatasets(ACME, p), 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
      expect(pages.flat().map((d) => d.id)).toEqual(ids);
    });

    test("deleteDataset refuses while a queued or running job uses it", async () => {
      const d = await store().createDataset(datasetRecord(ACME));
      const job = await store().createJob(jobRecord(ACME, d.id));
      for (const status of ["queued", "running"] as JobStatus[]) {
        await store().updateJob(job.id, { status });
        expect(await store().deleteDataset(ACME, d.id)).toBe("in-use");
        expect(await store().getDataset(ACME, d.id)).toBeDefined();
      }
      await store().updateJob(job.id, { status: "failed" });
      expect(await store().deleteDataset(ACME, d.id)).toBe("deleted");
      expect(await store().getDataset(ACME, d.id)).toBeUndefined();
      expect(await store().deleteDataset(ACME, d.id)).toBe("missing");
    });

    test("finished jobs do not hold a dataset", async () => {
      const d = await store().createDataset(datasetRecord(ACME));
      for (const status of ["succeeded", "failed", "cancelled"] as JobStatus[]) await store().createJob(jobRecord(ACME, d.id, { status }));
      expect(await store().deleteDataset(ACME, d.id)).toBe("deleted");
    });
  });
}

function idempotency(store: () => MetadataStore): void {
  describe("idempotency", () => {
    test("a response is remembered per tenant, key and route; the first one stands", async () => {
      expect(await store().getIdempotent(ACME, "k1", "POST /api/v1/jobs")).toBeUndefined();
      const response = { status: 202, body: { id: "job-1", status: "queued" } };
      await store().putIdempotent(ACME, "k1", "POST /api/v1/jobs", response);
      expect(await store().getIdempotent(ACME, "k1", "POST /api/v1/jobs")).toEqual(response);
      expect(await store().getIdempotent(OTHER, "k1", "POST /api/v1/jobs")).toBeUndefined();
      expect(await store().getIdempotent(ACME, "k1", "POST /api/v1/datasets")).toBeUndefined();
      expect(await store().getIdempotent(ACME, "k2", "POST /api/v1/jobs")).toBeUndefined();
      await store().putIdempotent(ACME, "k1", "POST /api/v1/jobs", { status: 202, body: { id: "job-2" } });
      expect(await store().getIdempotent(ACME, "k1", "POST /api/v1/jobs")).toEqual(response);
      const theirs = { status: 201, body: { id: "theirs" } };
      await store().putIdempotent(OTHER, "k1", "POST /api/v1/jobs", theirs);
      expect(await store().getIdempotent(OTHER, "k1", "POST /api/v1/jobs")).toEqual(theirs);
    });
  });
}

function isolation(store: () => MetadataStore): void {
  test("another tenant sees, changes and deletes none of a tenant's records", async () => {
    const s = store();
    const key = await s.createKey(keyRecord(ACME));
    const d = await s.createDataset(datasetRecord(ACME));
    const job = await s.createJob(jobRecord(ACME, d.id, { status: "succeeded" }));
    const v = await s.createVersion(newVersion(ACME, "wine"));
    await s.setAlias(ACME, "wine", "production", 1);
    await s.putIdempotent(ACME, "k", "route", { status: 201, body: {} });

    expect(await s.listKeys(OTHER, { limit: 10 })).toEqual({ items: [], next: null });
    expect(await s.revokeKey(OTHER, key.id)).toBe(false);
    expect(await s.getDataset(OTHER, d.id)).toBeUndefined();
    expect(await s.getDataset(OTHER, d.name)).toBeUndefined();
    expect(await s.listDatasets(OTHER, { limit: 10 })).toEqual({ items: [], next: null });
    expect(await s.deleteDataset(OTHER, d.id)).toBe("missing");
    expect(await s.getJob(OTHER, job.id)).toBeUndefined();
    expect(await s.listJobs(OTHER, { limit: 10 })).toEqual({ items: [], next: null });
    expect(await s.deleteJob(OTHER, job.id)).toBe(false);
    expect(await s.getModel(OTHER, "wine")).toBeUndefined();
    expect(await s.listModels(OTHER, { limit: 10 })).toEqual({ items: [], next: null });
    expect(await s.getVersion(OTHER, "wine", 1)).toBeUndefined();
    expect(await s.listVersions(OTHER, "wine", { limit: 10 })).toEqual({ items: [], next: null });
    expect(await s.listAliases(OTHER, "wine")).toEqual([]);
    expect(await s.resolveAlias(OTHER, "wine", "production")).toBeUndefined();
    expect(await s.resolveAlias(OTHER, "wine", "latest")).toBeUndefined();
    await rejectsWith(s.setAlias(OTHER, "wine", "production", 1), "not_found");
    expect(await s.deleteAlias(OTHER, "wine", "production")).toBe(false);
    expect(await s.deleteVersion(OTHER, "wine", 1)).toBe("missing");
    expect(await s.deleteModel(OTHER, "wine")).toBeUndefined();
    expect(await s.getIdempotent(OTHER, "k", "route")).toBeUndefined();

    expect((await s.findKey(key.id))!.revokedAt).toBeNull();
    expect(await s.getDataset(ACME, d.id)).toEqual(d);
    expect(await s.getJob(ACME, job.id)).toEqual(job);
    expect(await s.getVersion(ACME, "wine", 1)).toEqual(v);
    expect(await s.resolveAlias(ACME, "wine", "production")).toBe(1);
    expect(await s.getIdempotent(ACME, "k", "route")).toEqual({ status: 201, body: {} });
  });
}

function pagination(store: () => MetadataStore): void {
  describe("pagination", () => {
    test("the last page has next null, also when it is full", async () => {
      for (let i = 0; i < 4; i++) await store().createDataset(datasetRecord(ACME));
      const pages = await allPages((p) => store().listDatasets(ACME, p), 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2]);
      expect(await store().listDatasets(ACME, { limit: 10 })).toMatchObject({ next: null });
    });

    test("a page continues after the last row seen, even if that row was deleted", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store().createDataset(datasetRecord(ACME))).id);
      const first = await store().listDatasets(ACME, { limit: 2 });
      await store().deleteDataset(ACME, ids[0]);
      await store().deleteDataset(ACME, ids[1]);
      const second = await store().listDatasets(ACME, { limit: 2, cursor: first.next });
      expect(second.items.map((d) => d.id)).toEqual(ids.slice(2, 4));
    });

    test("a malformed cursor or limit is bad_input", async () => {
      await rejectsWith(store().listJobs(ACME, { limit: 2, cursor: "not a cursor" }), "bad_input");
      await rejectsWith(store().listModels(ACME, { limit: 0 }), "bad_input");
      await rejectsWith(store().listKeys(ACME, { limit: 1.5 }), "bad_input");
    });
  });
}
