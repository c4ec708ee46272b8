// Nice axis ticks: a step of 1, 2 or 5 times a power of ten, and a domain widened to whole steps
// (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990).
import { MaasError } from "../errors.js";

/** An axis: its domain (widened to whole ticks), the tick step, the ticks and their labels. */
export interface NiceScale {
  min: number;
  max: number;
  step: number;
  ticks: number[];
  labels: string[];
}

/** The smallest of 1, 2, 5, 10 times a power of ten that is at least `x` (x > 0). */
function niceStep(x: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(x));
  const residual = x / magnitude;
  const factor = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10;
  return factor * magnitude;
}

/**
 * About `count` ticks covering [min, max], on whole multiples of a nice step.
 * @example niceScale(0.03, 0.97) // { min: 0, max: 1, step: 0.2, ticks: [0, 0.2, ..., 1], labels: ["0.0", "0.2", ..., "1.0"] }
 */
export function niceScale(min: number, max: number, count = 5): NiceScale {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new MaasError("bad_input", `an axis needs finite min <= max; got [${min}, ${max}]`);
  if (min === max) {
    // One value: a unit-wide (or value-proportional) window around it.
    const pad = min === 0 ? 1 : Math.abs(min) / 2;
    [min, max] = [min - pad, max + pad];
  }
  const step = niceStep((max - min) / Math.max(1, count));
  // Every label gets the step's decimals (0.0, 0.2, ..., 1.0; 0.10, 0.15, ...), so they line up.
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const round = (v: number): number => Number(v.toFixed(decimals)) || 0; // `|| 0` turns -0 into 0
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(round(k * step));
  return { min: ticks[0], max: ticks[ticks.length - 1], step, ticks, labels: ticks.map((t) => t.toFixed(decimals)) };
}
