// Sessions keyed by a caller's model key and the session options, reused across calls and evicted
// least-recently-used when there are more than `capacity` or they cost more memory than the budget.
// A model is loaded only on a miss; a session is released only once it is both evicted and no longer
// in use.
//
// A session's cost is measured, not guessed: the growth of the process's resident memory while it
// loads and during its first run (ONNX Runtime allocates its arena then, and the arena does not
// shrink), at least the model's size. Loads in other threads of the process at the same moment blur
// the measure; it is a budget, not an accounting.
import { createHash } from "node:crypto";
import { MaasError } from "../errors.js";
import type { Runtime, Session, SessionOptions } from "./runtime.js";

/** What a miss loads: the model's bytes, and what the caller derives from them once (e.g. its parsed card). */
export interface LoadedModel<M> {
  bytes: Uint8Array;
  meta: M;
}

interface Ready<M> {
  session: Session;
  meta: M;
  /** Bytes the load cost (see above). */
  cost: number;
}

interface Entry<M> {
  key: string;
  ready: Promise<Ready<M>>;
  users: number;
  evicted: boolean;
  /** Measured bytes (see above); 0 until loaded. */
  cost: number;
  /** Whether the first run (when the arena grows) has been measured. */
  ran: boolean;
}

export interface CacheBudget {
  /** Bytes the cached sessions may cost together; a model larger than this alone is refused. */
  bytes: number;
  /** The process's resident memory now (a test can count its own). */
  measure?: () => number;
}

const MIB = 2 ** 20;

/** A cache key for callers that only have the bytes: their SHA-256 (costs a pass over the model). */
export function contentKey(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export class SessionCache<M = undefined> {
  private readonly entries = new Map<string, Entry<M>>(); // Map order = recency, oldest first

  private readonly measure: () => number;

  /** @param capacity sessions kept when idle */
  constructor(
    private readonly runtime: Runtime,
    private readonly capacity = 8,
    private readonly budget: CacheBudget = { bytes: Infinity },
  ) {
    if (capacity < 1) throw new Error(`a session cache needs a capacity of at least 1; got ${capacity}`);
    this.measure = budget.measure ?? (() => process.memoryUsage().rss);
  }

  /** Number of cached sessions. */
  get size(): number {
    return this.entries.size;
  }

  /** The model keys with a cached session. */
  get keys(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.key))];
  }

  /** What the cached sessions cost together, in bytes (measured; see above). */
  get bytes(): number {
    let sum = 0;
    for (const e of this.entries.values()) sum += e.cost;
    return sum;
  }

  /** Evicts the sessions of every key `which` selects; those in use are released when their calls end. */
  evictWhere(which: (key: string) => boolean): number {
    let n = 0;
    for (const [id, e] of this.entries) {
      if (!which(e.key)) continue;
      this.drop(id, e);
      n++;
    }
    return n;
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
    else entry = this.load(key, id, load, options);
    this.entries.set(id, entry);
    this.evict();
    entry.users++;
    try {
      const { session, meta } = await entry.ready;
      if (entry.ran) return await fn(session, meta);
      entry.ran = true;
      const before = this.measure();
      try {
        return await fn(session, meta);
      } finally {
        entry.cost += Math.max(0, this.measure() - before);
        this.evict();
      }
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

  private load(key: string, id: string, load: () => Promise<LoadedModel<M>>, options: SessionOptions): Entry<M> {
    const ready = (async () => {
      const { bytes, meta } = await load();
      if (bytes.length > this.budget.bytes) {
        const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;
        throw new MaasError("unprocessable", `model '${key}' is ${mib(bytes.length)}, more than the serving memory budget (${mib(this.budget.bytes)})`);
      }
      const before = this.measure();
      const session = await this.runtime.createSession(bytes, options);
      return { session, meta, cost: Math.max(bytes.length, this.measure() - before) };
    })();
    const entry: Entry<M> = { key, ready, users: 0, evicted: false, cost: 0, ran: false };
    // Registered before any caller awaits `ready`, so the cost is set when they resume.
    ready.then((r) => (entry.cost = r.cost)).catch(() => undefined);
    // A model that fails to load is not cached (unless the key already holds a newer entry).
    ready.catch(() => {
      if (this.entries.get(id) === entry) this.entries.delete(id);
    });
    return entry;
  }

  /**
   * Least recently used first: evicts beyond the capacity, then, while the sessions cost more than
   * the budget, evicts idle ones (never the most recent: the one just asked for).
   */
  private evict(): void {
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      this.drop(id, e);
    }
    let over = this.bytes - this.budget.bytes;
    const newest = [...this.entries.keys()].pop();
    for (const [id, e] of this.entries) {
      if (over <= 0) break;
      if (id === newest || e.users > 0) continue;
      over -= e.cost;
      this.drop(id, e);
    }
  }

  private drop(id: string, e: Entry<M>): void {
    this.entries.delete(id);
    e.evicted = true;
    if (e.users === 0) void releaseEntry(e).catch(() => undefined); // nobody waits on this release
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
