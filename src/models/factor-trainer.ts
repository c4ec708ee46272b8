// Training a factor model (mf, bpr) with compiled steps that see only the rows a batch touches: the
// user and item tables live here, in full; each step is fed the batch's distinct rows as blocks
// (their parameters and optimizer state), and the updated rows are written back. A step therefore
// costs O(batch x factors) whatever the number of users and items, as with sparse embeddings and a
// lazy optimizer in other frameworks (Adam's moments of a row advance only when the row is used).
import type { Interactions } from "../data/interactions.js";
import type { CompiledStep } from "../engine/training-step.js";
import { compileTrainingStep } from "../engine/training-step.js";
import { Random } from "../engine/random.js";
import { learningRate } from "../engine/schedules.js";
import { MaasError } from "../errors.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import type { BlockShape, FactorKind, FactorWeights } from "./factorization.js";
import { BATCH, ITEM_TABLES, USER_TABLES, bprObjective, mfObjective, svdppObjective, userTables } from "./factorization.js";
import { EpochLog } from "./epoch-log.js";
import type { EpochReport } from "./trainer.js";
import { optimizerConfig } from "./trainer.js";
import type { TrainingSpec } from "./spec.js";

export interface FactorSpec {
  kind: Exclude<FactorKind, "popularity">;
  factors: number;
  reg: number;
}

export interface FactorFitOptions {
  onEpoch?: (report: EpochReport) => void;
  signal?: AbortSignal;
  /** The epoch's validation: loss (lower is better) and metrics of the current weights. */
  validate?: (w: FactorWeights) => { loss: number; metrics: Record<string, number> };
  /** Start from these weights (same users and items, in order) instead of random factors. */
  initial?: FactorWeights;
}

export interface FactorFit {
  weights: FactorWeights;
  history: EpochReport[];
  bestEpoch: number;
  stoppedEarly: boolean;
}

/** Standard deviation of the initial factors (the common choice of biased-MF implementations). */
const INIT_STD = 0.1;
/** Tries to draw an item a user has not interacted with before one that is taken anyway. */
const NEGATIVE_TRIES = 20;

/** One table kept in full, fed to the step as blocks of the rows a batch touches. */
interface RowTable {
  /** The carry it is fed as (a parameter or its optimizer state). */
  input: string;
  output: string;
  width: number;
  side: "user" | "item";
  full: Float32Array;
  block: Tensor;
  next: Tensor;
}

const zeros = (dims: number[]): Tensor => ({ dtype: "float32", dims, data: new Float32Array(dims.reduce((a, d) => a * d, 1)) });

/** Fits a factor model on the interactions `rows` of `x`. */
export async function fitFactors(runtime: Runtime, spec: FactorSpec, training: TrainingSpec, x: Interactions, rows: Int32Array, options: FactorFitOptions = {}): Promise<FactorFit> {
  if (spec.kind !== "bpr" && !x.rating) throw new MaasError("bad_input", `${spec.kind} learns from ratings: name the rating column (target)`);
  if (rows.length === 0) throw new MaasError("bad_input", "no interactions to train on");
  // SVD++ batches hold whole users: the blocks must fit the user with the most ratings.
  const histories = spec.kind === "svdpp" ? userRows(x, rows) : undefined;
  const longest = histories ? Math.max(...histories.map((h) => h.length)) : 0;
  const B = Math.max(Math.min(training.batchSize, rows.length), longest);
  const mu = x.rating && spec.kind !== "bpr" ? mean(x.rating, rows) : 0;
  const shape: BlockShape = { factors: spec.factors, reg: spec.reg, userRows: B, itemRows: spec.kind === "bpr" ? 2 * B : B, mean: mu };
  const step = factorStep(spec, training, shape);
  const session = await runtime.createSession(step.model, { threads: training.threads });
  try {
    return await loop(session, step, spec, training, x, rows, shape, options, histories);
  } finally {
    await session.release();
  }
}

