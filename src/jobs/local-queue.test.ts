// The local queue: the JobQueue contract with real child processes (from dist/: `npm run build`
// first), then what only child processes can show: their pids, deaths and misbehaviour.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { distEntry } from "../util/paths.js";
import type { LocalQueueOptions } from "./local-queue.js";
import { LocalQueue } from "./local-queue.js";
import { QueueHarness, TENANT, endless, firstEpoch, mlp } from "./queue-contract-fixtures.js";
import { queueContract } from "./queue.contract.js";

beforeAll(() => {
  if (!existsSync(distEntry("jobs/train-child.js"))) throw new Error("dist/jobs/train-child.js is missing: run `npm run build` first");
});

queueContract("LocalQueue", (h, o) => new LocalQueue({ store: h.store, blobs: h.blobs, workDir: h.workDir, killGraceMs: 2000, ...o }));

const root = await mkdtemp(join(tmpdir(), "maas-local-queue-"));
afterAll(() => rm(root, { recursive: true, force: true }));

describe("LocalQueue", () => {
  let h: QueueHarness;
  let queues: LocalQueue[] = [];

  beforeEach(async () => {
    h = await QueueHarness.create(join(root, randomUUID()));
  });
  afterEach(async () => {
    for (const q of queues) await q.stop();
    queues = [];
    await h.close();
  });

  function queue(over: Partial<LocalQueueOptions> = {}): LocalQueue {
    const q = new LocalQueue({ store: h.store, blobs: h.blobs, concurrency: 1, workDir: h.workDir, killGraceMs: 2000, ...over });
    queues.push(q);
    return q;
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  describe("child processes", () => {
    test("cancel and stop leave no child behind", async () => {
      const ds = await h.dataset();
      const cancelled = await h.job(ds, endless);
      const stopped = await h.job(ds, endless);
      const q = queue({ concurrency: 2 });
      const epochs = [firstEpoch(q, cancelled.id), firstEpoch(q, stopped.id)];
      await q.start();
      await Promise.all(epochs);
      const [a, b] = [q.pidOf(cancelled.id)!, q.pidOf(stopped.id)!];
      expect(alive(a) && alive(b)).toBe(true);
      await q.cancel(cancelled.id);
      expect(alive(a)).toBe(false);
      expect(alive(b)).toBe(true);
      await q.stop();
      expect(alive(b)).toBe(false);
      expect(q.pidOf(stopped.id)).toBeUndefined();
    });

    test("a child killed by SIGKILL fails its job with the reason, and the queue runs the next job", async () => {
      const ds = await h.dataset();
      const victim = await h.job(ds, endless);
      const next = await h.job(ds, mlp(2));
      const q = queue();
      const epoch = firstEpoch(q, victim.id);
      await q.start();
      await epoch;
      process.kill(q.pidOf(victim.id)!, "SIGKILL");
      const failed = await h.until(victim.id, ["failed", "succeeded", "cancelled"]);
      expect(failed.error).toEqual({ code: "internal", message: "the training process was killed by SIGKILL (out of memory?)" });
      expect((await h.timeline(victim.id)).at(-1)).toBe("status:failed");
      expect(await h.until(next.id, ["succeeded", "failed"])).toMatchObject({ status: "succeeded", model: { name: "houses", version: 1 } });
    });
  });

  test("with a heartbeat, the queue picks up jobs and cancel requests other code wrote to the store", async () => {
    const q = queue({ heartbeat: 50 });
    await q.start();
    const ds = await h.dataset();
    const quiet = await h.job(ds, mlp(2)); // never enqueued
    expect(await h.until(quiet.id, ["succeeded", "failed"])).toMatchObject({ status: "succeeded" });
    const long = await h.job(ds, endless);
    await firstEpoch(q, long.id);
    await h.store.updateJob(long.id, { cancelRequested: true });
    expect(await h.until(long.id, ["cancelled", "failed", "succeeded"])).toMatchObject({ status: "cancelled", model: null });
  });

  // The parent's side of the protocol, against scripted children (no training).
  describe("a scripted child", () => {
    /** A child entry point that runs `body` with the job request as `m`. */
    async function script(body: string): Promise<string> {
      const path = join(root, `${randomUUID()}.mjs`);
      await writeFile(path, `import { writeFileSync } from "node:fs";\nprocess.once("message", (m) => {\n${body}\n});\n`);
      return path;
    }

    test("a result reported twice registers one version and one done event", async () => {
      const entry = await script(`
        writeFileSync(m.outPath, "model bytes");
        const done = { type: "done", card: { task: "regression", metrics: { mse: 0.5 } } };
        process.send(done);
        process.send(done, () => process.exit(0));`);
      const j = await h.job(await h.dataset(), mlp(1));
      await queue({ entry }).start();
      expect(await h.until(j.id, ["succeeded", "failed"])).toMatchObject({ status: "succeeded", metrics: { mse: 0.5 }, model: { version: 1 } });
      await new Promise((r) => setTimeout(r, 100));
      expect(await h.timeline(j.id)).toEqual(["status:running", "done", "status:succeeded"]);
      expect((await h.store.listVersions(TENANT, "houses", { limit: 10 })).items).toHaveLength(1);
      expect(new TextDecoder().decode(await h.blobs.get(`models/${TENANT}/houses/${j.id}.onnx`))).toBe("model bytes");
    });

    test("a child that exits without a result fails the job with its exit code and last stderr line", async () => {
      const entry = await script(`process.stderr.write("loading...\\nError: something native broke\\n"); process.exit(3);`);
      const j = await h.job(await h.dataset(), mlp(1));
      await queue({ entry }).start();
      expect((await h.until(j.id, ["failed", "succeeded"])).error).toEqual({
        code: "internal",
        message: "the training process exited with code 3 before reporting a result: Error: something native broke",
      });
    });

    test("a message the server does not understand fails the job; an unknown error code becomes internal", async () => {
      const garbled = await script(`process.send({ type: "epoch", report: "fast" }, () => process.exit(0));`);
      const odd = await script(`process.send({ type: "error", code: "weird", message: "it broke" }, () => process.exit(1));`);
      const ds = await h.dataset();
      const a = await h.job(ds, mlp(1));
      await queue({ entry: garbled }).start();
      expect((await h.until(a.id, ["failed", "succeeded"])).error).toEqual({ code: "internal", message: "the training process sent a message the server does not understand" });
      const b = await h.job(ds, mlp(1));
      await queue({ entry: odd }).start();
      expect((await h.until(b.id, ["failed", "succeeded"])).error).toEqual({ code: "internal", message: "it broke" });
    });

    test("a missing entry point fails the job saying how to build it", async () => {
      const entry = join(root, "no-such-child.js");
      const j = await h.job(await h.dataset(), mlp(1));
      await queue({ entry }).start();
      expect((await h.until(j.id, ["failed", "succeeded"])).error).toEqual({ code: "internal", message: `the training program ${entry} is missing (run npm run build)` });
    });
  });
});
