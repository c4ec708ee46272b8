// Float64 references of convolution and pooling over NCHW arrays, written directly from the ONNX
// operator definitions, for tests: ONNX Runtime's CPU Conv, ConvTranspose, AveragePool and
// GlobalAveragePool kernels are float32-only, so the finite-difference oracle of their gradients is
// a reference like these (gradcheck.ts `reference`). Loops, no cleverness: they are the oracle.

export type Pair = readonly [number, number];
export type Pads = readonly [number, number, number, number];
/** Dims of an NCHW array. */
export type Dims4 = readonly [number, number, number, number];

export interface WindowReference {
  strides?: Pair;
  /** [top, left, bottom, right] */
  pads?: Pads;
  dilations?: Pair;
}

const outSize = (size: number, k: number, s: number, p0: number, p1: number, d: number): number => Math.floor((size + p0 + p1 - d * (k - 1) - 1) / s) + 1;

/**
 * y[n, m, i, j] = b[m] + sum over c in m's group, u, v of x[n, c, i s - p + u d, j s - p + v d] w[m, c - c0, u, v]
 * (cells outside x count as 0).
 */
export function conv2dReference(
  x: Float64Array,
  [n, c, h, w]: Dims4,
  weight: Float64Array,
  [m, cg, kh, kw]: Dims4,
  bias: Float64Array | undefined,
  options: WindowReference & { group?: number } = {},
): Float64Array {
  const [sh, sw] = options.strides ?? [1, 1];
  const [pt, pl, pb, pr] = options.pads ?? [0, 0, 0, 0];
  const [dh, dw] = options.dilations ?? [1, 1];
  const group = options.group ?? 1;
  if (cg * group !== c || m % group !== 0) throw new Error(`conv2dReference: [${m}, ${cg}] weights and ${group} groups do not fit ${c} channels`);
  const ho = outSize(h, kh, sh, pt, pb, dh);
  const wo = outSize(w, kw, sw, pl, pr, dw);
  const y = new Float64Array(n * m * ho * wo);
  const perGroup = m / group;
  for (let b = 0; b < n; b++) {
    for (let f = 0; f < m; f++) {
      const c0 = Math.floor(f / perGroup) * cg;
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          let sum = bias ? bias[f] : 0;
          for (let k = 0; k < cg; k++) {
            for (let u = 0; u < kh; u++) {
              const r = i * sh - pt + u * dh;
              if (r < 0 || r >= h) continue;
              for (let v = 0; v < kw; v++) {
                const q = j * sw - pl + v * dw;
                if (q < 0 || q >= w) continue;
                sum += x[((b * c + c0 + k) * h + r) * w + q] * weight[((f * cg + k) * kh + u) * kw + v];
              }
            }
          }
          y[((b * m + f) * ho + i) * wo + j] = sum;
        }
      }
    }
  }
  return y;
}

/** Calls `each(values)` with the cells of x under every window (padding excluded) and collects the results. */
function pool(x: Float64Array, [n, c, h, w]: Dims4, kernel: Pair, options: WindowReference, each: (cells: number[]) => number): Float64Array {
  const [sh, sw] = options.strides ?? kernel;
  const [pt, pl, pb, pr] = options.pads ?? [0, 0, 0, 0];
  const ho = outSize(h, kernel[0], sh, pt, pb, 1);
  const wo = outSize(w, kernel[1], sw, pl, pr, 1);
  const y = new Float64Array(n * c * ho * wo);
  for (let plane = 0; plane < n * c; plane++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const cells: number[] = [];
        for (let r = i * sh - pt; r < i * sh - pt + kernel[0]; r++) {
          for (let q = j * sw - pl; q < j * sw - pl + kernel[1]; q++) if (r >= 0 && r < h && q >= 0 && q < w) cells.push(x[(plane * h + r) * w + q]);
        }
        y[(plane * ho + i) * wo + j] = each(cells);
      }
    }
  }
  return y;
}

/** Max over each window; strides default to the window. */
export function maxPoolReference(x: Float64Array, dims: Dims4, kernel: Pair, options: WindowReference = {}): Float64Array {
  return pool(x, dims, kernel, options, (cells) => Math.max(...cells));
}

/** Mean over each window: over the cells inside x, or over the whole window with `countIncludePad`. */
export function avgPoolReference(x: Float64Array, dims: Dims4, kernel: Pair, options: WindowReference & { countIncludePad?: boolean } = {}): Float64Array {
  const size = kernel[0] * kernel[1];
  return pool(x, dims, kernel, options, (cells) => cells.reduce((s, v) => s + v, 0) / (options.countIncludePad ? size : cells.length));
}

/** Mean over H and W of every (n, c) plane. */
export function globalAvgPoolReference(x: Float64Array, [n, c, h, w]: Dims4): Float64Array {
  return avgPoolReference(x, [n, c, h, w], [h, w]);
}
