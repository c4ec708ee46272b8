// The examples run end to end: each is trained for real and checked against its known answer.
import { describe, expect, it } from "vitest";
import { runExample } from "../examples/linear-regression/example.js";

describe("examples/linear-regression", () => {
  it("learns y = 3x + 2.5 by gradient descent, equal to least squares, and plots the line", async () => {
    const { weight, bias, exact, svg } = await runExample();
    // The population line (noise U(0, 1) has mean 0.5) ...
    expect(Math.abs(weight - 3)).toBeLessThan(0.2);
    expect(Math.abs(bias - 2.5)).toBeLessThan(0.2);
    // ... and, exactly, the sample's least-squares line: gradient descent has converged.
    expect(Math.abs(weight - exact.weight)).toBeLessThan(1e-4);
    expect(Math.abs(bias - exact.bias)).toBeLessThan(1e-4);

    expect(svg.match(/<circle class="point"/g)).toHaveLength(100);
    const line = /<line class="series" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/.exec(svg);
    expect(line).not.toBeNull();
    // Descending in pixels from left to right: the line rises.
    const [x1, y1, x2, y2] = line!.slice(1).map(Number);
    expect(x2).toBeGreaterThan(x1);
    expect(y2).toBeLessThan(y1);
    expect(svg).toContain(`y = ${weight.toFixed(3)}x + ${bias.toFixed(3)}`);
  });
});
