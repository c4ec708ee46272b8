import { describe, expect, test } from "vitest";
import type { Runtime, Session } from "./runtime.js";
import type { LoadedModel } from "./session-cache.js";
import { SessionCache, contentKey } from "./session-cache.js";

/** A runtime whose sessions only record their lifecycle; a model's id is its first byte. */
function recordingRuntime() {
  const created: number[] = [];
  const released: number[] = [];
  const runtime: Runtime = {
    async createSession(model) {
      const id = model[0];
      created.push(id);
      const s: Session = { inputNames: [], outputNames: [], run: async () => ({}), release: async () => void released.push(id) };
      return s;
    },
  };
  return { runtime, created, released };
}

/** A loader for model `id` (key `m<id>`) that counts its calls. */
function loader(id: number, loads: number[] = []): [string, () => Promise<LoadedModel<undefined>>] {
  return [`m${id}`, async () => (loads.push(id), { bytes: Uint8Array.of(id), meta: undefined })];
}

const tick = () => new Promise((r) => setImmediate(r));

describe("SessionCache", () => {
  test("reuses a session for the same key and options, not for other options, loading only on a miss", async () => {
    const { runtime, created } = recordingRuntime();
    const loads: number[] = [];
    const cache = new SessionCache(runtime, 4);
    await cache.use(...loader(1, loads), {}, async () => 0);
    await cache.use(...loader(1, loads), {}, async () => 0);
    await cache.use(...loader(1, loads), { threads: 1 }, async () => 0);
    expect(created).toEqual([1, 1]);
    expect(loads).toEqual([1, 1]);
  });

  test("concurrent first uses share one load", async () => {
    const { runtime, created } = recordingRuntime();
    const loads: number[] = [];
    const cache = new SessionCache(runtime, 4);
    await Promise.all([cache.use(...loader(1, loads), {}, async () => 0), cache.use(...loader(1, loads), {}, async () => 0)]);
    expect(loads).toEqual([1]);
    expect(created).toEqual([1]);
  });

  test("hands the loader's derived value to every use", async () => {
    const { runtime } = recordingRuntime();
    const cache = new SessionCache<{ card: string }>(runtime);
    const load = async () => ({ bytes: Uint8Array.of(1), meta: { card: "iris" } });
    expect(await cache.use("iris", load, {}, async (_s, meta) => meta.card)).toBe("iris");
    expect(await cache.use("iris", async () => Promise.reject(new Error("not called on a hit")), {}, async (_s, meta) => meta.card)).toBe("iris");
  });

  test("evicts the least recently used and releases it", async () => {
    const { runtime, created, released } = recordingRuntime();
    const cache = new SessionCache(runtime, 2);
    await cache.use(...loader(1), {}, async () => 0);
    await cache.use(...loader(2), {}, async () => 0);
    await cache.use(...loader(1), {}, async () => 0); // 1 is now the most recent
    await cache.use(...loader(3), {}, async () => 0); // evicts 2
    await tick();
    expect(released).toEqual([2]);
    expect(cache.size).toBe(2);
    await cache.use(...loader(1), {}, async () => 0);
    expect(created).toEqual([1, 2, 3]);
  });

  test("does not release a session while it is in use", async () => {
    const { runtime, released } = recordingRuntime();
    const cache = new SessionCache(runtime, 1);
    let finish!: () => void;
    const busy = cache.use(...loader(1), {}, () => new Promise<void>((r) => (finish = r)));
    await tick();
    await cache.use(...loader(2), {}, async () => 0); // evicts 1 while it runs
    expect(released).toEqual([]);
    finish();
    await busy;
    expect(released).toEqual([1]);
  });

  test("clear releases idle sessions now and busy ones when their calls end", async () => {
    const { runtime, released } = recordingRuntime();
    const cache = new SessionCache(runtime, 4);
    await cache.use(...loader(1), {}, async () => 0);
    let finish!: () => void;
    const busy = cache.use(...loader(2), {}, () => new Promise<void>((r) => (finish = r)));
    await tick();
    await cache.clear();
    expect(released).toEqual([1]);
    expect(cache.size).toBe(0);
    finish();
    await busy;
    expect(released).toEqual([1, 2]);
  });

  test("does not cache a model whose loader or session creation fails", async () => {
    let calls = 0;
    const runtime: Runtime = {
      async createSession() {
        calls++;
        throw new Error("bad model");
      },
    };
    const cache = new SessionCache(runtime);
    await expect(cache.use(...loader(9), {}, async () => 0)).rejects.toThrow("bad model");
    await expect(cache.use(...loader(9), {}, async () => 0)).rejects.toThrow("bad model");
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
    const unreadable = async () => Promise.reject(new Error("no such file"));
    await expect(cache.use("gone", unreadable, {}, async () => 0)).rejects.toThrow("no such file");
    expect(cache.size).toBe(0);
  });

  test("a failed load that was already evicted does not drop the newer entry for its key", async () => {
    const { runtime, created, released } = recordingRuntime();
    const cache = new SessionCache(runtime, 1);
    let fail!: (e: Error) => void;
    const failing = cache.use("m1", () => new Promise<LoadedModel<undefined>>((_r, reject) => (fail = reject)), {}, async () => 0);
    await tick();
    await cache.use(...loader(2), {}, async () => 0); // evicts the pending m1
    await cache.use(...loader(1), {}, async () => 0); // a new m1 entry, loaded fine
    fail(new Error("slow failure"));
    await expect(failing).rejects.toThrow("slow failure");
    await cache.use(...loader(1), {}, async () => 0);
    expect(created).toEqual([2, 1]);
    expect(released).toEqual([2]);
  });

  describe("memory budget", () => {
    /** A process whose memory grows by 10 per session created and by `firstRun` in a run. */
    function meteredRuntime(firstRun = 0) {
      const memory = { rss: 1000 };
      const { runtime, created, released } = recordingRuntime();
      const metered: Runtime = {
        async createSession(model) {
          memory.rss += 10;
          const s = await runtime.createSession(model);
          return { ...s, run: async () => ((memory.rss += firstRun), {}) };
        },
      };
      return { runtime: metered, created, released, measure: () => memory.rss };
    }
    const run = (s: Session) => s.run({});

    test("counts what a session's load and first run add to the process, and evicts the least recent beyond the budget", async () => {
      const { runtime, released, measure } = meteredRuntime(7);
      const cache = new SessionCache(runtime, 8, { bytes: 40, measure });
      await cache.use(...loader(1), {}, run);
      expect(cache.bytes).toBe(17); // 10 to load, 7 in the first run
      await cache.use(...loader(1), {}, run); // later runs are not counted again
      expect(cache.bytes).toBe(17);
      await cache.use(...loader(2), {}, run);
      await cache.use(...loader(3), {}, run); // 51 > 40: model 1 goes
      await tick();
      expect(released).toEqual([1]);
      expect(cache.bytes).toBe(34);
    });

    test("never evicts a session in use, nor the one just asked for", async () => {
      const { runtime, released, measure } = meteredRuntime();
      const cache = new SessionCache(runtime, 8, { bytes: 15, measure });
      let finish!: () => void;
      const busy = cache.use(...loader(1), {}, () => new Promise<void>((r) => (finish = r)));
      await tick();
      await cache.use(...loader(2), {}, run); // 20 > 15, but 1 is busy and 2 is the newest
      await tick();
      expect(released).toEqual([]);
      await cache.use(...loader(3), {}, run); // 2 is idle and older than 3
      await tick();
      expect(released).toEqual([2]);
      finish();
      await busy;
    });

    test("refuses a model larger than the whole budget, naming both sizes", async () => {
      const { runtime, created } = meteredRuntime();
      const cache = new SessionCache(runtime, 8, { bytes: 2 ** 20 });
      const big = async () => ({ bytes: new Uint8Array(3 * 2 ** 20), meta: undefined });
      await expect(cache.use("big", big, {}, run)).rejects.toThrow("model 'big' is 3.0 MiB, more than the serving memory budget (1.0 MiB)");
      expect(created).toEqual([]);
    });
  });

  test("evictWhere drops the selected keys' sessions", async () => {
    const { runtime, released } = recordingRuntime();
    const cache = new SessionCache(runtime, 8);
    for (const id of [1, 2, 3]) await cache.use(...loader(id), {}, async () => 0);
    expect(cache.evictWhere((key) => key !== "m2")).toBe(2);
    await tick();
    expect(released.sort()).toEqual([1, 3]);
    expect(cache.size).toBe(1);
  });

  test("contentKey is the SHA-256 of the bytes", () => {
    expect(contentKey(new TextEncoder().encode("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
