import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, test } from "vitest";
import { MIGRATIONS, applyMigrations } from "./migrations.js";
import { SqliteStore } from "./sqlite-store.js";
import { datasetRecord, jobRecord, keyRecord, newVersion } from "./store-contract-fixtures.js";
import { storeContract } from "./store.contract.js";

const dir = await mkdtemp(join(tmpdir(), "maas-sqlite-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = (): string => join(dir, `store-${++files}.db`);

storeContract("SqliteStore :memory:", () => SqliteStore.open(":memory:"));
storeContract("SqliteStore file", () => SqliteStore.open(freshFile()));

describe("SqliteStore", () => {
  test("opens a file in WAL mode with foreign keys and a busy timeout", async () => {
    const path = freshFile();
    const store = await SqliteStore.open(path);
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    // foreign_keys and busy_timeout are per connection: check them on the store's own.
    const again = await SqliteStore.open(path);
    const pragmas = (again as unknown as { db: Database.Database }).db;
    expect(pragmas.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(pragmas.pragma("busy_timeout", { simple: true })).toBeGreaterThan(0);
    await again.close();
  });

  test("reopening a database applies no migration twice", async () => {
    const path = freshFile();
    const first = await SqliteStore.open(path);
    expect(first.migrated).toEqual(MIGRATIONS.map((_, i) => i + 1));
    await first.close();
    const second = await SqliteStore.open(path);
    expect(second.migrated).toEqual([]);
    await second.close();
    const db = new Database(path);
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all()).toEqual(MIGRATIONS.map((_, i) => i + 1));
    db.close();
  });

  test("an older database gets only the migrations it lacks", () => {
    const db = new Database(":memory:");
    expect(applyMigrations(db, MIGRATIONS.slice(0, 2))).toEqual([1, 2]);
    expect(applyMigrations(db)).toEqual(MIGRATIONS.slice(2).map((_, i) => i + 3));
    expect(applyMigrations(db)).toEqual([]);
    db.close();
  });

  test("a database newer than the software is refused", () => {
    const db = new Database(":memory:");
    applyMigrations(db);
    expect(() => applyMigrations(db, MIGRATIONS.slice(0, 1))).toThrow(/newer than this software/);
    db.close();
  });

  test("a failed migration applies nothing", () => {
    const db = new Database(":memory:");
    expect(() => applyMigrations(db, [MIGRATIONS[0], "CREATE TABLE broken (;"])).toThrow();
    expect(db.prepare("SELECT COUNT(*) FROM schema_migrations").pluck().get()).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'tenants'").get()).toBeUndefined();
    db.close();
  });

  test("data survives closing and reopening", async () => {
    const path = freshFile();
    const store = await SqliteStore.open(path);
    await store.ensureTenant("acme");
    const key = await store.createKey(keyRecord("acme"));
    const d = await store.createDataset(datasetRecord("acme"));
    const job = await store.createJob(jobRecord("acme", d.id, { status: "running" }));
    await store.appendEvent(job.id, "progress", { epoch: 1 });
    const v = await store.completeJob(job.id, newVersion("acme", "wine", { source: "trained", job: job.id }), { mse: 1 });
    await store.setAlias("acme", "wine", "production", 1);
    await store.close();

    const reopened = await SqliteStore.open(path);
    expect((await reopened.ensureTenant("acme")).name).toBe("acme");
    expect(await reopened.findKey(key.id)).toEqual(key);
    expect(await reopened.getDataset("acme", d.id)).toEqual(d);
    expect(await reopened.getJob("acme", job.id)).toMatchObject({ status: "succeeded", model: { name: "wine", version: 1 } });
    expect((await reopened.eventsAfter(job.id, 0)).map((e) => e.seq)).toEqual([1]);
    expect((await reopened.appendEvent(job.id, "done", null)).seq).toBe(2);
    expect(await reopened.getVersion("acme", "wine", 1)).toEqual(v);
    expect(await reopened.resolveAlias("acme", "wine", "production")).toBe(1);
    await reopened.close();
  });

  test("the schema itself allows one version per job", async () => {
    const store = await SqliteStore.open(":memory:");
    await store.ensureTenant("acme");
    await store.createVersion(newVersion("acme", "wine", { job: "job-1" }));
    await expect(store.createVersion(newVersion("acme", "wine", { job: "job-1" }))).rejects.toMatchObject({ code: "conflict" });
    expect((await store.getModel("acme", "wine"))!.latestVersion).toBe(1);
    await store.close();
  });

  test("records of a tenant that does not exist are refused", async () => {
    const store = await SqliteStore.open(":memory:");
    await expect(store.createKey(keyRecord("ghost"))).rejects.toMatchObject({ code: "not_found" });
    await expect(store.createDataset(datasetRecord("ghost"))).rejects.toMatchObject({ code: "not_found" });
    await store.close();
  });
});
