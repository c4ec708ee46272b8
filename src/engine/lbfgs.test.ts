import { describe, expect, test } from "vitest";
import { lbfgs } from "./lbfgs.js";

describe("lbfgs", () => {
  test("minimises the Rosenbrock function to its minimum at (1, 1)", async () => {
    // f = (1 - a)^2 + 100 (b - a^2)^2
    const rosen = async (x: Float64Array) => {
      const [a, b] = x;
      const f = (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      const g = Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a));
      return { f, g };
    };
    const r = await lbfgs(rosen, Float64Array.of(-1.2, 1), { maxIterations: 200, gradientTolerance: 1e-8, valueTolerance: 0 });
    expect(r.reason).toBe("gradient");
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });

  test("solves an ill-conditioned quadratic (condition 1e4) as fast as a reference L-BFGS", async () => {
    // f = 1/2 sum_i c_i (x_i - i)^2, c from 1 to 1e4
    const n = 20;
    const c = Float64Array.from({ length: n }, (_v, i) => 10 ** ((4 * i) / (n - 1)));
    const quad = async (x: Float64Array) => {
      let f = 0;
      const g = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        f += 0.5 * c[i] * (x[i] - i) ** 2;
        g[i] = c[i] * (x[i] - i);
      }
      return { f, g };
    };
    const r = await lbfgs(quad, new Float64Array(n), { maxIterations: 1000, gradientTolerance: 1e-6, valueTolerance: 0 });
    expect(r.reason).toBe("gradient");
    // scipy's L-BFGS-B with the same memory (maxcor=10) and gtol needs 474 iterations here.
    expect(r.iterations).toBeLessThan(600);
    r.x.forEach((v, i) => expect(v).toBeCloseTo(i, 6));
  });

  test("reports every iteration and stops at the iteration limit", async () => {
    const seen: number[] = [];
    const r = await lbfgs(async (x) => ({ f: Math.exp(x[0]), g: Float64Array.of(Math.exp(x[0])) }), Float64Array.of(0), {
      maxIterations: 5,
      gradientTolerance: 0,
      valueTolerance: 0,
      onIteration: (it) => void seen.push(it),
    });
    expect(r.reason).toBe("iterations");
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
