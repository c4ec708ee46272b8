// Length buckets: sequences of varying length train on a few graphs, each unrolled only as far as
// its bucket's longest sequence, instead of one graph padded to the longest of all. Every bucket's
// graph has the same parameters and optimizer state, so the steps share them.
import type { Random } from "../engine/random.js";

/** A bucket must save at least this fraction of the next larger bucket's steps to be worth a graph. */
const MIN_SAVING = 0.2;

/**
 * Upper bounds, ascending, of at most `count` buckets over the lengths of `rows`: the length
 * quantiles k/count, the last the longest length; a bound that saves less than a fifth of the steps
 * of the next larger one is dropped (its rows join that bucket).
 * @example bucketBounds(lengths, train, 4) // [12, 25, 40, 97]
 */
export function bucketBounds(lengths: Int32Array, rows: Int32Array, count: number): number[] {
  if (rows.length === 0) throw new Error("length buckets need at least one row");
  const sorted = Int32Array.from(rows, (r) => lengths[r]).sort();
  const candidates = Array.from({ length: count }, (_v, k) => sorted[Math.ceil(((k + 1) * sorted.length) / count) - 1]);
  const bounds = [candidates[count - 1]];
  for (let k = count - 2; k >= 0; k--) {
    if (candidates[k] <= (1 - MIN_SAVING) * bounds[0]) bounds.unshift(candidates[k]);
  }
  return bounds;
}

/** `rows` grouped by the smallest bound at least as long as each row, in their given order. */
export function bucketRows(lengths: Int32Array, rows: Int32Array, bounds: readonly number[]): Int32Array[] {
  const groups: number[][] = bounds.map(() => []);
  for (const r of rows) {
    const k = bounds.findIndex((b) => lengths[r] <= b);
    if (k < 0) throw new Error(`row ${r} has length ${lengths[r]}, beyond the longest bucket (${bounds[bounds.length - 1]})`);
    groups[k].push(r);
  }
  return groups.map((g) => Int32Array.from(g));
}

/** One batch of an epoch: rows of one bucket. */
export interface Batch {
  bucket: number;
  rows: Int32Array;
}

/**
 * One epoch's batches: each bucket's rows shuffled and cut into batches of `batchSize`; with
 * several buckets the batches are shuffled too, so that the updates mix lengths.
 */
export function epochBatches(buckets: readonly Int32Array[], batchSize: number, rng: Random): Batch[] {
  const batches: Batch[] = [];
  buckets.forEach((rows, bucket) => {
    const order = rng.shuffle(Int32Array.from(rows));
    for (let start = 0; start < order.length; start += batchSize) batches.push({ bucket, rows: order.subarray(start, Math.min(order.length, start + batchSize)) });
  });
  return buckets.length > 1 ? rng.shuffle(batches) : batches;
}
