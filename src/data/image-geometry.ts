// Moving pixels: resizing a plane of bytes and turning an RGBA image upright by its EXIF orientation.
//
// Resizing is separable (rows, then columns), with a per-axis rule:
//   shrinking an axis: area averaging. Output pixel i covers source interval [i*s, (i+1)*s), s = src/dst,
//     and is the coverage-weighted mean of the source pixels under it (OpenCV INTER_AREA, PIL BOX):
//     out[i] = sum_j |[j, j+1) ∩ [i*s, (i+1)*s)| * in[j] / s
//   enlarging an axis: bilinear with half-pixel centres (OpenCV INTER_LINEAR, PIL BILINEAR):
//     x = (i + 0.5) * s - 0.5, clamped to [0, src-1]; out[i] = (1-f) in[floor x] + f in[floor x + 1], f = x - floor x
// The aspect ratio is not kept: an image is stretched to the target, as Keras's
// image_dataset_from_directory and torchvision's Resize((h, w)) do.

/** For each output index along one axis: the first source index and the weights from there on. */
interface AxisTaps {
  start: Int32Array;
  weights: Float32Array[];
}

function axisTaps(src: number, dst: number): AxisTaps {
  const start = new Int32Array(dst);
  const weights: Float32Array[] = [];
  const s = src / dst;
  for (let i = 0; i < dst; i++) {
    if (s > 1) {
      const lo = i * s;
      const hi = Math.min((i + 1) * s, src);
      const first = Math.floor(lo);
      const w = new Float32Array(Math.ceil(hi) - first);
      for (let j = first; j < Math.ceil(hi); j++) w[j - first] = (Math.min(hi, j + 1) - Math.max(lo, j)) / s;
      start[i] = first;
      weights.push(w);
    } else {
      const x = Math.min(Math.max((i + 0.5) * s - 0.5, 0), src - 1);
      const first = Math.min(Math.floor(x), Math.max(src - 2, 0));
      const f = x - first;
      start[i] = first;
      weights.push(src === 1 ? Float32Array.of(1) : Float32Array.of(1 - f, f));
    }
  }
  return { start, weights };
}

/**
 * Resizes a height x width plane of bytes to dstHeight x dstWidth (area when shrinking, bilinear when
 * enlarging, per axis), rounding to the nearest byte.
 */
export function resizePlane(src: Uint8Array, height: number, width: number, dstHeight: number, dstWidth: number): Uint8Array {
  const cols = axisTaps(width, dstWidth);
  const rows = axisTaps(height, dstHeight);
  const tmp = new Float32Array(height * dstWidth);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < dstWidth; x++) {
      const w = cols.weights[x];
      const base = y * width + cols.start[x];
      let acc = 0;
      for (let k = 0; k < w.length; k++) acc += w[k] * src[base + k];
      tmp[y * dstWidth + x] = acc;
    }
  }
  const out = new Uint8Array(dstHeight * dstWidth);
  for (let y = 0; y < dstHeight; y++) {
    const w = rows.weights[y];
    const first = rows.start[y];
    for (let x = 0; x < dstWidth; x++) {
      let acc = 0;
      for (let k = 0; k < w.length; k++) acc += w[k] * tmp[(first + k) * dstWidth + x];
      out[y * dstWidth + x] = Math.min(255, Math.max(0, Math.round(acc)));
    }
  }
  return out;
}

/** An RGBA image, 4 bytes per pixel, row by row. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * The image as it is meant to be seen, for an EXIF orientation (1..8; anything else is 1): the
 * stored pixels mirrored and/or rotated, as browsers and PIL's ImageOps.exif_transpose show them.
 */
export function orientRgba(img: Rgba, orientation: number): Rgba {
  if (!(orientation >= 2 && orientation <= 8)) return img;
  const { width: w, height: h, data } = img;
  const swap = orientation >= 5;
  const dw = swap ? h : w;
  const dh = swap ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      // The stored pixel (sx, sy) shown at (x, y).
      const sx = storedX(orientation, x, y, w);
      const sy = storedY(orientation, x, y, h);
      const from = (sy * w + sx) * 4;
      const to = (y * dw + x) * 4;
      for (let k = 0; k < 4; k++) out[to + k] = data[from + k];
    }
  }
  return { width: dw, height: dh, data: out };
}

// Orientation 2: mirrored left-right; 3: rotated 180; 4: mirrored top-bottom; 5: transposed;
// 6: to be rotated 90 clockwise; 7: transversed; 8: to be rotated 90 counter-clockwise.
function storedX(orientation: number, x: number, y: number, w: number): number {
  switch (orientation) {
    case 2:
    case 3:
      return w - 1 - x;
    case 4:
      return x;
    case 5:
    case 6:
      return y;
    default: // 7, 8
      return w - 1 - y;
  }
}

function storedY(orientation: number, x: number, y: number, h: number): number {
  switch (orientation) {
    case 2:
      return y;
    case 3:
    case 4:
      return h - 1 - y;
    case 5:
    case 8:
      return x;
    default: // 6, 7
      return h - 1 - x;
  }
}
