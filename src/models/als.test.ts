// Implicit ALS: the solve graph against a direct solve of the normal equations.
import { expect, test } from "vitest";
import { encodeModel } from "../engine/onnx-codec.js";
import { Random } from "../engine/random.js";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import { solveGraph } from "./als.js";

/** x = A⁻¹ b for a small symmetric positive definite A (Gaussian elimination). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    for (let r = c + 1; r < n; r++) {
      const k = M[r][c] / M[c][c];
      for (let j = c; j <= n; j++) M[r][j] -= k * M[c][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) x[r] = (M[r][n] - M[r].slice(r + 1, n).reduce((s, v, j) => s + v * x[r + 1 + j], 0)) / M[r][r];
  return x;
}

test("with as many conjugate-gradient steps as factors, the graph solves (YᵀY + Yᵀ(C-I)Y + λI) x = YᵀCp exactly", async () => {
  const [f, M, reg] = [3, 7, 0.3];
  const rng = new Random(4);
  const Y = Float32Array.from({ length: (M + 1) * f }, (_v, k) => (k < M * f ? rng.normal() : 0));
  // Two rows: one with items 0, 2, 5 (the list padded with the zero row M), one with items 1, 6.
  const lists = [[0, 2, 5], [1, 6, M]];
  const confs = [[3, 1.5, 8], [2, 4, 1]];
  const idx = BigInt64Array.from(lists.flat(), (v) => BigInt(v));
  const conf = Float32Array.from(confs.flat());
  const gram = new Float32Array(f * f);
  for (let i = 0; i < M; i++) for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) gram[a * f + b] += Y[i * f + a] * Y[i * f + b];
  const runtime = new OnnxRuntime();
  const session = await runtime.createSession(encodeModel(solveGraph(f, reg)));
  const x0 = Float32Array.from({ length: 2 * f }, () => rng.normal());
  const out = await session.run({
    x: { dtype: "float32", dims: [2, f], data: x0 },
    idx: { dtype: "int64", dims: [2, 3], data: idx },
    conf: { dtype: "float32", dims: [2, 3], data: conf },
    table: { dtype: "float32", dims: [M + 1, f], data: Y },
    gram: { dtype: "float32", dims: [f, f], data: gram },
  });
  const next = out.next.data as Float32Array;
  lists.forEach((items, n) => {
    const A = Array.from({ length: f }, (_r, a) => Array.from({ length: f }, (_c, b) => gram[a * f + b] + (a === b ? reg : 0)));
    const rhs = new Array<number>(f).fill(0);
    items.forEach((i, j) => {
      const c = confs[n][j];
      for (let a = 0; a < f; a++) {
        rhs[a] += c * Y[i * f + a];
        for (let b = 0; b < f; b++) A[a][b] += (c - 1) * Y[i * f + a] * Y[i * f + b];
      }
    });
    solve(A, rhs).forEach((v, a) => expect(next[n * f + a]).toBeCloseTo(v, 3));
  });
  await session.release();
});
