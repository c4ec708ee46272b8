// Seeded train/test splits of interactions for evaluating recommenders. Each returns interaction
// indices (into the arrays of an `Interactions`) in ascending order, so both sides keep the file
// order; the same seed gives the same split.
import type { Random } from "../engine/random.js";
import { inputError } from "../errors.js";
import type { Interactions } from "./interactions.js";

/** Interaction indices on each side of a split, ascending. */
export interface InteractionSplit {
  train: Int32Array;
  test: Int32Array;
}

/**
 * Holds out round(N × fraction) interactions drawn uniformly at random, whoever they belong to: the
 * usual split for rating prediction. A test interaction's user or item may be absent from train.
 * @example randomHoldout(x, 0.2, new Random(1)).test.length // Math.round(0.2 * x.user.length)
 */
export function randomHoldout(x: Interactions, fraction: number, rng: Random): InteractionSplit {
  checkFraction(fraction);
  const n = x.user.length;
  const order = rng.permutation(n);
  const held = Math.round(n * fraction);
  return { train: order.slice(held).sort(), test: order.slice(0, held).sort() };
}

/**
 * Splits 0..count-1 at random into k folds whose sizes differ by at most one; fold i is the test
 * set of round i (its train set is every other fold). Needs 2 <= k <= count.
 * @example kFolds(10, 3, new Random(1)).map((f) => f.length) // [3, 3, 4]
 */
export function kFolds(count: number, k: number, rng: Random): Int32Array[] {
  if (!Number.isInteger(k) || k < 2 || k > count) {
    throw inputError(`k-fold cross-validation needs an integer k from 2 to the number of interactions (${count}); got ${k}`);
  }
  const order = rng.permutation(count);
  // Fold i takes positions [⌊i·count/k⌋, ⌊(i+1)·count/k⌋) of the permutation.
  return Array.from({ length: k }, (_v, i) => order.slice(Math.floor((i * count) / k), Math.floor(((i + 1) * count) / k)).sort());
}

/**
 * Per user, holds out round(m × fraction) of the user's m interactions, chosen at random, but at
 * least 1 and at most m - 1; a user with one interaction keeps it in train. So every test user is
 * in train; an item may still appear only in test (it is kept: models score it as unseen).
 * @example perUserHoldout(x, 0.2, new Random(1))
 */
export function perUserHoldout(x: Interactions, fraction: number, rng: Random): InteractionSplit {
  checkFraction(fraction);
  const { offsets, members } = byUser(x);
  const test: number[] = [];
  for (let u = 0; u < x.users.length; u++) {
    const mine = members.subarray(offsets[u], offsets[u + 1]);
    const m = mine.length;
    if (m < 2) continue;
    rng.shuffle(mine);
    const held = Math.min(Math.max(Math.round(m * fraction), 1), m - 1);
    for (let j = 0; j < held; j++) test.push(mine[j]);
  }
  return complement(x.user.length, test);
}

/**
 * Per user with at least 2 interactions, holds out the latest: the one with the greatest `x.time`,
 * or, on a tie or when `x` has no time, the last in `x`'s order (for a file read by
 * `readInteractions`, the file order). Every test user is in train; the held-out item may appear
 * only in test (it is kept).
 * @example leaveLastOut(x).test // one interaction per user with two or more
 */
export function leaveLastOut(x: Interactions): InteractionSplit {
  const n = x.user.length;
  const latest = new Int32Array(x.users.length).fill(-1);
  const count = new Int32Array(x.users.length);
  for (let i = 0; i < n; i++) {
    const u = x.user[i];
    count[u]++;
    if (latest[u] < 0 || !x.time || x.time[i] >= x.time[latest[u]]) latest[u] = i;
  }
  return complement(n, latest.filter((_i, u) => count[u] >= 2));
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function checkFraction(fraction: number): void {
  if (!(fraction > 0 && fraction < 1)) throw inputError(`the test fraction must be between 0 and 1 (exclusive); got ${fraction}`);
}

/** Interaction indices grouped by user (a counting sort): user u's are members[offsets[u]..offsets[u+1]), ascending. */
function byUser(x: Interactions): { offsets: Int32Array; members: Int32Array } {
  const offsets = new Int32Array(x.users.length + 1);
  for (const u of x.user) offsets[u + 1]++;
  for (let u = 0; u < x.users.length; u++) offsets[u + 1] += offsets[u];
  const next = offsets.slice(0, x.users.length);
  const members = new Int32Array(x.user.length);
  for (let i = 0; i < x.user.length; i++) members[next[x.user[i]]++] = i;
  return { offsets, members };
}

/** The split with `test` (any order) as the test side and every other index of 0..n-1 as train. */
function complement(n: number, test: ArrayLike<number>): InteractionSplit {
  const held = new Uint8Array(n);
  for (let j = 0; j < test.length; j++) held[test[j]] = 1;
  const train = new Int32Array(n - test.length);
  const out = new Int32Array(test.length);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (held[i]) out[b++] = i;
    else train[a++] = i;
  }
  return { train, test: out };
}