/** The compiled training step of a factor model: its inputs are blocks of `shape`'s rows, whatever the catalogue's size. */
export function factorStep(spec: FactorSpec, training: TrainingSpec, shape: BlockShape): CompiledStep {
  const objective = { mf: mfObjective, svdpp: svdppObjective, bpr: bprObjective }[spec.kind];
  return compileTrainingStep((b) => objective(b, shape), optimizerConfig(training));
}

/** Each user's training interactions (indices into `x`). */
function userRows(x: Interactions, rows: Int32Array): Int32Array[] {
  const lists: number[][] = Array.from({ length: x.users.length }, () => []);
  for (const r of rows) lists[x.user[r]].push(r);
  return lists.map((l) => Int32Array.from(l));
}

/**
 * One epoch's batches: shuffled slices of the rows; for SVD++, whole users in shuffled order, as
 * many as fit `capacity` ratings.
 */
function epochBatches(rows: Int32Array, batchSize: number, histories: Int32Array[] | undefined, rng: Random): Int32Array[] {
  const order = Int32Array.from(rows);
  if (!histories) {
    shuffle(order, rng);
    const out: Int32Array[] = [];
    for (let start = 0; start < order.length; start += batchSize) out.push(order.subarray(start, Math.min(order.length, start + batchSize)));
    return out;
  }
  const users = Int32Array.from({ length: histories.length }, (_v, u) => u);
  shuffle(users, rng);
  const out: Int32Array[] = [];
  let start = 0;
  let end = 0;
  for (const u of users) {
    const h = histories[u];
    if (h.length === 0) continue;
    if (end - start + h.length > Math.max(batchSize, h.length)) {
      out.push(order.subarray(start, end));
      start = end;
    }
    order.set(h, end);
    end += h.length;
  }
  if (end > start) out.push(order.subarray(start, end));
  return out;
}

