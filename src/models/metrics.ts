// Evaluation metrics for trained models, matching scikit-learn's definitions (sklearn 1.2) except
// where a doc comment below says otherwise. Pure TypeScript over flat arrays, so the server, the
// CLI and the dashboard compute the same numbers; every metric is one pass over the rows except
// ROC-AUC, which sorts each class's scores once (O(N log N)).

/** Regression quality of predictions `ŷ` against targets `y`. */
export interface RegressionMetrics {
  /** Mean squared error, Σ(y - ŷ)² / N. */
  mse: number;
  /** √mse, in the target's units. */
  rmse: number;
  /** Mean absolute error, Σ|y - ŷ| / N. */
  mae: number;
  /** Coefficient of determination, 1 - SS_res / SS_tot (see `regressionMetrics` for a constant target). */
  r2: number;
}

/** Classification quality of predicted class probabilities against true class indices. */
export interface ClassificationMetrics {
  /** Fraction of rows whose argmax class is the true class. */
  accuracy: number;
  /** Mean negative log-probability of the true class, -Σ ln max(p_true, 1e-15) / N. */
  logLoss: number;
  /** Unweighted mean over all K classes of per-class F1 (0 for a class without true or predicted rows). */
  macroF1: number;
  /** Binary ROC-AUC of p[:, 1] for K = 2; macro one-vs-rest average for K > 2; NaN when undefined. */
  rocAuc: number;
  /** `confusion[i][j]` counts rows of true class i predicted as class j (K x K). */
  confusion: number[][];
}

/** Probabilities are floored here before the log, as sklearn < 1.2 did by default (eps=1e-15). */
const LOG_LOSS_EPS = 1e-15;

// ---------------------------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------------------------

/**
 * MSE, RMSE, MAE and R² of `yPred` against `yTrue`.
 *
 * R² follows sklearn's `r2_score` (force_finite=True) when the target is constant (SS_tot = 0):
 * 1 if the predictions are perfect (SS_res = 0), else 0, instead of NaN or -∞. Constancy is tested
 * exactly (every y equals the first) rather than as SS_tot === 0, because the computed mean of
 * a constant like 0.1 can differ from it in the last bit: sklearn then divides by SS_tot ≈ 1e-34
 * and returns about -5e27, where this returns 0.
 * @example regressionMetrics([3, -0.5, 2, 7], [2.5, 0, 2, 8]).r2 // 0.9486...
 */
