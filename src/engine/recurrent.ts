// Recurrent cells (Elman RNN, LSTM, GRU) unrolled through time from primitives (MatMul, Add, Tanh,
// Sigmoid, Mul, Split, Squeeze, Unsqueeze, Concat), so that autodiff over the unrolled graph is
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
import { add, cast, concat, less, matmul, mul, relu, sigmoid, split, squeeze, sub, tanh, unsqueeze } from "./ops.js";

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

/** The G gate blocks of width h along the last axis (one Split node). */
const gates = (v: Value, count: number, h: number): Value[] => split(v, v.rank - 1, new Array<number>(count).fill(h));

/** The T steps [N, ...] of a [N, T, ...] value (one Split node, then a Squeeze per step). */
const stepsOf = (v: Value, steps: number): Value[] => split(v, 1, new Array<number>(steps).fill(1)).map((s) => squeeze(s, [1]));

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
  // The input projection of every step at once, [N, T, G*H]. The RNN and LSTM add both biases
  // there; the GRU keeps b_hh in the recurrence, where r scales its n block.
  const inputBias = kind === "gru" ? w.bIh : add(w.bIh, w.bHh);
  const xs = stepsOf(add(matmul(x, w.wIh), inputBias), steps);
  const masks = options.mask ? split(options.mask, 1, new Array<number>(steps).fill(1)) : undefined; // [N, 1] each
  const order = Array.from({ length: steps }, (_v, i) => (options.reverse ? steps - 1 - i : i));
  const states: Value[] = new Array<Value>(steps);
  let h: Value | undefined;
  let c: Value | undefined;
  for (const t of order) {
    const xt = xs[t];
    const m = masks?.[t];
    let hNext: Value;
    switch (kind) {
      case "rnn": {
        const z = h ? add(xt, matmul(h, w.wHh)) : xt; // h = 0 before the first step
        hNext = options.activation === "relu" ? relu(z) : tanh(z);
        break;
      }
      case "lstm": {
        const [zi, zf, zg, zo] = gates(h ? add(xt, matmul(h, w.wHh)) : xt, 4, hidden);
        const [i, f, g, o] = [sigmoid(zi), sigmoid(zf), tanh(zg), sigmoid(zo)];
        const cNext = c ? add(mul(f, c), mul(i, g)) : mul(i, g);
        c = keepPadded(cNext, c, m);
        hNext = mul(o, tanh(cNext));
        break;
      }
      case "gru": {
        const [xr, xz, xn] = gates(xt, 3, hidden);
        const [hr, hz, hn] = gates(h ? add(matmul(h, w.wHh), w.bHh) : w.bHh, 3, hidden);
        const r = sigmoid(add(xr, hr));
        const z = sigmoid(add(xz, hz));
        const n = tanh(add(xn, mul(r, hn)));
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
