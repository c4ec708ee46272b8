// Learning-rate schedules against their closed forms at chosen points of training.
import { describe, expect, it } from "vitest";
import type { ScheduleClock } from "./schedules.js";
import { learningRate } from "./schedules.js";

const BASE = 0.1;
const TOTAL = 200;

/** A clock at `step` of a TOTAL-step run (epochs only matter to the step schedule). */
const at = (step: number, epoch = 0): ScheduleClock => ({ step, epoch, totalSteps: TOTAL });

describe("constant", () => {
  it("returns the base rate everywhere", () => {
    for (const [step, epoch] of [[0, 0], [57, 3], [TOTAL, 9]]) {
      expect(learningRate({ kind: "constant" }, BASE, at(step, epoch))).toBe(BASE);
    }
  });
});

describe("step", () => {
  it("multiplies by gamma every k epochs: lr gamma^floor(epoch / k)", () => {
    const schedule = { kind: "step", everyEpochs: 3, gamma: 0.5 } as const;
    const expected: [number, number][] = [
      [0, BASE],
      [2, BASE],
      [3, BASE * 0.5],
      [5, BASE * 0.5],
      [6, BASE * 0.25],
      [10, BASE * 0.125],
    ];
    for (const [epoch, lr] of expected) {
      expect(learningRate(schedule, BASE, at(epoch * 10, epoch)), `epoch ${epoch}`).toBeCloseTo(lr, 15);
    }
  });

  it("defaults gamma to 0.1 and ignores the step counter", () => {
    const schedule = { kind: "step", everyEpochs: 2 } as const;
    expect(learningRate(schedule, BASE, at(150, 1))).toBeCloseTo(BASE, 15);
    expect(learningRate(schedule, BASE, at(0, 2))).toBeCloseTo(BASE * 0.1, 15);
    expect(learningRate(schedule, BASE, at(0, 5))).toBeCloseTo(BASE * 0.01, 15);
  });
});

describe("cosine", () => {
  // lr(t) = min + (base - min) (1 + cos(pi t / T)) / 2
  for (const minLr of [undefined, 0.01]) {
    const min = minLr ?? 0;
    const schedule = minLr === undefined ? ({ kind: "cosine" } as const) : ({ kind: "cosine", minLr } as const);

    it(`anneals from the base rate to ${min} (minLr ${minLr ?? "omitted"})`, () => {
      const lr = (step: number): number => learningRate(schedule, BASE, at(step));
      expect(lr(0)).toBeCloseTo(BASE, 15);
      expect(lr(TOTAL / 2)).toBeCloseTo((BASE + min) / 2, 15);
      expect(lr(TOTAL)).toBeCloseTo(min, 15);
      // a quarter of the way: cos(pi/4) = sqrt(1/2); three quarters: cos(3pi/4) = -sqrt(1/2)
      expect(lr(TOTAL / 4)).toBeCloseTo(min + ((BASE - min) * (1 + Math.SQRT1_2)) / 2, 15);
      expect(lr((3 * TOTAL) / 4)).toBeCloseTo(min + ((BASE - min) * (1 - Math.SQRT1_2)) / 2, 15);
      // past the end it stays at the floor
      expect(lr(TOTAL + 50)).toBeCloseTo(min, 15);
    });

    it(`decreases monotonically (minLr ${minLr ?? "omitted"})`, () => {
      let previous = Infinity;
      for (let step = 0; step <= TOTAL; step++) {
        const lr = learningRate(schedule, BASE, at(step));
        expect(lr).toBeLessThanOrEqual(previous);
        previous = lr;
      }
    });
  }
});
