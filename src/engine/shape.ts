// Static shape rules over dimensions that may be symbolic (named, known only at run time).
import type { Dim, Shape } from "./graph.js";

/** NumPy-style broadcast of two shapes; throws with both shapes when they cannot broadcast. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else if (typeof da === "string") out.push(db);
    else if (typeof db === "string") out.push(da);
    else throw new Error(`shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
  }
  return out;
}

/**
 * The axes of `from` to sum over so that a gradient of shape `from` becomes one of shape `to`
 * (the reverse of broadcasting `to` up to `from`): leading axes `to` lacks, and axes where `to` is 1.
 * Decided from static shapes: a named dim is taken never to be a broadcast 1 at run time, so the
 * engine does not support feeding size 1 to a named dim that meets a fixed size > 1.
 */
export function reductionAxes(from: Shape, to: Shape): { leading: number[]; kept: number[] } {
  const extra = from.length - to.length;
  if (extra < 0) throw new Error(`cannot reduce [${from.join(", ")}] to the larger [${to.join(", ")}]`);
  const leading: number[] = [];
  for (let i = 0; i < extra; i++) leading.push(i);
  const kept: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (to[i] === 1 && from[extra + i] !== 1) kept.push(extra + i);
  }
  return { leading, kept };
}

/** Normalises a possibly negative axis for a given rank. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