async function loop(session: Session, step: CompiledStep, spec: FactorSpec, training: TrainingSpec, x: Interactions, rows: Int32Array, shape: BlockShape, options: FactorFitOptions, histories?: Int32Array[]): Promise<FactorFit> {
  const [U, I] = [x.users.length, x.items.length];
  const rng = new Random(training.seed);
  const initRng = rng.fork();
  const shuffleRng = rng.fork();
  const negativeRng = rng.fork();

  // The tables in full: factors drawn, biases and optimizer state zero.
  const itemTables = [ITEM_TABLES.factors, ITEM_TABLES.bias, ...(spec.kind === "svdpp" ? [ITEM_TABLES.implicit] : [])];
  const owner = (name: string) => [...userTables(spec.kind), ...itemTables].find((t) => name === t || name.startsWith(`${t}.`));
  const tables: RowTable[] = [];
  const dense: Record<string, Tensor> = {};
  const spare: Record<string, Tensor> = { loss: zeros([]) };
  for (const c of step.carries) {
    const table = owner(c.input);
    if (!table) {
      dense[c.input] = zeros(c.shape);
      spare[c.output] = zeros(c.shape);
      continue;
    }
    const side = table.startsWith("user.") ? "user" : "item";
    const width = c.shape[1];
    const full = new Float32Array((side === "user" ? U : I) * width);
    const start = options.initial ? initialTable(options.initial, c.input) : undefined;
    if (start) full.set(start.subarray(0, full.length));
    else if (c.input === table && table.endsWith(".factors")) for (let k = 0; k < full.length; k++) full[k] = INIT_STD * initRng.normal();
    tables.push({ input: c.input, output: c.output, width, side, full, block: zeros(c.shape), next: zeros(c.shape) });
    spare[c.output] = tables[tables.length - 1].next;
  }

  // The batch's distinct rows: slot[row] is the row's place in the block (-1: not in this batch).
  const userSlot = new Int32Array(U).fill(-1);
  const itemSlot = new Int32Array(I).fill(-1);
  const usersIn = new Int32Array(shape.userRows);
  const itemsIn = new Int32Array(shape.itemRows);
  const B = shape.userRows;
  const local = { u: new BigInt64Array(B), i: new BigInt64Array(B), j: new BigInt64Array(B), r: new Float32Array(B) };
  const positives = spec.kind === "bpr" ? pairSet(x, rows) : undefined;

  const fetch = ["loss", ...step.carries.map((c) => c.output)];
  const batchesPerEpoch = epochBatches(rows, training.batchSize, histories, new Random(0)).length;
  // SVD++: |N(u)|^-½ per user, placed in the batch's membership matrix.
  const norm = histories?.map((h) => (h.length > 0 ? 1 / Math.sqrt(h.length) : 0));
  const members = histories ? new Float32Array(shape.userRows * B) : undefined;
  const log = new EpochLog<FactorWeights>(training, options.onEpoch);
  let stepCount = 0;

  for (let epoch = 0; epoch < training.epochs; epoch++) {
    const started = performance.now();
    let lossSum = 0;
    let lr = training.lr;
    for (const batch of epochBatches(rows, training.batchSize, histories, shuffleRng)) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("training was cancelled");
      const n = batch.length;
      let nu = 0;
      let ni = 0;
      const slotOf = (slots: Int32Array, into: Int32Array, row: number, count: number): [number, number] => {
        if (slots[row] < 0) {
          slots[row] = count;
          into[count++] = row;
        }
        return [slots[row], count];
      };
      for (let b = 0; b < n; b++) {
        const e = batch[b];
        let s: number;
        [s, nu] = slotOf(userSlot, usersIn, x.user[e], nu);
        local.u[b] = BigInt(s);
        [s, ni] = slotOf(itemSlot, itemsIn, x.item[e], ni);
        local.i[b] = BigInt(s);
        if (x.rating) local.r[b] = x.rating[e];
        if (positives) {
          const j = negativeItem(x.user[e], I, positives, negativeRng);
          [s, ni] = slotOf(itemSlot, itemsIn, j, ni);
          local.j[b] = BigInt(s);
        }
      }
      for (const t of tables) gatherRows(t, t.side === "user" ? usersIn : itemsIn, t.side === "user" ? nu : ni);
      lr = learningRate(training.schedule, training.lr, { step: stepCount, epoch, totalSteps: training.epochs * batchesPerEpoch });
      stepCount++;
      const feeds: Record<string, Tensor> = {
        ...dense,
        [BATCH.user]: { dtype: "int64", dims: [n], data: local.u.subarray(0, n) },
        [BATCH.item]: { dtype: "int64", dims: [n], data: local.i.subarray(0, n) },
        lr: { dtype: "float32", dims: [], data: Float32Array.of(lr) },
        step: { dtype: "float32", dims: [], data: Float32Array.of(stepCount) },
      };
      for (const t of tables) feeds[t.input] = t.block;
      if (spec.kind === "bpr") feeds[BATCH.negative] = { dtype: "int64", dims: [n], data: local.j.subarray(0, n) };
      else feeds[BATCH.rating] = { dtype: "float32", dims: [n], data: local.r.subarray(0, n) };
      if (members && norm) {
        const m = members.subarray(0, shape.userRows * n).fill(0);
        for (let e = 0; e < n; e++) m[Number(local.u[e]) * n + e] = norm[x.user[batch[e]]];
        feeds[BATCH.members] = { dtype: "float32", dims: [shape.userRows, n], data: m };
      }
      const out = await session.run(feeds, fetch, spare);
      lossSum += (out.loss.data as Float32Array)[0];
      for (const t of tables) scatterRows(t, t.side === "user" ? usersIn : itemsIn, t.side === "user" ? nu : ni);
      for (const c of step.carries) {
        if (c.input in dense) [dense[c.input], spare[c.output]] = [spare[c.output], dense[c.input]];
      }
      for (let k = 0; k < nu; k++) userSlot[usersIn[k]] = -1;
      for (let k = 0; k < ni; k++) itemSlot[itemsIn[k]] = -1;
    }
    const trainSeconds = (performance.now() - started) / 1000;
    const trainLoss = lossSum / rows.length;
    if (!Number.isFinite(trainLoss)) throw new MaasError("unprocessable", `training diverged in epoch ${epoch + 1} (loss ${trainLoss}); lower the learning rate (now ${training.lr})`);
    const epochDone = { trainLoss, lr, samples: rows.length, started, trainSeconds };
    if (log.recordEpoch(epoch + 1, epochDone, () => weightsOf(x, shape, tables, histories), options.validate)) break;
  }
  return log.result(() => weightsOf(x, shape, tables, histories));
}

