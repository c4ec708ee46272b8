import { describe, expect, it } from "vitest";
import { niceScale } from "./ticks.js";

describe("niceScale", () => {
  it.each([
    { range: [0.03, 0.97], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], labels: ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"] },
    { range: [2.01, 5.98], ticks: [2, 3, 4, 5, 6], labels: ["2", "3", "4", "5", "6"] },
    { range: [0, 100], ticks: [0, 20, 40, 60, 80, 100], labels: ["0", "20", "40", "60", "80", "100"] },
    { range: [-7, 12], ticks: [-10, -5, 0, 5, 10, 15], labels: ["-10", "-5", "0", "5", "10", "15"] },
    { range: [0.1, 0.3], ticks: [0.1, 0.15, 0.2, 0.25, 0.3], labels: ["0.10", "0.15", "0.20", "0.25", "0.30"] },
    { range: [1234, 98765], ticks: [0, 20000, 40000, 60000, 80000, 100000], labels: ["0", "20000", "40000", "60000", "80000", "100000"] },
  ])("$range -> $labels", ({ range, ticks, labels }) => {
    const s = niceScale(range[0], range[1]);
    expect(s.ticks).toEqual(ticks);
    expect(s.labels).toEqual(labels);
    expect([s.min, s.max]).toEqual([ticks[0], ticks[ticks.length - 1]]);
  });

  it("widens a single value to a window around it", () => {
    expect(niceScale(0, 0).ticks).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceScale(4, 4).ticks).toEqual([2, 3, 4, 5, 6]);
  });

  it("rejects a non-finite or inverted range", () => {
    expect(() => niceScale(0, Infinity)).toThrow(/finite/);
    expect(() => niceScale(Number.NaN, 1)).toThrow(/finite/);
    expect(() => niceScale(2, 1)).toThrow(/min <= max/);
  });
});
