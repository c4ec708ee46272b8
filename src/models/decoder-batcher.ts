// One step of many generations in one run: each sequence asks for its next token's logits, and the
// calls that arrive while a run is busy (or in the same turn of the event loop) share the next run.
// A Transformer's caches of different lengths are left-padded to the longest and masked; an LSTM's
// states simply stack. Each sequence's result is what a run of it alone would give.
import type { Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import type { LanguageSpec } from "./language.js";

/** A sequence's cache: per layer and kind ("key"/"value", or "h"/"c"), [heads, length, head width] or [width]. */
export interface SequenceCache {
  length: number;
  layers: Float32Array[][];
}

interface Call {
  cache: SequenceCache;
  token: number;
  resolve: (logits: Float32Array) => void;
  reject: (e: unknown) => void;
}

const KINDS = { transformer: ["key", "value"], lstm: ["h", "c"] } as const;

export class DecoderBatcher {
  private queue: Call[] = [];
  private busy = false;

  constructor(
    private readonly session: Session,
    private readonly s: LanguageSpec,
    private readonly maxBatch = 16,
  ) {}

  /** A new, empty cache. */
  emptyCache(): SequenceCache {
    const lstm = this.s.architecture === "lstm";
    return { length: 0, layers: Array.from({ length: this.s.layers }, () => [0, 1].map(() => new Float32Array(lstm ? this.s.width : 0))) };
  }

  /** Feeds `token` to the sequence of `cache` (which it then extends) and resolves the next token's logits. */
  step(cache: SequenceCache, token: number): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ cache, token, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        // The calls made in this turn of the event loop join the first run.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.run(batch);
      } catch (e) {
        for (const c of batch) c.reject(e);
      }
    }
    this.busy = false;
  }

  private async run(batch: Call[]): Promise<void> {
    const { s } = this;
    const N = batch.length;
    const lstm = s.architecture === "lstm";
    const dh = s.width / s.heads;
    const P = Math.max(...batch.map((c) => c.cache.length));
    const feeds: Record<string, Tensor> = { input_ids: { dtype: "int64", dims: [N, 1], data: BigInt64Array.from(batch, (c) => BigInt(c.token)) } };
    const names = (when: "past" | "present", l: number, k: number) => (lstm ? `${when}_state.${l}.${KINDS.lstm[k]}` : `${when === "past" ? "past_key_values" : "present"}.${l}.${KINDS.transformer[k]}`);
    if (!lstm) {
      // Left padding: sequence n's P_n positions end where the longest one's do.
      const mask = new BigInt64Array(N * (P + 1));
      batch.forEach((c, n) => mask.fill(1n, n * (P + 1) + (P - c.cache.length), (n + 1) * (P + 1)));
      feeds.attention_mask = { dtype: "int64", dims: [N, P + 1], data: mask };
      feeds.position_ids = { dtype: "int64", dims: [N, 1], data: BigInt64Array.from(batch, (c) => BigInt(c.cache.length)) };
    }
    for (let l = 0; l < s.layers; l++) {
      for (let k = 0; k < 2; k++) {
        // One sequence alone: its cache is already laid out as [1, ...]; no copy.
        if (N === 1) {
          const own = batch[0].cache.layers[l][k];
          feeds[names("past", l, k)] = { dtype: "float32", dims: lstm ? [1, s.width] : [1, s.heads, P, dh], data: own };
          continue;
        }
        if (lstm) {
          const data = new Float32Array(N * s.width);
          batch.forEach((c, n) => data.set(c.cache.layers[l][k], n * s.width));
          feeds[names("past", l, k)] = { dtype: "float32", dims: [N, s.width], data };
          continue;
        }
        const data = new Float32Array(N * s.heads * P * dh);
        batch.forEach((c, n) => {
          const len = c.cache.length;
          const own = c.cache.layers[l][k];
          for (let h = 0; h < s.heads; h++) data.set(own.subarray(h * len * dh, (h + 1) * len * dh), ((n * s.heads + h) * P + (P - len)) * dh);
        });
        feeds[names("past", l, k)] = { dtype: "float32", dims: [N, s.heads, P, dh], data };
      }
    }
    const fetch = ["logits", ...Array.from({ length: s.layers }, (_v, l) => [names("present", l, 0), names("present", l, 1)]).flat()];
    const out = await this.session.run(feeds, fetch);
    const logits = out.logits.data as Float32Array;
    const V = logits.length / N;
    batch.forEach((c, n) => {
      const len = c.cache.length;
      for (let l = 0; l < s.layers; l++) {
        for (let k = 0; k < 2; k++) {
          const present = out[names("present", l, k)].data as Float32Array;
          if (N === 1) {
            c.cache.layers[l][k] = present;
            continue;
          }
          if (lstm) {
            c.cache.layers[l][k] = present.slice(n * s.width, (n + 1) * s.width);
            continue;
          }
          // The sequence's own positions, [P - len, P + 1), without the padding.
          const own = new Float32Array(s.heads * (len + 1) * dh);
          for (let h = 0; h < s.heads; h++) own.set(present.subarray(((n * s.heads + h) * (P + 1) + (P - len)) * dh, ((n * s.heads + h) * (P + 1) + P + 1) * dh), h * (len + 1) * dh);
          c.cache.layers[l][k] = own;
        }
      }
      c.cache.length = len + 1;
      c.resolve(N === 1 ? logits : logits.slice(n * V, (n + 1) * V));
    });
  }
}
