// ONNX Runtime's handling of the string ops the model files rely on.
import { expect, test } from "vitest";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import { Graph } from "./graph.js";
import { encodeModel } from "./onnx-codec.js";
import { gather, labelEncode } from "./ops.js";

test("LabelEncoder maps strings to indices and unknowns to the fallback; Gather maps indices to strings", async () => {
  const g = new Graph("strings");
  const s = g.input("s", "string", ["batch", 1]);
  const ids = labelEncode(s, ["a", "b", "c"], 3);
  g.output(ids, "ids");
  const labels = g.constant({ dtype: "string", dims: [4], data: ["A", "B", "C", "?"] }, "labels");
  g.output(gather(labels, ids), "back");
  const session = await new OnnxRuntime().createSession(encodeModel(g));
  const out = await session.run({ s: { dtype: "string", dims: [5, 1], data: ["b", "a", "", "zz", "c"] } });
  expect(Array.from(out.ids.data as BigInt64Array, Number)).toEqual([1, 0, 3, 3, 2]);
  expect(out.back.data).toEqual(["B", "A", "?", "?", "C"]);
  expect(out.back.dims).toEqual([5, 1]);
});
