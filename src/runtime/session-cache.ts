// Sessions keyed by model content and options, reused across calls and evicted least-recently-used.
// A session is released only once it is both evicted and no longer in use.
import { createHash } from "node:crypto";
import type { Runtime, Session, SessionOptions } from "./runtime.js";

interface Entry {
  session: Promise<Session>;
  users: number;
  evicted: boolean;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>(); // Map order = recency, oldest first

  /** @param capacity sessions kept when idle */
  constructor(
    private readonly runtime: Runtime,
    private readonly capacity = 8,
  ) {
    if (capacity < 1) throw new Error(`a session cache needs a capacity of at least 1; got ${capacity}`);
  }

  /** Number of cached sessions. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `fn` with the session for `model`, creating it on first use.
   * @example const out = await cache.use(bytes, { threads: 1 }, (s) => s.run(feeds));
   */
  async use<T>(model: Uint8Array, options: SessionOptions, fn: (session: Session) => Promise<T>): Promise<T> {
    const key = createHash("sha256").update(model).update(JSON.stringify(options)).digest("hex");
    let entry = this.entries.get(key);
    if (entry) this.entries.delete(key); // re-inserted below as the most recent
    else {
      entry = { session: this.runtime.createSession(model, options), users: 0, evicted: false };
      entry.session.catch(() => this.entries.delete(key)); // a model that fails to load is not cached
    }
    this.entries.set(key, entry);
    this.evict();
    entry.users++;
    try {
      return await fn(await entry.session);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) await (await entry.session).release();
    }
  }

  /** Releases every idle session and forgets all. */
  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) e.evicted = true;
    await Promise.allSettled(all.filter((e) => e.users === 0).map(async (e) => (await e.session).release()));
  }

  private evict(): void {
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(key);
      e.evicted = true;
      if (e.users === 0) void e.session.then((s) => s.release(), () => undefined);
    }
  }
}
