// Decoding one PNG or JPEG (pngjs, jpeg-js: pure JavaScript) and converting it to a target shape.
//
// Size and channel policy, shared by every image reader:
// - The format is told by the magic bytes, not the file name.
// - A JPEG is turned upright by its EXIF orientation first, as browsers show it.
// - Alpha (PNG alpha channel or tRNS) is composited on white: c' = round((c a + 255 (255 - a)) / 255).
// - RGB -> gray by luminance, ITU-R BT.601: Y = round(0.299 R + 0.587 G + 0.114 B);
//   gray -> RGB by replication. 16-bit PNGs are scaled to 8 bits, palettes expanded (pngjs).
// - An image of another size is resized (area when shrinking, bilinear when enlarging; see
//   image-geometry.ts), unless resizing is off: then it is an error naming the file.
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { inputError } from "../errors.js";
import { orientRgba, resizePlane } from "./image-geometry.js";
import type { Rgba } from "./image-geometry.js";
import { readJpegInfo } from "./image-jpeg-info.js";
import { MAX_IMAGE_PIXELS, checkShapeOptions } from "./image-set.js";
import type { FullShape, ImageReadOptions } from "./image-set.js";

/** The sizes a BMP's DIB header can have: with "BM", this tells a BMP from text starting with "BM". */
const BMP_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

/** Magic bytes of the image formats told apart; only PNG and JPEG are decoded. */
const SIGNATURES: readonly [format: string, test: (b: Uint8Array) => boolean][] = [
  ["PNG", (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ["JPEG", (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  ["GIF", (b) => startsWith(b, [0x47, 0x49, 0x46, 0x38])],
  ["BMP", (b) => startsWith(b, [0x42, 0x4d]) && b.length >= 18 && BMP_HEADER_SIZES.has(b[14] | (b[15] << 8) | (b[16] << 16) | (b[17] << 24))],
  ["WebP", (b) => startsWith(b, [0x52, 0x49, 0x46, 0x46]) && ascii(b, 8, 12) === "WEBP"],
  ["TIFF", (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])],
  ["HEIF/AVIF", (b) => ascii(b, 4, 8) === "ftyp" && /^(heic|heix|mif1|msf1|avif|avis)$/.test(ascii(b, 8, 12))],
];

/** File names that claim to be an image: such a file must decode, it is never skipped silently. */
const IMAGE_NAME = /\.(png|jpe?g|jfif|gif|bmp|webp|tiff?|heic|heif|avif)$/i;

function startsWith(b: Uint8Array, magic: readonly number[]): boolean {
  return b.length >= magic.length && magic.every((m, i) => b[i] === m);
}

function ascii(b: Uint8Array, from: number, to: number): string {
  return b.length >= to ? String.fromCharCode(...b.subarray(from, to)) : "";
}

/** "PNG", "JPEG", another image format's name, or undefined: by the first bytes. */
export function imageFormat(bytes: Uint8Array): string | undefined {
  return SIGNATURES.find(([, test]) => test(bytes))?.[0];
}

/**
 * Whether a file in a data folder is an image to read (PNG or JPEG) or another file to ignore.
 * Another image format, or a file named like an image whose bytes are not one, is an error.
 */
export function isImageFile(bytes: Uint8Array, name: string, file: string): boolean {
  const format = imageFormat(bytes);
  if (format === "PNG" || format === "JPEG") return true;
  if (format !== undefined) throw inputError(`a ${format} image; expected PNG or JPEG`, { file });
  if (IMAGE_NAME.test(name)) throw inputError(`${startText(bytes)}: not a PNG or JPEG file; expected PNG or JPEG bytes`, { file });
  return false;
}

function startText(bytes: Uint8Array): string {
  if (bytes.length === 0) return "empty";
  return `starts with 0x${Buffer.from(bytes.subarray(0, 4)).toString("hex")}`;
}

/** A decoded image: upright RGBA, and the channels it has natively (1 for grayscale files). */
export interface DecodedImage {
  rgba: Rgba;
  channels: 1 | 3;
}

/** Decodes PNG or JPEG bytes to upright RGBA; anything unreadable is a bad_input error naming `file`. */
export function decodeRgba(bytes: Uint8Array, file: string, maxPixels = MAX_IMAGE_PIXELS): DecodedImage {
  const format = imageFormat(bytes);
  if (format === "PNG") return decodePng(bytes, file, maxPixels);
  if (format === "JPEG") return decodeJpeg(bytes, file, maxPixels);
  throw inputError(format ? `a ${format} image; expected PNG or JPEG` : `${startText(bytes)}: not a PNG or JPEG image; expected PNG or JPEG bytes`, { file });
}

function checkPixels(width: number, height: number, file: string, maxPixels: number): void {
  if (width * height > maxPixels) throw inputError(`${height}x${width} pixels is more than the ${maxPixels} allowed`, { file });
  if (width === 0 || height === 0) throw inputError(`${height}x${width} pixels; expected a non-empty image`, { file });
}

function decodePng(bytes: Uint8Array, file: string, maxPixels: number): DecodedImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length >= 26 && buf.toString("latin1", 12, 16) === "IHDR") checkPixels(buf.readUInt32BE(16), buf.readUInt32BE(20), file, maxPixels);
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(buf);
  } catch (e) {
    throw inputError(`not a readable PNG (${oneLine(e)}); expected a valid PNG file`, { file });
  }
  const gray = png.colorType === 0 || png.colorType === 4;
  return { rgba: { width: png.width, height: png.height, data: png.data }, channels: gray ? 1 : 3 };
}

