import { describe, expect, test } from "vitest";
import type { Runtime, Session } from "./runtime.js";
import { SessionCache } from "./session-cache.js";

/** A runtime whose sessions only record their lifecycle. */
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

describe("SessionCache", () => {
  test("reuses a session for the same model and options, not for other options", async () => {
    const { runtime, created } = recordingRuntime();
    const cache = new SessionCache(runtime, 4);
    await cache.use(Uint8Array.of(1), {}, async () => 0);
    await cache.use(Uint8Array.of(1), {}, async () => 0);
    await cache.use(Uint8Array.of(1), { threads: 1 }, async () => 0);
    expect(created).toEqual([1, 1]);
  });

  test("evicts the least recently used and releases it", async () => {
    const { runtime, created, released } = recordingRuntime();
    const cache = new SessionCache(runtime, 2);
    await cache.use(Uint8Array.of(1), {}, async () => 0);
    await cache.use(Uint8Array.of(2), {}, async () => 0);
    await cache.use(Uint8Array.of(1), {}, async () => 0); // 1 is now the most recent
    await cache.use(Uint8Array.of(3), {}, async () => 0); // evicts 2
    await new Promise((r) => setImmediate(r));
    expect(released).toEqual([2]);
    expect(cache.size).toBe(2);
    await cache.use(Uint8Array.of(1), {}, async () => 0);
    expect(created).toEqual([1, 2, 3]);
  });

  test("does not release a session while it is in use", async () => {
    const { runtime, released } = recordingRuntime();
    const cache = new SessionCache(runtime, 1);
    let finish!: () => void;
    const busy = cache.use(Uint8Array.of(1), {}, () => new Promise<void>((r) => (finish = r)));
    await new Promise((r) => setImmediate(r));
    await cache.use(Uint8Array.of(2), {}, async () => 0); // evicts 1 while it runs
    expect(released).toEqual([]);
    finish();
    await busy;
    expect(released).toEqual([1]);
  });

  test("does not cache a model that fails to load", async () => {
    let calls = 0;
    const runtime: Runtime = {
      async createSession() {
        calls++;
        throw new Error("bad model");
      },
    };
    const cache = new SessionCache(runtime);
    await expect(cache.use(Uint8Array.of(9), {}, async () => 0)).rejects.toThrow("bad model");
    await expect(cache.use(Uint8Array.of(9), {}, async () => 0)).rejects.toThrow("bad model");
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
  });
});
