// The JobQueue contract: what every queue implementation must do, run by each implementation's test
// file with a factory. Jobs train for real, on tiny tables.
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, test } from "vitest";
import type { JobEvent } from "../registry/store.js";
import type { JobQueue } from "./queue.js";
import { QueueHarness, TENANT, endless, firstEpoch, mlp } from "./queue-contract-fixtures.js";

export interface QueueOptions {
  concurrency: number;
  maxAttempts?: number;
}

/** Makes the queue under test on the harness's store, blob store and work folder. */
export type QueueFactory = (h: QueueHarness, o: QueueOptions) => JobQueue;

export function queueContract(name: string, make: QueueFactory): void {
  describe(`${name}: JobQueue contract`, () => {
    let root: string;
    let h: QueueHarness;
    let queues: JobQueue[] = [];
    const queue = (o: Partial<QueueOptions> = {}): JobQueue => {
      const q = make(h, { concurrency: 1, ...o });
      queues.push(q);
      return q;
    };

    beforeEach(async () => {
      root ??= await mkdtemp(join(tmpdir(), "maas-queue-"));
      h = await QueueHarness.create(join(root, randomUUID()));
    });
    afterEach(async () => {
      for (const q of queues) await q.stop();
      queues = [];
      await h.close();
    });
    afterAll(() => rm(root, { recursive: true, force: true }));

    test("a job trains, registers version 1 with its card, and streams its events in order", async () => {
      const ds = await h.dataset();
      const j = await h.job(ds, mlp(4));
      const q = queue();
      const live: JobEvent[] = [];
      q.subscribe(j.id, (e) => live.push(e));
      await q.start();
      const done = await h.until(j.id, ["succeeded", "failed"]);

      expect(done).toMatchObject({ status: "succeeded", model: { name: "houses", version: 1 }, attempts: 1, error: null });
      expect(done.progress).toMatchObject({ epoch: 4, epochs: 4 });
      const v = (await h.store.getVersion(TENANT, "houses", 1))!;
      expect(v).toMatchObject({ source: "trained", job: j.id, dataset: ds.id, createdBy: "key-1", artifact: `models/${TENANT}/houses/${j.id}.onnx` });
      expect(v.card).toMatchObject({ task: "regression", target: "y", dataset: { source: "houses.csv", rows: 40 }, training: { epochs: 4 } });
      expect(done.metrics).toEqual((v.card as { metrics: unknown }).metrics);
      const file = await h.blobs.get(v.artifact);
      expect(v.bytes).toBe(file.length);
      expect(v.sha256).toBe(createHash("sha256").update(file).digest("hex"));

      const stored = await h.events(j.id);
      expect(stored.map((e) => e.type)).toEqual(["status", "epoch", "epoch", "epoch", "epoch", "done", "status"]);
      expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(stored[0].data).toEqual({ status: "running", attempt: 1, maxAttempts: 2 });
      expect(stored.slice(1, 5).map((e) => (e.data as { epoch: number }).epoch)).toEqual([1, 2, 3, 4]);
      expect(stored[5].data).toEqual({ model: { name: "houses", version: 1 }, metrics: done.metrics });
      expect(stored[6].data).toEqual({ status: "succeeded", model: { name: "houses", version: 1 } });
      // Subscribers saw the stored events, in order; the work folder is cleaned up.
      await new Promise((r) => setTimeout(r, 50));
      expect(live).toEqual(stored);
      expect(await readdir(h.workDir)).toEqual([]);
    });

    test("with concurrency 1, two jobs run one after the other, oldest first", async () => {
      const ds = await h.dataset();
      const first = await h.job(ds, mlp(3));
      const second = await h.job(ds, mlp(3));
      await queue().start();
      const a = await h.until(first.id, ["succeeded", "failed"]);
      const b = await h.until(second.id, ["succeeded", "failed"]);
      expect([a.model, b.model]).toEqual([{ name: "houses", version: 1 }, { name: "houses", version: 2 }]);
      expect(a.finishedAt! <= b.startedAt!).toBe(true);
    });

    test("a job enqueued after start() runs", async () => {
      const q = queue();
      await q.start();
      const j = await h.job(await h.dataset(), mlp(2));
      q.enqueue(j.id);
      expect(await h.until(j.id, ["succeeded", "failed"])).toMatchObject({ status: "succeeded" });
    });

    test("a spec naming a column the dataset lacks fails the job with bad_input, naming the column and the dataset", async () => {
      const j = await h.job(await h.dataset("houses.csv"), mlp(3, { target: "price" }));
      await queue().start();
      const failed = await h.until(j.id, ["failed", "succeeded"]);
      expect(failed.error).toEqual({ code: "bad_input", message: "houses.csv: there is no target column 'price' (columns: x1, x2, y)" });
      expect(failed.finishedAt).not.toBeNull();
      expect(await h.store.getModel(TENANT, "houses")).toBeUndefined();
      expect((await h.events(j.id)).at(-1)!.data).toEqual({ status: "failed", error: failed.error });
    });

    test("a job whose dataset is gone fails with the reason", async () => {
      const ds = await h.dataset("gone.csv");
      await h.blobs.delete(ds.artifact);
      const noFile = await h.job(ds, mlp(2));
      const noRecord = await h.job("ds-deleted", mlp(2));
      await queue().start();
      expect((await h.until(noFile.id, ["failed"])).error).toEqual({ code: "not_found", message: "the file of dataset 'gone.csv' is missing from the artifact store" });
      expect((await h.until(noRecord.id, ["failed"])).error).toEqual({ code: "not_found", message: "the dataset 'ds-deleted' no longer exists" });
    });

    test("cancel: a queued job is cancelled at once, a running one is stopped; no version", async () => {
      const ds = await h.dataset();
      const running = await h.job(ds, endless);
      const waiting = await h.job(ds, mlp(2));
      const q = queue();
      expect(await q.cancel(waiting.id)).toBe(true);
      expect((await h.store.getJob(TENANT, waiting.id))!.status).toBe("cancelled");
      expect(await q.cancel(waiting.id)).toBe(false);

      const epoch = firstEpoch(q, running.id);
      await q.start();
      await epoch;
      expect(await q.cancel(running.id)).toBe(true);
      expect(await h.store.getJob(TENANT, running.id)).toMatchObject({ status: "cancelled", model: null, cancelRequested: true });
      expect(await h.store.getModel(TENANT, "houses")).toBeUndefined();
      expect(await h.timeline(running.id)).toEqual(["status:running", "epoch", "status:cancelled"]);
      expect(await h.timeline(waiting.id)).toEqual(["status:cancelled"]);
    });

    test("start() re-queues a job a stopped server left running, and fails one that has used its attempts", async () => {
      const ds = await h.dataset();
      const retried = await h.job(ds, mlp(2), { status: "running", attempts: 1, startedAt: new Date().toISOString() });
      const spent = await h.job(ds, mlp(2), { status: "running", attempts: 2, startedAt: new Date().toISOString() });
      await queue({ maxAttempts: 2 }).start();
      expect((await h.until(spent.id, ["failed", "succeeded", "queued"])).error).toEqual({
        code: "internal",
        message: "the server stopped while the job was running (attempt 2 of 2)",
      });
      const done = await h.until(retried.id, ["succeeded", "failed"]);
      expect(done).toMatchObject({ status: "succeeded", attempts: 2, model: { name: "houses", version: 1 } });
      expect((await h.store.getModel(TENANT, "houses"))!.latestVersion).toBe(1);
      const [requeued, restarted] = await h.events(retried.id);
      expect(requeued.data).toEqual({ status: "queued", reason: "the server stopped while the job was running (attempt 1 of 2); it will run again" });
      expect(restarted.data).toEqual({ status: "running", attempt: 2, maxAttempts: 2 });
      expect(await h.timeline(retried.id)).toEqual(["status:queued", "status:running", "epoch", "done", "status:succeeded"]);
      expect(await h.timeline(spent.id)).toEqual(["status:failed"]);
    });

    test("stop() puts a running job back in the queue, and the next start completes it once", async () => {
      const ds = await h.dataset("houses.csv", 200);
      const j = await h.job(ds, mlp(150));
      const first = queue();
      const epoch = firstEpoch(first, j.id);
      await first.start();
      await epoch;
      await first.stop();
      expect(await h.store.getJob(TENANT, j.id)).toMatchObject({ status: "queued", attempts: 0, startedAt: null, model: null });
      expect((await h.events(j.id)).at(-1)!.data).toEqual({ status: "queued", reason: "the server is shutting down; the job will run again when it restarts" });

      await queue().start();
      const done = await h.until(j.id, ["succeeded", "failed"]);
      expect(done).toMatchObject({ status: "succeeded", attempts: 1, model: { name: "houses", version: 1 } });
      expect((await h.store.listVersions(TENANT, "houses", { limit: 10 })).items).toHaveLength(1);
      expect(await h.timeline(j.id)).toEqual(["status:running", "epoch", "status:queued", "status:running", "epoch", "done", "status:succeeded"]);
    });
  });
}
