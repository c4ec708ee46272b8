// Models exported by PyTorch (scripts/pytorch-fixtures.py) are accepted by the import check and give
// PyTorch's own outputs on OpenMaaS's runtime.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { checkImport } from "../src/models/onnx-import.js";
import { defaultRuntime } from "../src/runtime/onnxruntime.js";
import type { Session } from "../src/runtime/runtime.js";
import type { Tensor } from "../src/runtime/tensor.js";
import { floatTensor, sizeOf } from "../src/runtime/tensor.js";

const DIR = join(import.meta.dirname, "fixtures", "pytorch");
/** |actual - expected| <= ATOL + RTOL * |expected|, elementwise. */
const ATOL = 1e-4;
const RTOL = 1e-4;

interface Fixture {
  producer: string;
  input: { dims: number[]; data: number[] };
  output: { dims: number[]; data: number[] };
}

function expectClose(actual: Tensor, expected: { dims: number[]; data: number[] }): void {
  expect(actual.dtype).toBe("float32");
  expect(actual.dims).toEqual(expected.dims);
  const got = Array.from(actual.data as Float32Array);
  const off = got.map((g, i) => ({ i, g, want: expected.data[i] })).filter(({ g, want }) => !(Math.abs(g - want) <= ATOL + RTOL * Math.abs(want)));
  expect(off).toEqual([]);
}

const sessions: Session[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

describe.each(["mlp", "cnn", "lstm"])("%s exported by PyTorch", (name) => {
  const bytes = new Uint8Array(readFileSync(join(DIR, `${name}.onnx`)));
  const fixture = JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as Fixture;

  test("passes the import check with a dynamic batch dim", async () => {
    const report = await checkImport(bytes, { source: `${name}.onnx`, maxBytes: 50_000 });
    expect(report.producer).toMatch(/^pytorch /);
    expect(report.opsets[""]).toBe(17);
    expect(report.inputs).toEqual([{ name: "input", dtype: "float32", shape: ["batch", ...fixture.input.dims.slice(1)] }]);
    expect(report.outputs).toEqual([{ name: "output", dtype: "float32", shape: ["batch", ...fixture.output.dims.slice(1)] }]);
  });

  test("gives PyTorch's outputs, for the whole batch and for one row", async () => {
    const session = await defaultRuntime().createSession(bytes);
    sessions.push(session);
    const { input, output } = fixture;
    const all = await session.run({ input: floatTensor("float32", input.dims, input.data) });
    expectClose(all.output, output);

    // Batch 1 is not the batch size of the export: the batch axis must really be dynamic.
    const rowIn = sizeOf(input.dims.slice(1));
    const rowOut = sizeOf(output.dims.slice(1));
    const one = await session.run({ input: floatTensor("float32", [1, ...input.dims.slice(1)], input.data.slice(rowIn, 2 * rowIn)) });
    expectClose(one.output, { dims: [1, ...output.dims.slice(1)], data: output.data.slice(rowOut, 2 * rowOut) });
  });
});
