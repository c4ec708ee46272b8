// The seeded generator and the initialisers that draw from it: reproducibility, the xoshiro128**
// reference output, and moment checks loose enough to hold for any good generator but not a broken one
// (the seeds are fixed, so these are deterministic).
import { describe, expect, it } from "vitest";
import { convFans, denseFans, initialise } from "./init.js";
import type { InitScheme } from "./init.js";
import { Random } from "./random.js";

const N = 100_000;

const draws = (n: number, draw: () => number): number[] => Array.from({ length: n }, draw);

function extremes(xs: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    min = Math.min(min, xs[i]);
    max = Math.max(max, xs[i]);
  }
  return { min, max };
}

function moments(xs: ArrayLike<number>): { mean: number; variance: number } {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  const mean = sum / xs.length;
  let sq = 0;
  for (let i = 0; i < xs.length; i++) sq += (xs[i] - mean) ** 2;
  return { mean, variance: sq / xs.length };
}

// ---------------------------------------------------------------------------------------------
// Random
// ---------------------------------------------------------------------------------------------

describe("Random", () => {
  it("follows the xoshiro128** reference implementation", () => {
    // Output of Blackman & Vigna's xoshiro128starstar.c from the state {1, 2, 3, 4}.
    const rng = new Random(0);
    Object.assign(rng, { s0: 1, s1: 2, s2: 3, s3: 4 });
    expect(draws(6, () => rng.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("repeats a sequence for the same seed", () => {
    const a = new Random(42);
    const b = new Random(42);
    expect(draws(1000, () => a.nextUint32())).toEqual(draws(1000, () => b.nextUint32()));
    expect(draws(100, () => a.normal())).toEqual(draws(100, () => b.normal()));
  });

  it("gives different sequences for different seeds, including 0", () => {
    const sequences = [0, 1, 2, 0xffffffff].map((seed) => {
      const rng = new Random(seed);
      return draws(8, () => rng.nextUint32()).join(",");
    });
    expect(new Set(sequences).size).toBe(sequences.length);
    expect(sequences[0]).not.toBe("0,0,0,0,0,0,0,0");
  });

  it("draws uniform values in [0, 1) with mean 1/2 and variance 1/12", () => {
    const rng = new Random(7);
    const xs = draws(N, () => rng.uniform());
    const { min, max } = extremes(xs);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const { mean, variance } = moments(xs);
    // standard errors: 0.0009 for the mean, 0.0003 for the variance
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
    // 20 equal bins: chi-square with 19 degrees of freedom stays far below 60
    const counts = new Array<number>(20).fill(0);
    for (const x of xs) counts[Math.floor(x * 20)]++;
    const expected = N / 20;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(60);
    // successive draws are uncorrelated: lag-1 correlation has standard error 0.003
    let cov = 0;
    for (let i = 1; i < N; i++) cov += (xs[i] - mean) * (xs[i - 1] - mean);
    expect(Math.abs(cov / (N - 1) / variance)).toBeLessThan(0.02);
  });

  it("maps the extreme 32-bit draws into [0, 1)", () => {
    const rng = new Random(0);
    rng.nextUint32 = () => 0xffffffff;
    expect(rng.uniform()).toBeLessThan(1);
    rng.nextUint32 = () => 0;
    expect(rng.uniform()).toBe(0);
  });

  it("draws integers in [0, n) covering every value", () => {
    const rng = new Random(8);
    const seen = new Set(draws(1000, () => rng.int(7)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("draws standard normals with mean 0 and variance 1", () => {
    const rng = new Random(9);
    const xs = draws(N, () => rng.normal());
    expect(xs.every(Number.isFinite)).toBe(true);
    const { mean, variance } = moments(xs);
    // standard errors: 0.003 for the mean, 0.0045 for the variance
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    // P(|x| < 1) = 0.6827 for a normal (0.577 for a uniform of the same variance)
    const inside = xs.filter((x) => Math.abs(x) < 1).length / N;
    expect(Math.abs(inside - 0.6827)).toBeLessThan(0.01);
    // the two halves of each Box-Muller pair are independent: lag-1 correlation near 0
    let cov = 0;
    for (let i = 1; i < N; i++) cov += (xs[i] - mean) * (xs[i - 1] - mean);
    expect(Math.abs(cov / (N - 1) / variance)).toBeLessThan(0.02);
  });

  it("makes permutations of 0..n-1", () => {
    const rng = new Random(10);
    for (const n of [0, 1, 2, 50]) {
      const p = Array.from(rng.permutation(n));
      expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_v, i) => i));
    }
    const p = Array.from(rng.permutation(50));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_v, i) => i));
  });

  it("draws every ordering equally often", () => {
    // Fisher-Yates gives each of the 3! orderings probability 1/6 (an off-by-one gives only some)
    const rng = new Random(18);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = rng.permutation(3).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["012", "021", "102", "120", "201", "210"]);
    // standard error of each count: 29
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it("shuffles in place, reproducibly for a seed", () => {
    const items = Array.from({ length: 30 }, (_v, i) => `item${i}`);
    const a = [...items];
    expect(new Random(11).shuffle(a)).toBe(a);
    const b = new Random(11).shuffle([...items]);
    const c = new Random(12).shuffle([...items]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(items);
    expect([...a].sort()).toEqual([...items].sort());
  });

  it("forks independent streams, reproducibly", () => {
    const run = (): string[] => {
      const parent = new Random(13);
      const left = parent.fork();
      const right = parent.fork();
      return [left, right, parent].map((rng) => draws(16, () => rng.nextUint32()).join(","));
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(new Set(first).size).toBe(3);
  });

  it("forks streams that are uncorrelated with each other", () => {
    const parent = new Random(14);
    const a = parent.fork();
    const b = parent.fork();
    const xs = draws(N, () => a.uniform());
    const ys = draws(N, () => b.uniform());
    let cov = 0;
    for (let i = 0; i < N; i++) cov += (xs[i] - 0.5) * (ys[i] - 0.5);
    // correlation standard error 0.003
    expect(Math.abs((cov / N) * 12)).toBeLessThan(0.02);
  });
});

// ---------------------------------------------------------------------------------------------
// initialise
// ---------------------------------------------------------------------------------------------

describe("initialise", () => {
  // U(-a, a) has variance a^2/3. With >= 32k draws the sample variance is within 2% (4 standard
  // errors), and the extremes come within 0.1% of a.
  const cases: { scheme: InitScheme; shape: number[]; layout: "dense" | "conv"; bound: number }[] = [
    { scheme: "xavier", shape: [256, 128], layout: "dense", bound: Math.sqrt(6 / (256 + 128)) },
    { scheme: "he", shape: [256, 128], layout: "dense", bound: Math.sqrt(6 / 256) },
    // the dense fans of any shape: fan-in is the product of all but the last dim (3*3*16 = 144)
    { scheme: "xavier", shape: [3, 3, 16, 256], layout: "dense", bound: Math.sqrt(6 / (144 + 256)) },
    { scheme: "he", shape: [3, 3, 16, 256], layout: "dense", bound: Math.sqrt(6 / 144) },
    // conv weights [M, C/g, kH, kW]: fan-in C/g*kH*kW = 16*3*3 = 144, fan-out M*kH*kW = 256*9
    { scheme: "he", shape: [256, 16, 3, 3], layout: "conv", bound: Math.sqrt(6 / 144) },
    { scheme: "xavier", shape: [256, 16, 3, 3], layout: "conv", bound: Math.sqrt(6 / (144 + 2304)) },
    // depthwise [C, 1, 5, 5]: fan-in 25
    { scheme: "he", shape: [2048, 1, 5, 5], layout: "conv", bound: Math.sqrt(6 / 25) },
  ];

  it.each(cases)("$scheme $shape ($layout) draws U(-a, a) with a = $bound", ({ scheme, shape, layout, bound }) => {
    const out = new Float64Array(shape.reduce((p, d) => p * d, 1));
    initialise(scheme, shape, new Random(15), out, layout === "conv" ? convFans(shape) : undefined);
    const { min, max } = extremes(out);
    expect(Math.max(max, -min)).toBeLessThanOrEqual(bound);
    expect(max).toBeGreaterThan(0.999 * bound);
    expect(min).toBeLessThan(-0.999 * bound);
    const { mean, variance } = moments(out);
    expect(Math.abs(mean)).toBeLessThan(0.02 * bound);
    expect(Math.abs(variance / (bound * bound / 3) - 1)).toBeLessThan(0.02);
  });

  it("is reproducible for a seed and fills float32 buffers too", () => {
    const a = new Float32Array(64);
    const b = new Float32Array(64);
    initialise("he", [8, 8], new Random(16), a);
    initialise("he", [8, 8], new Random(16), b);
    expect(a).toEqual(b);
    expect(a.some((x) => x !== 0)).toBe(true);
    const { min, max } = extremes(a);
    expect(Math.max(max, -min)).toBeLessThanOrEqual(Math.fround(Math.sqrt(6 / 8)));
  });

  it("zeros and ones overwrite whatever the buffer held and draw nothing", () => {
    for (const [scheme, value] of [["zeros", 0], ["ones", 1]] as const) {
      const out = new Float64Array(12).fill(3);
      const rng = new Random(17);
      initialise(scheme, [3, 4], rng, out);
      expect(Array.from(out)).toEqual(new Array(12).fill(value));
      expect(rng.nextUint32()).toBe(new Random(17).nextUint32());
    }
  });

  it("dense fans by default, the same draws as explicit dense fans", () => {
    const a = new Float32Array(12);
    const b = new Float32Array(12);
    initialise("xavier", [3, 4], new Random(18), a);
    initialise("xavier", [3, 4], new Random(18), b, { fanIn: 3, fanOut: 4 });
    expect(a).toEqual(b);
    expect(denseFans([7])).toEqual({ fanIn: 7, fanOut: 1 });
    expect(convFans([6, 2, 3, 5])).toEqual({ fanIn: 30, fanOut: 90 });
  });
});
