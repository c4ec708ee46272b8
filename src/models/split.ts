// Seeded train/validation splits.
import type { Random } from "../engine/random.js";

export interface Split {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * Holds out `fraction` of the rows. With `classes` given, each class is split in the same
 * proportion (stratified), so a rare class appears on both sides when it has at least two rows.
 */
export function splitRows(rows: number, fraction: number, rng: Random, labels?: ArrayLike<number>, classes = 0): Split {
  if (fraction <= 0 || rows < 2) return { train: rng.permutation(rows), validation: new Int32Array(0) };
  const groups: number[][] = [];
  if (labels && classes > 0) {
    for (let k = 0; k < classes; k++) groups.push([]);
    for (let i = 0; i < rows; i++) groups[labels[i]].push(i);
  } else groups.push(Array.from({ length: rows }, (_v, i) => i));
  const train: number[] = [];
  const validation: number[] = [];
  for (const group of groups) {
    rng.shuffle(group);
    let held = Math.round(group.length * fraction);
    if (group.length >= 2) held = Math.min(Math.max(held, 1), group.length - 1);
    else held = 0;
    validation.push(...group.slice(0, held));
    train.push(...group.slice(held));
  }
  return { train: rng.shuffle(Int32Array.from(train)), validation: Int32Array.from(validation) };
}
