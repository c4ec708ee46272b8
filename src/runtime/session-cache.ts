// Sessions keyed by a caller's model key and the session options, reused across calls and evicted
// least-recently-used. A model is loaded only on a miss; a session is released only once it is both
// evicted and no longer in use.
import { createHash } from "node:crypto";
import type { Runtime, Session, SessionOptions } from "./runtime.js";

/** What a miss loads: the model's bytes, and what the caller derives from them once (e.g. its parsed card). */
export interface LoadedModel<M> {
  bytes: Uint8Array;
  meta: M;
}

interface Ready<M> {
  session: Session;
  meta: M;
}

interface Entry<M> {
  ready: Promise<Ready<M>>;
  users: number;
  evicted: boolean;
}

/** A cache key for callers that only have the bytes: their SHA-256 (costs a pass over the model). */
export function contentKey(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export class SessionCache<M = undefined> {
  private readonly entries = new Map<string, Entry<M>>(); // Map order = recency, oldest first

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
   * Runs `fn` with the session for the model `key` names (unique per model content, e.g. a version
   * id or a content hash), calling `load` and creating the session on a miss only. A model that
   * fails to load is not cached.
   * @example const out = await cache.use("iris/3", async () => ({ bytes: await readFile(p), meta: undefined }), { threads: 1 }, (s) => s.run(feeds));
   */
  async use<T>(key: string, load: () => Promise<LoadedModel<M>>, options: SessionOptions, fn: (session: Session, meta: M) => Promise<T>): Promise<T> {
    const id = `${key}\u0000${JSON.stringify(options)}`;
    let entry = this.entries.get(id);
    if (entry) this.entries.delete(id); // re-inserted below as the most recent
    else entry = this.load(id, load, options);
    this.entries.set(id, entry);
    this.evict();
    entry.users++;
    try {
      const { session, meta } = await entry.ready;
      return await fn(session, meta);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) await releaseEntry(entry);
    }
  }

  /** Releases every idle session and forgets all; sessions in use are released when their calls end. */
  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) e.evicted = true;
    await Promise.allSettled(all.filter((e) => e.users === 0).map(releaseEntry));
  }

  private load(id: string, load: () => Promise<LoadedModel<M>>, options: SessionOptions): Entry<M> {
    const ready = (async () => {
      const { bytes, meta } = await load();
      return { session: await this.runtime.createSession(bytes, options), meta };
    })();
    const entry: Entry<M> = { ready, users: 0, evicted: false };
    // A model that fails to load is not cached (unless the key already holds a newer entry).
    ready.catch(() => {
      if (this.entries.get(id) === entry) this.entries.delete(id);
    });
    return entry;
  }

  private evict(): void {
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(id);
      e.evicted = true;
      if (e.users === 0) void releaseEntry(e).catch(() => undefined); // nobody waits on this release
    }
  }
}

/** Releases an entry's session; one that never loaded has nothing to release. */
async function releaseEntry(e: Entry<unknown>): Promise<void> {
  let ready: Ready<unknown>;
  try {
    ready = await e.ready;
  } catch {
    return;
  }
  await ready.session.release();
}