/** A parameter table of `w` by name (its rows without the zero row); undefined for optimizer state. */
function initialTable(w: FactorWeights, name: string): Float32Array | undefined {
  const tables: Record<string, Float32Array> = {
    [USER_TABLES.factors]: w.userFactors,
    [USER_TABLES.bias]: w.userBias,
    [ITEM_TABLES.factors]: w.itemFactors,
    [ITEM_TABLES.bias]: w.itemBias,
  };
  return tables[name];
}

function gatherRows(t: RowTable, rows: Int32Array, count: number): void {
  const block = t.block.data as Float32Array;
  for (let k = 0; k < count; k++) block.set(t.full.subarray(rows[k] * t.width, (rows[k] + 1) * t.width), k * t.width);
}

function scatterRows(t: RowTable, rows: Int32Array, count: number): void {
  const next = t.next.data as Float32Array;
  for (let k = 0; k < count; k++) t.full.set(next.subarray(k * t.width, (k + 1) * t.width), rows[k] * t.width);
}

/**
 * The current tables as a model's weights: copies, each with the zero row for unknown ids appended;
 * for SVD++, each user's |N(u)|^-½ Σ y_j folded into p_u (what the user scores with).
 */
function weightsOf(x: Interactions, shape: BlockShape, tables: RowTable[], histories?: Int32Array[]): FactorWeights {
  const [U, I, f] = [x.users.length, x.items.length, shape.factors];
  const table = (name: string, rows: number, width: number) => {
    const out = new Float32Array((rows + 1) * width);
    const t = tables.find((r) => r.input === name);
    if (t) out.set(t.full);
    return out;
  };
  const userFactors = table(USER_TABLES.factors, U, f);
  const implicit = tables.find((r) => r.input === ITEM_TABLES.implicit);
  if (histories && implicit) {
    histories.forEach((h, u) => {
      const scale = h.length > 0 ? 1 / Math.sqrt(h.length) : 0;
      for (const e of h) for (let k = 0; k < f; k++) userFactors[u * f + k] += scale * implicit.full[x.item[e] * f + k];
    });
  }
  return {
    users: x.users,
    items: x.items,
    factors: f,
    userFactors,
    userBias: table(USER_TABLES.bias, U, 1),
    itemFactors: table(ITEM_TABLES.factors, I, f),
    itemBias: table(ITEM_TABLES.bias, I, 1),
    mean: shape.mean,
  };
}

function mean(values: Float32Array, rows: Int32Array): number {
  let s = 0;
  for (const r of rows) s += values[r];
  return s / rows.length;
}

function shuffle(a: Int32Array, rng: Random): void {
  for (let k = a.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [a[k], a[j]] = [a[j], a[k]];
  }
}

/** The observed (user, item) pairs, as user * items + item. */
function pairSet(x: Interactions, rows: Int32Array): Set<number> {
  const I = x.items.length;
  const set = new Set<number>();
  for (const r of rows) set.add(x.user[r] * I + x.item[r]);
  return set;
}

/** A uniformly drawn item the user has not interacted with (after a few tries, any item). */
function negativeItem(user: number, items: number, positives: Set<number>, rng: Random): number {
  let j = rng.int(items);
  for (let t = 0; t < NEGATIVE_TRIES && positives.has(user * items + j); t++) j = rng.int(items);
  return j;
}