export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionMetrics {
  const n = yTrue.length;
  if (yPred.length !== n) throw new Error(`regressionMetrics: yTrue has ${n} rows, yPred has ${yPred.length}`);
  if (n === 0) throw new Error("regressionMetrics needs at least one row");

  let sumY = 0;
  let constant = true;
  for (let i = 0; i < n; i++) {
    sumY += yTrue[i];
    if (yTrue[i] !== yTrue[0]) constant = false;
  }
  const meanY = sumY / n;

  let ssRes = 0; // Σ(y - ŷ)²
  let sumAbs = 0; // Σ|y - ŷ|
  let ssTot = 0; // Σ(y - ȳ)², from the mean of a first pass (two passes keep it accurate)
  for (let i = 0; i < n; i++) {
    const e = yTrue[i] - yPred[i];
    ssRes += e * e;
    sumAbs += Math.abs(e);
    const d = yTrue[i] - meanY;
    ssTot += d * d;
  }

  const mse = ssRes / n;
  let r2: number;
  if (ssRes === 0) r2 = 1;
  else if (constant) r2 = 0;
  else r2 = 1 - ssRes / ssTot;
  return { mse, rmse: Math.sqrt(mse), mae: sumAbs / n, r2 };
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

/**
 * Accuracy, log loss, macro F1, ROC-AUC and the confusion matrix of `probabilities` (row-major
 * N x K) against `yTrue` (class indices 0..K-1). The predicted class is the argmax of each row,
 * the lowest index among ties (as numpy's argmax).
 *
 * - logLoss uses the probabilities as given: -ln max(p_true, 1e-15). sklearn 1.2's `log_loss` also
 *   clips to [eps, 1-eps] (eps = 2.2e-16 by default) and then renormalizes each row to sum to 1,
 *   so the two agree for rows that already sum to 1 (softmax output) and differ for rows that do not.
 * - macroF1 averages over all K classes, i.e. sklearn's
 *   `f1_score(y, pred, labels=range(K), average="macro", zero_division=0)`. Without `labels`,
 *   sklearn averages only over classes present in y ∪ pred, so a class absent from both counts
 *   here as F1 = 0 but is left out there.
 * - rocAuc for K = 2 is `roc_auc_score(y, p[:, 1])`; for K > 2 it is
 *   `roc_auc_score(y, p, multi_class="ovr", average="macro")`. A class without positive or without
 *   negative rows has no AUC: for K = 2 the result is NaN, for K > 2 the class is left out of the
 *   average (NaN if no class is left), where sklearn raises an error. Scores need not sum to 1.
 * @example classificationMetrics([0, 1], [0.8, 0.2, 0.3, 0.7], 2).accuracy // 1
 */
export function classificationMetrics(
  yTrue: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  classes: number,
): ClassificationMetrics {
  const n = yTrue.length;
  const k = classes;
  if (!Number.isInteger(k) || k < 2) throw new Error(`classificationMetrics needs at least 2 classes; got ${classes}`);
  if (probabilities.length !== n * k) {
    throw new Error(`classificationMetrics: probabilities have ${probabilities.length} values, [${n}, ${k}] needs ${n * k}`);
  }
  if (n === 0) throw new Error("classificationMetrics needs at least one row");

  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let negLogSum = 0;
  for (let i = 0; i < n; i++) {
    const label = yTrue[i];
    if (!Number.isInteger(label) || label < 0 || label >= k) {
      throw new Error(`classificationMetrics: row ${i} has class ${label}, expected an integer in [0, ${k})`);
    }
    const row = i * k;
    let predicted = 0;
    let best = -Infinity;
    for (let j = 0; j < k; j++) {
      if (probabilities[row + j] > best) {
        best = probabilities[row + j];
        predicted = j;
      }
    }
    confusion[label][predicted]++;
    if (predicted === label) correct++;
    negLogSum -= Math.log(Math.max(probabilities[row + label], LOG_LOSS_EPS));
  }

  return {
    accuracy: correct / n,
    logLoss: negLogSum / n,
    macroF1: macroF1(confusion),
    rocAuc: rocAuc(yTrue, probabilities, confusion),
    confusion,
  };
}

/** Mean over classes of F1 = 2TP / (2TP + FP + FN), taken as 0 when the class has no true or predicted rows. */
function macroF1(confusion: number[][]): number {
  const k = confusion.length;
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    let trueRows = 0; // TP + FN
    let predictedRows = 0; // TP + FP
    for (let j = 0; j < k; j++) {
      trueRows += confusion[c][j];
      predictedRows += confusion[j][c];
    }
    const denominator = trueRows + predictedRows; // 2TP + FP + FN
    sum += denominator === 0 ? 0 : (2 * tp) / denominator;
  }
  return sum / k;
}

/** Binary AUC of column 1, or the macro one-vs-rest mean over classes whose AUC is defined. */
function rocAuc(yTrue: ArrayLike<number>, probabilities: ArrayLike<number>, confusion: number[][]): number {
  const n = yTrue.length;
  const k = confusion.length;
  const buffer = new Float64Array(n);
  if (k === 2) return oneVsRestAuc(yTrue, probabilities, k, 1, buffer);
  let sum = 0;
  let defined = 0;
  for (let c = 0; c < k; c++) {
    const positives = confusion[c].reduce((a, b) => a + b, 0);
    if (positives === 0 || positives === n) continue;
    sum += oneVsRestAuc(yTrue, probabilities, k, c, buffer);
    defined++;
  }
  return defined === 0 ? NaN : sum / defined;
}

// ---------------------------------------------------------------------------------------------
// ROC-AUC
// ---------------------------------------------------------------------------------------------

