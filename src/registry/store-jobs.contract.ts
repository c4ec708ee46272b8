// MetadataStore contract, part 2: jobs, their events, and completeJob's exactly-once registration.
import { describe, expect, test } from "vitest";
import { ACME, OTHER, allPages, isIsoTime, jobRecord, newVersion, rejectsWith, second, type StoreRef } from "./store-contract-fixtures.js";

export function jobsContract(store: StoreRef): void {
  describe("jobs", () => {
    test("createJob stores every field and getJob returns it", async () => {
      const job = jobRecord(ACME, "ds-1", { progress: { epoch: 1 }, attempts: 2, cancelRequested: true, startedAt: second(5) });
      expect(await store().createJob(job)).toEqual(job);
      expect(await store().getJob(ACME, job.id)).toEqual(job);
      expect(await store().getJob(ACME, "no-such-job")).toBeUndefined();
    });

    test("a job id is unique", async () => {
      const job = jobRecord(ACME, "ds-1");
      await store().createJob(job);
      await rejectsWith(store().createJob({ ...job, name: "other-model" }), "conflict");
    });

    test("updateJob changes only the given fields and returns the updated record", async () => {
      const job = await store().createJob(jobRecord(ACME, "ds-1"));
      const running = await store().updateJob(job.id, { status: "running", attempts: 1, startedAt: second(1), progress: { epoch: 1, loss: 0.5 } });
      expect(running).toEqual({ ...job, status: "running", attempts: 1, startedAt: second(1), progress: { epoch: 1, loss: 0.5 } });
      expect(await store().getJob(ACME, job.id)).toEqual(running);
      const failed = await store().updateJob(job.id, { status: "failed", error: { code: "bad_input", message: "column 'x' is empty" }, finishedAt: second(2), progress: undefined });
      expect(failed).toEqual({ ...running, status: "failed", error: { code: "bad_input", message: "column 'x' is empty" }, finishedAt: second(2) });
      const retried = await store().updateJob(job.id, { status: "queued", error: null, finishedAt: null, cancelRequested: true, metrics: { mse: 1.5 } });
      expect(retried).toEqual({ ...failed, status: "queued", error: null, finishedAt: null, cancelRequested: true, metrics: { mse: 1.5 } });
      await rejectsWith(store().updateJob("no-such-job", { status: "running" }), "not_found");
    });

    test("jobsWithStatus lists one status across tenants, oldest first", async () => {
      const late = await store().createJob(jobRecord(ACME, "ds-1", { createdAt: second(30) }));
      const early = await store().createJob(jobRecord(OTHER, "ds-2", { createdAt: second(10) }));
      const middle = await store().createJob(jobRecord(ACME, "ds-1", { createdAt: second(20) }));
      await store().createJob(jobRecord(ACME, "ds-1", { createdAt: second(15), status: "running" }));
      expect((await store().jobsWithStatus("queued")).map((j) => j.id)).toEqual([early.id, middle.id, late.id]);
      await store().updateJob(middle.id, { status: "running" });
      expect((await store().jobsWithStatus("running")).map((j) => j.createdAt)).toEqual([second(15), second(20)]);
      expect(await store().jobsWithStatus("cancelled")).toEqual([]);
      expect(await store().countJobs()).toEqual({ queued: 2, running: 2, succeeded: 0, failed: 0, cancelled: 0 });
    });

    test("listJobs pages through the tenant's jobs in creation order", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store().createJob(jobRecord(ACME, "ds-1"))).id);
      await store().createJob(jobRecord(OTHER, "ds-2"));
      const pages = await allPages((p) => store().listJobs(ACME, p), 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat().map((j) => j.id)).toEqual(ids);
    });

    test("deleteJob deletes the tenant's job and its events", async () => {
      const job = await store().createJob(jobRecord(ACME, "ds-1"));
      await store().appendEvent(job.id, "progress", { epoch: 1 });
      expect(await store().deleteJob(OTHER, job.id)).toBe(false);
      expect(await store().getJob(ACME, job.id)).toBeDefined();
      expect(await store().deleteJob(ACME, job.id)).toBe(true);
      expect(await store().getJob(ACME, job.id)).toBeUndefined();
      expect(await store().eventsAfter(job.id, 0)).toEqual([]);
      expect(await store().deleteJob(ACME, job.id)).toBe(false);
    });
  });

  describe("job events", () => {
    test("appendEvent numbers each job's events 1, 2, 3 and eventsAfter replays those after a seq", async () => {
      const a = await store().createJob(jobRecord(ACME, "ds-1"));
      const b = await store().createJob(jobRecord(ACME, "ds-1"));
      const first = await store().appendEvent(a.id, "status", { status: "running" });
      expect(first).toMatchObject({ job: a.id, seq: 1, type: "status", data: { status: "running" } });
      expect(isIsoTime(first.at)).toBe(true);
      await store().appendEvent(b.id, "status", { status: "running" });
      await store().appendEvent(a.id, "progress", { epoch: 1, loss: 0.9 });
      await store().appendEvent(a.id, "progress", { epoch: 2, loss: 0.4 });
      expect((await store().appendEvent(b.id, "done", null)).seq).toBe(2);
      const all = await store().eventsAfter(a.id, 0);
      expect(all.map((e) => [e.seq, e.type])).toEqual([
        [1, "status"],
        [2, "progress"],
        [3, "progress"],
      ]);
      expect(all[0]).toEqual(first);
      expect(await store().eventsAfter(a.id, 1)).toEqual(all.slice(1));
      expect(await store().eventsAfter(a.id, 3)).toEqual([]);
      expect((await store().eventsAfter(b.id, 1)).map((e) => [e.seq, e.data])).toEqual([[2, null]]);
    });

    test("concurrent appends get distinct consecutive seqs", async () => {
      const job = await store().createJob(jobRecord(ACME, "ds-1"));
      const events = await Promise.all(Array.from({ length: 20 }, (_, i) => store().appendEvent(job.id, "progress", { i })));
      expect(events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await store().eventsAfter(job.id, 0)).map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    test("appendEvent to an unknown job is not_found", async () => {
      await rejectsWith(store().appendEvent("no-such-job", "progress", {}), "not_found");
    });
  });

  describe("completeJob", () => {
    const trained = (jobId: string, model = "wine") => newVersion(ACME, model, { source: "trained", job: jobId, dataset: "ds-1" });

    test("registers version 1 of a new model and marks the job succeeded", async () => {
      const job = await store().createJob(jobRecord(ACME, "ds-1", { status: "running", startedAt: second(1) }));
      const v = trained(job.id);
      const version = await store().completeJob(job.id, v, { mse: 0.25 });
      expect(version).toMatchObject({ ...v, version: 1 });
      expect(isIsoTime(version.createdAt)).toBe(true);
      expect(await store().getVersion(ACME, "wine", 1)).toEqual(version);
      const done = await store().getJob(ACME, job.id);
      expect(done).toMatchObject({ status: "succeeded", model: { name: "wine", version: 1 }, metrics: { mse: 0.25 }, startedAt: second(1) });
      expect(isIsoTime(done!.finishedAt)).toBe(true);
      expect(await store().getModel(ACME, "wine")).toMatchObject({ tenant: ACME, name: "wine", latestVersion: 1 });
      expect(await store().resolveAlias(ACME, "wine", "latest")).toBe(1);
    });

    test("a second completion of the same job returns the first version and registers nothing", async () => {
      const job = await store().createJob(jobRecord(ACME, "ds-1", { status: "running" }));
      const first = await store().completeJob(job.id, trained(job.id), { mse: 0.25 });
      const afterFirst = await store().getJob(ACME, job.id);
      const again = await store().completeJob(job.id, trained(job.id), { mse: 0.5 });
      expect(again).toEqual(first);
      expect(await store().getJob(ACME, job.id)).toEqual(afterFirst);
      expect((await store().listVersions(ACME, "wine", { limit: 10 })).items).toHaveLength(1);
      expect((await store().getModel(ACME, "wine"))!.latestVersion).toBe(1);
    });

    test("concurrent completions of one job register one version", async () => {
      const job = await store().createJob(jobRecord(ACME, "ds-1", { status: "running" }));
      const results = await Promise.all([1, 2, 3].map(() => store().completeJob(job.id, trained(job.id), { mse: 0.25 })));
      expect(results.map((r) => r.version)).toEqual([1, 1, 1]);
      expect((await store().listVersions(ACME, "wine", { limit: 10 })).items).toHaveLength(1);
    });

    test("each job registers the next version; tenants number their own models", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await store().createJob(jobRecord(ACME, "ds-1", { status: "running" }))).id);
      const versions = [];
      for (const id of ids) versions.push((await store().completeJob(id, trained(id), { mse: 1 })).version);
      expect(versions).toEqual([1, 2, 3]);
      const theirs = await store().createJob(jobRecord(OTHER, "ds-9", { status: "running" }));
      const v = await store().completeJob(theirs.id, newVersion(OTHER, "wine", { source: "trained", job: theirs.id }), { mse: 2 });
      expect(v.version).toBe(1);
      expect((await store().getModel(ACME, "wine"))!.latestVersion).toBe(3);
    });

    test("completing an unknown job is not_found and registers nothing", async () => {
      await rejectsWith(store().completeJob("no-such-job", trained("no-such-job"), {}), "not_found");
      expect(await store().getModel(ACME, "wine")).toBeUndefined();
    });
  });
}
