// float32ToNumber against the definition: the decimal with the fewest significant digits that
// reads back as the same float32 (found here by trying 1, 2, ... digits).
import { describe, expect, test } from "vitest";
import { float32ToNumber } from "./floats.js";

function shortestByLinearSearch(x: number): number {
  for (let p = 1; p <= 9; p++) if (Math.fround(Number(x.toPrecision(p))) === x) return Number(x.toPrecision(p));
  return x;
}

describe("float32ToNumber", () => {
  test("known values", () => {
    expect(float32ToNumber(Math.fround(0.1))).toBe(0.1);
    expect(float32ToNumber(Math.fround(1 / 3))).toBe(0.33333334);
    expect(float32ToNumber(Math.fround(-2.5e-7))).toBe(-2.5e-7);
    expect(float32ToNumber(16777216)).toBe(16777216);
    expect(float32ToNumber(Math.fround(3.4e38))).toBe(3.4e38);
    expect(float32ToNumber(NaN)).toBeNaN();
    expect(float32ToNumber(-Infinity)).toBe(-Infinity);
  });

  test("the shortest round-trip decimal of 100,000 float32 values of every magnitude", () => {
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    let seed = 12345;
    for (let i = 0; i < 100_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      bits[0] = seed;
      const x = f[0];
      if (!Number.isFinite(x)) continue;
      const got = float32ToNumber(x);
      expect(Math.fround(got)).toBe(x);
      expect(got).toBe(shortestByLinearSearch(x));
    }
  });
});