/**
 * Binary ROC-AUC of `scores` for 0/1 `labels` (1 is the positive class): the probability that a
 * random positive scores above a random negative, ties counting ½. NaN without positives or
 * without negatives. Invariant under any strictly increasing transform of the scores.
 * @example binaryRocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // 0.75
 */
export function binaryRocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  if (scores.length !== n) throw new Error(`binaryRocAuc: labels have ${n} rows, scores have ${scores.length}`);
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`binaryRocAuc: row ${i} has label ${labels[i]}, expected 0 or 1`);
  }
  return oneVsRestAuc(labels, scores, 1, 0, new Float64Array(n), 1);
}

/**
 * AUC of the scores `scores[i * stride + column]` for rows with `yTrue[i] === positive` against
 * the others, in `buffer` (N entries, overwritten). NaN if any score is NaN, or if either side is empty.
 */
function oneVsRestAuc(
  yTrue: ArrayLike<number>,
  scores: ArrayLike<number>,
  stride: number,
  column: number,
  buffer: Float64Array,
  positive = column,
): number {
  const n = yTrue.length;
  // Positives fill the buffer from the front, negatives from the back.
  let nPos = 0;
  let negStart = n;
  for (let i = 0; i < n; i++) {
    const s = scores[i * stride + column];
    if (Number.isNaN(s)) return NaN;
    if (yTrue[i] === positive) buffer[nPos++] = s;
    else buffer[--negStart] = s;
  }
  if (nPos === 0 || nPos === n) return NaN;
  const [pos, neg] = [buffer.subarray(0, nPos), buffer.subarray(nPos, n)];
  // Model outputs are float32: their keys sort by radix. Other scores take the native sort.
  if (buffer.every((s) => Math.fround(s) === s)) return mannWhitneyAuc(sortedKeys(pos), sortedKeys(neg));
  return mannWhitneyAuc(pos.sort(), neg.sort());
}

/**
 * The scores as ascending order-preserving uint32 keys: float32 bits with the sign bit flipped for
 * positives and every bit for negatives, so unsigned order is numeric order and equal floats get
 * equal keys. Sorted by an LSD radix sort (4 passes of 8 bits): several times faster than a
 * comparison sort on the thousands of scores a per-epoch AUC sorts. Every score must be a float32
 * value (model outputs are).
 */
function sortedKeys(scores: Float64Array): Uint32Array {
  const n = scores.length;
  const f = new Float32Array(scores);
  const bits = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) {
    const b = bits[i] === 0x80000000 ? 0 : bits[i]; // -0 ties with 0
    bits[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  let from = bits;
  let to = new Uint32Array(n);
  const counts = new Uint32Array(256);
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(from[i] >>> shift) & 0xff]++;
    let total = 0;
    for (let d = 0; d < 256; d++) {
      const c = counts[d];
      counts[d] = total;
      total += c;
    }
    for (let i = 0; i < n; i++) to[counts[(from[i] >>> shift) & 0xff]++] = from[i];
    [from, to] = [to, from];
  }
  return from;
}

/**
 * AUC = U / (n₊ n₋), with U = Σ over positives s of (#negatives < s + ½ #negatives = s), which equals
 * the Mann-Whitney U = R₊ - n₊(n₊ + 1)/2 with average ranks for ties (R₊: rank sum of the positives).
 * Both inputs sorted ascending; two pointers walk the negatives once.
 */
function mannWhitneyAuc(positives: Uint32Array | Float64Array, negatives: Uint32Array | Float64Array): number {
  let below = 0; // negatives < s
  let upTo = 0; // negatives <= s
  let u = 0; // integer and half-integer sums: exact in a double up to 2^52
  for (const s of positives) {
    while (below < negatives.length && negatives[below] < s) below++;
    if (upTo < below) upTo = below;
    while (upTo < negatives.length && negatives[upTo] <= s) upTo++;
    u += below + 0.5 * (upTo - below);
  }
  return u / (positives.length * negatives.length);
}
