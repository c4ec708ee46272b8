// Implicit-feedback alternating least squares (Hu, Koren & Volinsky 2008): every (user, item) pair
// counts, observed ones with confidence c = 1 + α·value and preference 1, the rest with c = 1 and
// preference 0:
//   min Σ_{u,i} c_ui (p_ui - x_u · y_i)² + λ (Σ |x_u|² + Σ |y_i|²)
// Each half-iteration solves every user's (then item's) regularised least squares with the others
// fixed: (YᵀY + Yᵀ(C_u - I)Y + λI) x_u = Yᵀ C_u p_u, by a few conjugate-gradient steps from the
// current x_u (Takács et al. 2011, as the `implicit` library does). The steps are one ONNX graph
// over batches of users: only matrix products and elementwise operations, with YᵀY computed once.
// A full-batch method: each half-iteration reads the whole other table.
import type { Interactions } from "../data/interactions.js";
import { Graph } from "../engine/graph.js";
import type { Value } from "../engine/graph.js";
import { add, div, gather, matmul, mul, reduceSum, sub, transpose, unsqueeze } from "../engine/ops.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { Random } from "../engine/random.js";
import { MaasError } from "../errors.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import type { FactorWeights } from "./factorization.js";
import type { FactorFit, FactorFitOptions } from "./factor-trainer.js";
import { EpochLog } from "./epoch-log.js";
import type { TrainingSpec } from "./spec.js";

export interface AlsSpec {
  factors: number;
  /** λ */
  reg: number;
  /** α: confidence per unit of interaction value. */
  alpha: number;
}

/** Conjugate-gradient steps per solve (the `implicit` library's default). */
const CG_STEPS = 3;
/** Rows solved per run of the graph. */
const ROWS_PER_RUN = 512;
const INIT_STD = 0.01;

/**
 * The solve graph: `x` [B, f] current rows, `idx` [B, L] the other side's rows each interacted
 * with (padding: the zero row at the table's end), `conf` [B, L] their confidences (padding: 1,
 * which weighs nothing in C - I), `table` [M + 1, f], `gram` [f, f] = tableᵀ table -> `next` [B, f].
 */
export function solveGraph(f: number, reg: number): Graph {
  const g = new Graph("als_solve", "float32");
  const x0 = g.input("x", "float32", ["B", f]);
  const idx = g.input("idx", "int64", ["B", "L"]);
  const conf = g.input("conf", "float32", ["B", "L"]);
  const table = g.input("table", "float32", ["M", f]);
  const gram = g.input("gram", "float32", [f, f]);
  const Yb = gather(table, idx); // [B, L, f]
  const weight = sub(conf, 1); // c - 1: 0 on padding
  // A v = v YᵀY + Σ_L (c - 1)(y · v) y + λ v
  const apply = (v: Value): Value => {
    const yv = reduceSum(mul(Yb, unsqueeze(v, [1])), [2]); // [B, L]
    const sparse = reduceSum(mul(Yb, unsqueeze(mul(weight, yv), [2])), [1]); // [B, f]
    return add(add(matmul(v, gram), sparse), mul(v, reg));
  };
  const rowDot = (a: Value, b: Value): Value => reduceSum(mul(a, b), [1], true); // [B, 1]
  const tiny = g.scalar(1e-20);
  const safe = (v: Value): Value => add(v, tiny);
  const b = reduceSum(mul(Yb, unsqueeze(conf, [2])), [1]); // Yᵀ C_u p_u, p = 1 where observed
  let x = x0;
  let r = sub(b, apply(x));
  let p = r;
  let rs = rowDot(r, r);
  for (let step = 0; step < CG_STEPS; step++) {
    const Ap = apply(p);
    const alpha = div(rs, safe(rowDot(p, Ap)));
    x = add(x, mul(alpha, p));
    r = sub(r, mul(alpha, Ap));
    const rsNext = rowDot(r, r);
    p = add(r, mul(div(rsNext, safe(rs)), p));
    rs = rsNext;
  }
  g.output(x, "next");
  return g;
}

/** The gram graph: `table` [M, f] -> `gram` [f, f] = tableᵀ table. */
function gramGraph(f: number): Graph {
  const g = new Graph("als_gram", "float32");
  const t = g.input("table", "float32", ["M", f]);
  g.output(matmul(transpose(t, [1, 0]), t), "gram");
  return g;
}

/** One side's interactions as CSR: for each row, the other side's indices and confidences. */
interface Csr {
  offsets: Int32Array;
  other: Int32Array;
  conf: Float32Array;
}

function csr(rows: number, own: Int32Array, other: Int32Array, conf: Float32Array, pick: Int32Array): Csr {
  const offsets = new Int32Array(rows + 1);
  for (const e of pick) offsets[own[e] + 1]++;
  for (let r = 0; r < rows; r++) offsets[r + 1] += offsets[r];
  const fill = offsets.slice(0, -1);
  const o = new Int32Array(pick.length);
  const c = new Float32Array(pick.length);
  for (const e of pick) {
    o[fill[own[e]]] = other[e];
    c[fill[own[e]]++] = conf[e];
  }
  return { offsets, other: o, conf: c };
}