function decodeJpeg(bytes: Uint8Array, file: string, maxPixels: number): DecodedImage {
  const info = readJpegInfo(bytes);
  if (!info) throw inputError("not a readable JPEG (no frame header before the image data); expected a valid JPEG file", { file });
  checkPixels(info.width, info.height, file, maxPixels);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.max(512, (maxPixels * 8) / 2 ** 20),
    });
  } catch (e) {
    throw inputError(`not a readable JPEG (${oneLine(e)}); expected a valid JPEG file`, { file });
  }
  return { rgba: orientRgba(img, info.orientation), channels: info.components === 1 ? 1 : 3 };
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0].trim();
}

/** Planar bytes (channels x height x width) of an RGBA image: alpha composited on white, then gray or RGB. */
export function rgbaToPlanes(img: Rgba, channels: 1 | 3): Uint8Array {
  const n = img.width * img.height;
  const d = img.data;
  const out = new Uint8Array(channels * n);
  for (let p = 0; p < n; p++) {
    const a = d[4 * p + 3];
    let r = d[4 * p];
    let g = d[4 * p + 1];
    let b = d[4 * p + 2];
    if (a !== 255) {
      r = Math.round((r * a + 255 * (255 - a)) / 255);
      g = Math.round((g * a + 255 * (255 - a)) / 255);
      b = Math.round((b * a + 255 * (255 - a)) / 255);
    }
    if (channels === 1) {
      out[p] = Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
    } else {
      out[p] = r;
      out[n + p] = g;
      out[2 * n + p] = b;
    }
  }
  return out;
}

/**
 * Converts planar bytes of shape `from` to shape `to`: gray <-> RGB, then each plane resized.
 * A size change with `resize` false is an error naming `file`. Returns `planes` itself when the shapes match.
 */
export function conformPlanes(planes: Uint8Array, from: FullShape, to: FullShape, resize: boolean, file: string): Uint8Array {
  const sameSize = from.height === to.height && from.width === to.width;
  if (!sameSize && !resize) {
    throw inputError(`is ${from.height}x${from.width} pixels (height x width); expected ${to.height}x${to.width} (resizing is off)`, { file });
  }
  const n = from.height * from.width;
  let src = planes;
  if (from.channels === 1 && to.channels === 3) {
    src = new Uint8Array(3 * n);
    for (let c = 0; c < 3; c++) src.set(planes, c * n);
  } else if (from.channels === 3 && to.channels === 1) {
    src = new Uint8Array(n);
    for (let p = 0; p < n; p++) src[p] = Math.floor((299 * planes[p] + 587 * planes[n + p] + 114 * planes[2 * n + p] + 500) / 1000);
  }
  if (sameSize) return src;
  const m = to.height * to.width;
  const out = new Uint8Array(to.channels * m);
  for (let c = 0; c < to.channels; c++) {
    out.set(resizePlane(src.subarray(c * n, (c + 1) * n), from.height, from.width, to.height, to.width), c * m);
  }
  return out;
}

/**
 * Decodes one PNG or JPEG to channels x height x width bytes (raw 0..255), by the policy above:
 * for a single image sent to a model, e.g. the API's `{ "image": "<base64>" }` instances.
 * @example decodeImage(Buffer.from(b64, "base64"), { channels: 1, height: 28, width: 28 }) // 784 bytes
 */
export function decodeImage(bytes: Uint8Array, shape: FullShape & ImageReadOptions, file = "image"): Uint8Array {
  checkShapeOptions(shape);
  const { rgba } = decodeRgba(bytes, file, shape.maxPixels);
  const planes = rgbaToPlanes(rgba, shape.channels);
  return conformPlanes(planes, { channels: shape.channels, height: rgba.height, width: rgba.width }, shape, shape.resize ?? true, file);
}
