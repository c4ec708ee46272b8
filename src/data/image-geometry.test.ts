// Resizing against hand-computed area means and bilinear values; orientation against the EXIF
// definitions written as plain array operations.
import { describe, expect, it } from "vitest";
import { orientRgba, resizePlane } from "./image-geometry.js";

describe("resizePlane", () => {
  it("returns the same bytes at the same size", () => {
    const src = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    expect(resizePlane(src, 3, 4, 3, 4)).toEqual(src);
  });

  it("shrinks by an integer factor to the mean of each block (area)", () => {
    // 4x4 -> 2x2: each output is the mean of a 2x2 block.
    const src = Uint8Array.from([0, 10, 100, 100, 20, 30, 100, 101, 7, 7, 255, 255, 7, 7, 255, 254]);
    expect(Array.from(resizePlane(src, 4, 4, 2, 2))).toEqual([15, 100, 7, 255]); // 100.25 -> 100, 254.75 -> 255
  });

  it("shrinks by a fractional factor with coverage weights (area)", () => {
    // 1x3 -> 1x2: s = 1.5; out0 = (a + b/2) / 1.5, out1 = (b/2 + c) / 1.5.
    const src = Uint8Array.from([30, 90, 150]);
    expect(Array.from(resizePlane(src, 1, 3, 1, 2))).toEqual([50, 130]);
  });

  it("enlarges with bilinear interpolation at half-pixel centres, edges clamped", () => {
    // 1x2 -> 1x4: x = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped 0, 0.25, 0.75, 1.
    expect(Array.from(resizePlane(Uint8Array.from([0, 100]), 1, 2, 1, 4))).toEqual([0, 25, 75, 100]);
    // One pixel enlarged stays constant; a 2x2 enlarged to 3x3 has the mean at its centre.
    expect(Array.from(resizePlane(Uint8Array.from([42]), 1, 1, 2, 3))).toEqual([42, 42, 42, 42, 42, 42]);
    expect(resizePlane(Uint8Array.from([0, 100, 100, 200]), 2, 2, 3, 3)[4]).toBe(100);
  });

  it("shrinks by any factor to the exact 2-D area integral of the source", () => {
    // Oracle: the image as a piecewise-constant function; an output pixel is its integral over the
    // output pixel's rectangle divided by the rectangle's area, summed over every source pixel.
    const [h, w, dh, dw] = [17, 23, 7, 9];
    const src = Uint8Array.from({ length: h * w }, (_, i) => (i * 7919 + (i % 13) * 31) % 256);
    const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
    const [sy, sx] = [h / dh, w / dw];
    const out = resizePlane(src, h, w, dh, dw);
    for (let y = 0; y < dh; y++) {
      for (let x = 0; x < dw; x++) {
        let sum = 0;
        for (let j = 0; j < h; j++) {
          for (let i = 0; i < w; i++) sum += src[j * w + i] * overlap(j, j + 1, y * sy, (y + 1) * sy) * overlap(i, i + 1, x * sx, (x + 1) * sx);
        }
        expect(out[y * dw + x]).toBe(Math.round(sum / (sx * sy)));
      }
    }
  });

  it("shrinks one axis by area while enlarging the other bilinearly", () => {
    // 2x1 -> 1x2: rows averaged (0 and 200 -> 100), the one column repeated.
    expect(Array.from(resizePlane(Uint8Array.from([0, 200]), 2, 1, 1, 2))).toEqual([100, 100]);
  });
});

describe("orientRgba", () => {
  // A 3 wide, 2 high image; pixel value = its index, in all four bytes.
  const w = 3;
  const h = 2;
  const grid = [
    [0, 1, 2],
    [3, 4, 5],
  ];
  const rgba = (rows: number[][]) => ({ width: rows[0].length, height: rows.length, data: Uint8Array.from(rows.flat().flatMap((v) => [v, v, v, v])) });
  const flipX = (m: number[][]) => m.map((r) => [...r].reverse());
  const flipY = (m: number[][]) => [...m].reverse();
  const transpose = (m: number[][]) => m[0].map((_, x) => m.map((r) => r[x]));
  const rotateCw = (m: number[][]) => flipX(transpose(m));
  const expected: Record<number, number[][]> = {
    1: grid,
    2: flipX(grid),
    3: flipY(flipX(grid)),
    4: flipY(grid),
    5: transpose(grid),
    6: rotateCw(grid),
    7: flipY(flipX(transpose(grid))),
    8: flipY(transpose(grid)),
  };

  for (const [orientation, rows] of Object.entries(expected)) {
    it(`orientation ${orientation}`, () => {
      const out = orientRgba({ width: w, height: h, data: rgba(grid).data }, Number(orientation));
      expect(out).toEqual(rgba(rows));
    });
  }

  it("treats an unknown orientation as 1", () => {
    const img = rgba(grid);
    expect(orientRgba(img, 0)).toBe(img);
    expect(orientRgba(img, 9)).toBe(img);
  });
});
