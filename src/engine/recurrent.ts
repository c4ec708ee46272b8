// Recurrent cells (Elman RNN, LSTM, GRU) unrolled through time from primitives (MatMul, Add, Tanh,
// Sigmoid, Mul, Slice, Unsqueeze, Concat), so that autodiff over the unrolled graph is
// backpropagation through time. Equations and gate layouts are PyTorch's, with weights stored
// transposed for `x W` ([in, gates*H], gate blocks side by side in PyTorch's order):
//
//   RNN:  h' = act(x W_ih + b_ih + h W_hh + b_hh)
//   LSTM: [i f g o] = x W_ih + b_ih + h W_hh + b_hh;  i, f, o = sigmoid;  g = tanh
//         c' = f c + i g;  h' = o tanh(c')
//   GRU:  [r z n] blocks; r = sigmoid(x W_ir + b_ir + h W_hr + b_hr), z likewise,
//         n = tanh(x W_in + b_in + r (h W_hn + b_hn));  h' = (1 - z) n + z h
//
// The initial state is zero. With a mask m [N, T] (1 = a real step, 0 = padding), a padded step keeps
// the previous state: h = h_prev + m (h' - h_prev) (the same for c).
import type { Value } from "./graph.js";
import { add, cast, concat, less, matmul, mul, relu, sigmoid, slice, squeeze, sub, tanh, unsqueeze } from "./ops.js";

export type CellKind = "rnn" | "lstm" | "gru";

/** Gate blocks per cell: the width of W_ih and W_hh is gates * hidden. */
export const GATES: Record<CellKind, number> = { rnn: 1, lstm: 4, gru: 3 };

/** One direction's weights: W_ih [F, G*H], W_hh [H, G*H], b_ih and b_hh [G*H]. */
export interface CellWeights {
  wIh: Value;
  wHh: Value;
  bIh: Value;
  bHh: Value;
}

/** The result of running a cell over a sequence. */
export interface RecurrentRun {
  /** The state after each step, in time order: [N, H] each (padded steps: the carried state). */
  states: Value[];
  /** The state after the last processed step: the last valid step of each row (reverse: step 0). */
  last: Value;
}

/** [N, T] float mask of the steps t < lengths[n], from int64 lengths [N]. */
export function lengthMask(lengths: Value, steps: number, dtype: "float32" | "float64"): Value {
  if (lengths.rank !== 1 || lengths.dtype !== "int64") throw new Error(`sequence lengths must be [N] int64; got ${lengths}`);
  const t = lengths.graph.ints(Array.from({ length: steps }, (_v, i) => i));
  return cast(less(t, unsqueeze(lengths, [1])), dtype);
}

/** Block k of width h along the last axis. */
const block = (v: Value, k: number, h: number): Value => slice(v, [v.rank - 1], [k * h], [(k + 1) * h]);

/** prev + m (next - prev), with an absent prev meaning zeros; no mask: next. */
function keepPadded(next: Value, prev: Value | undefined, m: Value | undefined): Value {
  if (!m) return next;
  return prev ? add(prev, mul(m, sub(next, prev))) : mul(m, next);
}

/**
 * Runs one cell over x [N, T, F] (T static), forwards or backwards in time. With a mask and
 * `reverse`, each row's steps past its length are skipped first (the state stays zero), so the
 * backward pass starts at the row's last valid step: the reversal is within each row's length.
 */
export function runCell(
  kind: CellKind,
  x: Value,
  w: CellWeights,
  hidden: number,
  options: { mask?: Value; reverse?: boolean; activation?: "tanh" | "relu" } = {},
): RecurrentRun {
  const steps = x.shape[1];
  if (x.rank !== 3 || typeof steps !== "number") throw new Error(`a recurrent layer takes [N, T, F] with a static T; got ${x}`);
  const xp = add(matmul(x, w.wIh), w.bIh); // [N, T, G*H]: the input projection of every step at once
  const order = Array.from({ length: steps }, (_v, i) => (options.reverse ? steps - 1 - i : i));
  const states: Value[] = new Array<Value>(steps);
  let h: Value | undefined;
  let c: Value | undefined;
  for (const t of order) {
    const xt = squeeze(slice(xp, [1], [t], [t + 1]), [1]);
    const m = options.mask ? slice(options.mask, [1], [t], [t + 1]) : undefined; // [N, 1]
    const hp = h ? add(matmul(h, w.wHh), w.bHh) : w.bHh; // h W_hh + b_hh (h = 0 before the first step)
    let hNext: Value;
    switch (kind) {
      case "rnn": {
        const z = add(xt, hp);
        hNext = options.activation === "relu" ? relu(z) : tanh(z);
        break;
      }
      case "lstm": {
        const z = add(xt, hp);
        const i = sigmoid(block(z, 0, hidden));
        const f = sigmoid(block(z, 1, hidden));
        const g = tanh(block(z, 2, hidden));
        const o = sigmoid(block(z, 3, hidden));
        const cNext = c ? add(mul(f, c), mul(i, g)) : mul(i, g);
        c = keepPadded(cNext, c, m);
        hNext = mul(o, tanh(cNext));
        break;
      }
      case "gru": {
        const r = sigmoid(add(block(xt, 0, hidden), block(hp, 0, hidden)));
        const z = sigmoid(add(block(xt, 1, hidden), block(hp, 1, hidden)));
        const n = tanh(add(block(xt, 2, hidden), mul(r, block(hp, 2, hidden))));
        // h' = (1 - z) n + z h = n + z (h - n)
        hNext = h ? add(n, mul(z, sub(h, n))) : mul(sub(1, z), n);
        break;
      }
    }
    h = keepPadded(hNext, h, m);
    states[t] = h;
  }
  return { states, last: h! };
}

/** Stacks per-step states [N, H] into [N, T, H], zeroing padded steps when a mask is given. */
export function stackSteps(states: readonly Value[], mask?: Value): Value {
  const seq = concat(states.map((s) => unsqueeze(s, [1])), 1);
  return mask ? mul(seq, unsqueeze(mask, [2])) : seq;
}
