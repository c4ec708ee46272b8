// Ranking: the k largest entries of each row (ONNX TopK), for recommenders' answers. Inference
// only: nothing trains through a ranking.
import type { Value } from "./graph.js";
import { apply, registerOps } from "./ops.js";

registerOps({
  // TopK(x [N, M], k [1] int64) -> values [N, k], indices [N, k] int64, largest first, sorted.
  TopK: {},
});

/** The `k` largest entries of each row of `x` [N, M] (k a [1] int64 tensor): values and their column indices, largest first. */
export function topK(x: Value, k: Value, kDim: number | string): { values: Value; indices: Value } {
  if (x.rank !== 2 || k.dtype !== "int64") throw new Error(`topK takes [N, M] scores and a [1] int64 k; got ${x} and ${k}`);
  const [values, indices] = apply("TopK", [x, k], { axis: { i: 1 }, largest: { i: 1 }, sorted: { i: 1 } }, [
    { dtype: x.dtype, shape: [x.shape[0], kDim] },
    { dtype: "int64", shape: [x.shape[0], kDim] },
  ]);
  return { values, indices };
}
