// Test-only: float64 reference implementations of the recurrent cells (PyTorch's equations, written
// out element by element, independent of the engine) as the oracle of recurrent.test.ts.
import type { CellKind } from "./recurrent.js";
import { GATES } from "./recurrent.js";

export interface RefWeights {
  wIh: Float64Array; // [F, G*H]
  wHh: Float64Array; // [H, G*H]
  bIh: Float64Array; // [G*H]
  bHh: Float64Array; // [G*H]
}

export interface RefLayer {
  kind: CellKind;
  hidden: number;
  weights: RefWeights;
  /** Weights of the backward direction, for a bidirectional layer. */
  reverse?: RefWeights;
  returnSequences: boolean;
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));

/** One direction over x [N, T, F]: per row, the state after each step (padded steps keep it) in time order. */
function direction(kind: CellKind, x: Float64Array, dims: [number, number, number], hidden: number, w: RefWeights, lengths: number[], reverse: boolean): number[][][] {
  const [n, steps, features] = dims;
  const width = GATES[kind] * hidden;
  const out: number[][][] = [];
  for (let row = 0; row < n; row++) {
    let h = new Array<number>(hidden).fill(0);
    let c = new Array<number>(hidden).fill(0);
    const states: number[][] = new Array<number[]>(steps);
    for (let k = 0; k < steps; k++) {
      const t = reverse ? steps - 1 - k : k;
      if (t >= lengths[row]) {
        states[t] = h; // padding keeps the state
        continue;
      }
      const xs = new Array<number>(width).fill(0);
      const hs = new Array<number>(width).fill(0);
      for (let j = 0; j < width; j++) {
        xs[j] = w.bIh[j];
        for (let f = 0; f < features; f++) xs[j] += x[(row * steps + t) * features + f] * w.wIh[f * width + j];
        hs[j] = w.bHh[j];
        for (let q = 0; q < hidden; q++) hs[j] += h[q] * w.wHh[q * width + j];
      }
      const next = new Array<number>(hidden);
      const cNext = new Array<number>(hidden);
      for (let u = 0; u < hidden; u++) {
        const a = (g: number): number => xs[g * hidden + u] + hs[g * hidden + u];
        if (kind === "rnn") next[u] = Math.tanh(a(0));
        else if (kind === "lstm") {
          cNext[u] = sig(a(1)) * c[u] + sig(a(0)) * Math.tanh(a(2));
          next[u] = sig(a(3)) * Math.tanh(cNext[u]);
        } else {
          const r = sig(a(0));
          const z = sig(a(1));
          const nn = Math.tanh(xs[2 * hidden + u] + r * hs[2 * hidden + u]);
          next[u] = (1 - z) * nn + z * h[u];
        }
      }
      h = next;
      if (kind === "lstm") c = cNext;
      states[t] = h;
    }
    out.push(states);
  }
  return out;
}

/** A layer's output: [N, T, D*H] sequences (0 at padded steps) or [N, D*H] last states. */
export function referenceLayer(layer: RefLayer, x: Float64Array, dims: [number, number, number], lengths: number[]): { data: Float64Array; dims: [number, number, number] } {
  const [n, steps] = dims;
  const dirs = [direction(layer.kind, x, dims, layer.hidden, layer.weights, lengths, false)];
  if (layer.reverse) dirs.push(direction(layer.kind, x, dims, layer.hidden, layer.reverse, lengths, true));
  const width = dirs.length * layer.hidden;
  if (layer.returnSequences) {
    const data = new Float64Array(n * steps * width);
    for (let row = 0; row < n; row++) {
      for (let t = 0; t < steps; t++) {
        if (t >= lengths[row]) continue;
        dirs.forEach((d, k) => d[row][t].forEach((v, u) => (data[(row * steps + t) * width + k * layer.hidden + u] = v)));
      }
    }
    return { data, dims: [n, steps, width] };
  }
  const data = new Float64Array(n * width);
  for (let row = 0; row < n; row++) {
    const lastForward = dirs[0][row][Math.max(0, lengths[row] - 1)];
    lastForward.forEach((v, u) => (data[row * width + u] = lengths[row] > 0 ? v : 0));
    if (dirs[1]) dirs[1][row][0].forEach((v, u) => (data[row * width + layer.hidden + u] = v));
  }
  return { data, dims: [n, 1, width] };
}