/** Fits implicit ALS on the interactions `rows` of `x` (values: `x.rating` when given, else 1). */
export async function fitAls(runtime: Runtime, spec: AlsSpec, training: TrainingSpec, x: Interactions, rows: Int32Array, options: FactorFitOptions = {}): Promise<FactorFit> {
  if (rows.length === 0) throw new MaasError("bad_input", "no interactions to train on");
  const [U, I, f] = [x.users.length, x.items.length, spec.factors];
  const conf = Float32Array.from(x.user, (_u, e) => 1 + spec.alpha * (x.rating ? x.rating[e] : 1));
  const byUser = csr(U, x.user, x.item, conf, rows);
  const byItem = csr(I, x.item, x.user, conf, rows);
  const rng = new Random(training.seed).fork();
  // Tables with the zero row (padding, unknown ids) at the end.
  const X = Float32Array.from({ length: (U + 1) * f }, (_v, k) => (k < U * f ? INIT_STD * rng.normal() : 0));
  const Y = Float32Array.from({ length: (I + 1) * f }, (_v, k) => (k < I * f ? INIT_STD * rng.normal() : 0));
  const solve = await runtime.createSession(encodeModel(solveGraph(f, spec.reg)), { threads: training.threads });
  const gram = await runtime.createSession(encodeModel(gramGraph(f)), { threads: training.threads });
  try {
    const log = new EpochLog<FactorWeights>(training, options.onEpoch);
    for (let epoch = 0; epoch < training.epochs; epoch++) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("training was cancelled");
      const started = performance.now();
      await halfStep(solve, gram, X, U, Y, I, f, byUser);
      await halfStep(solve, gram, Y, I, X, U, f, byItem);
      const trainLoss = objective(X, U, Y, I, f, byUser, spec.reg) / rows.length;
      if (!Number.isFinite(trainLoss)) throw new MaasError("unprocessable", `ALS diverged in iteration ${epoch + 1}; raise reg (now ${spec.reg})`);
      const trainSeconds = (performance.now() - started) / 1000;
      const epochDone = { trainLoss, lr: 0, samples: rows.length, started, trainSeconds };
      if (log.recordEpoch(epoch + 1, epochDone, () => weightsOf(x, f, X, Y), options.validate)) break;
    }
    return log.result(() => weightsOf(x, f, X, Y));
  } finally {
    await solve.release();
    await gram.release();
  }
}

const floats = (data: Float32Array, dims: number[]): Tensor => ({ dtype: "float32", dims, data });

/** Solves every row of `own` [rows + 1, f] against `other` [others + 1, f], in batches of rows of similar history length. */
async function halfStep(solve: Session, gram: Session, own: Float32Array, rows: number, other: Float32Array, others: number, f: number, lists: Csr): Promise<void> {
  const table = floats(other, [others + 1, f]);
  const G = (await gram.run({ table: floats(other.subarray(0, others * f), [others, f]) }, ["gram"])).gram;
  // Rows by history length: a batch is padded to its longest list only.
  const order = Array.from({ length: rows }, (_v, r) => r).sort((a, b) => lists.offsets[a + 1] - lists.offsets[a] - (lists.offsets[b + 1] - lists.offsets[b]));
  for (let start = 0; start < rows; start += ROWS_PER_RUN) {
    const batch = order.slice(start, start + ROWS_PER_RUN);
    const B = batch.length;
    const L = Math.max(1, ...batch.map((r) => lists.offsets[r + 1] - lists.offsets[r]));
    const idx = new BigInt64Array(B * L).fill(BigInt(others));
    const conf = new Float32Array(B * L).fill(1);
    const xs = new Float32Array(B * f);
    batch.forEach((r, n) => {
      for (let j = lists.offsets[r], k = 0; j < lists.offsets[r + 1]; j++, k++) {
        idx[n * L + k] = BigInt(lists.other[j]);
        conf[n * L + k] = lists.conf[j];
      }
      xs.set(own.subarray(r * f, (r + 1) * f), n * f);
    });
    const out = await solve.run({ x: floats(xs, [B, f]), idx: { dtype: "int64", dims: [B, L], data: idx }, conf: floats(conf, [B, L]), table, gram: G }, ["next"]);
    const next = out.next.data as Float32Array;
    batch.forEach((r, n) => own.set(next.subarray(n * f, (n + 1) * f), r * f));
  }
}

/**
 * The objective per the whole matrix, from the observed pairs alone: Σ_u x_uᵀ(YᵀY)x_u counts every
 * pair as unobserved; each observed pair then adds c(1 - s)² - s².
 */
function objective(X: Float32Array, U: number, Y: Float32Array, I: number, f: number, byUser: Csr, reg: number): number {
  const G = new Float64Array(f * f);
  for (let i = 0; i < I; i++) for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) G[a * f + b] += Y[i * f + a] * Y[i * f + b];
  let loss = 0;
  for (let u = 0; u < U; u++) {
    for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) loss += X[u * f + a] * G[a * f + b] * X[u * f + b];
    for (let j = byUser.offsets[u]; j < byUser.offsets[u + 1]; j++) {
      const i = byUser.other[j];
      let s = 0;
      for (let k = 0; k < f; k++) s += X[u * f + k] * Y[i * f + k];
      loss += byUser.conf[j] * (1 - s) ** 2 - s * s;
    }
  }
  let norms = 0;
  for (let k = 0; k < U * f; k++) norms += X[k] * X[k];
  for (let k = 0; k < I * f; k++) norms += Y[k] * Y[k];
  return loss + reg * norms;
}

/** The tables as a model's weights: no biases; the unknown-user row is the mean user (a popularity-like ranking). */
function weightsOf(x: Interactions, f: number, X: Float32Array, Y: Float32Array): FactorWeights {
  const [U, I] = [x.users.length, x.items.length];
  const userFactors = X.slice();
  for (let k = 0; k < f; k++) {
    let s = 0;
    for (let u = 0; u < U; u++) s += X[u * f + k];
    userFactors[U * f + k] = s / U;
  }
  return { users: x.users, items: x.items, factors: f, userFactors, userBias: new Float32Array(U + 1), itemFactors: Y.slice(), itemBias: new Float32Array(I + 1), mean: 0 };
}
