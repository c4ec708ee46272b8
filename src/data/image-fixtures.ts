// Test helpers: PNG, JPEG, IDX and folder trees made with known pixels (not part of the build).
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { MaasError } from "../errors.js";

/** PNG color types by channels per pixel: gray, gray+alpha, RGB, RGBA. */
const COLOR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

/**
 * A PNG of interleaved pixels with 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels. With
 * bitDepth 16, values are 0..65535.
 */
export function png(width: number, height: number, channels: 1 | 2 | 3 | 4, pixels: ArrayLike<number>, bitDepth: 8 | 16 = 8): Buffer {
  if (pixels.length !== width * height * channels) throw new Error(`png: ${pixels.length} values for ${width}x${height}x${channels}`);
  const data = bitDepth === 16 ? Buffer.from(Uint16Array.from(pixels).buffer) : Buffer.from(Uint8Array.from(pixels));
  const colorType = COLOR_TYPE[channels];
  return PNG.sync.write({ width, height, data } as unknown as PNG, { colorType, inputColorType: colorType, inputHasAlpha: channels % 2 === 0, bitDepth });
}

/** A gray PNG filled with one value. */
export function grayPng(width: number, height: number, value = 128): Buffer {
  return png(width, height, 1, new Uint8Array(width * height).fill(value));
}

/** A JPEG of interleaved RGB pixels, with an APP1 Exif segment when `exif` (a TIFF structure) is given. */
export function jpegRgb(width: number, height: number, rgb: ArrayLike<number>, quality = 95, exif?: Uint8Array): Buffer {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data.set([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], 255], 4 * p);
  }
  const jpg = jpeg.encode({ width, height, data }, quality).data;
  if (!exif) return jpg;
  const body = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), exif]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpg.subarray(0, 2), app1, body, jpg.subarray(2)]);
}

/** A TIFF structure whose IFD0 holds only the orientation tag. */
export function exifOrientation(orientation: number, littleEndian = false): Uint8Array {
  const b = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (v: number, at: number) => (littleEndian ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (littleEndian ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  b.write(littleEndian ? "II" : "MM", 0, "latin1");
  u16(42, 2);
  u32(8, 4); // IFD0 right after the header
  u16(1, 8); // one entry
  u16(0x0112, 10); // Orientation
  u16(3, 12); // SHORT
  u32(1, 14); // count
  u16(orientation, 18);
  return b;
}

/** A 16x8 grayscale (1-component) JPEG made by PIL, quality 100: pixel (x, y) = 16 x. */
export const GRAY_JPEG = Buffer.from(
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAAIABABAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/AP5v/wDgm3/zAP8At2/9lr/QA/4Jt/8AMA/7dv8A2Wv/2Q==",
  "base64",
);

/** An IDX file: magic 00 00 08 (dims.length), big-endian sizes, then `data`; `magic` overrides the first 4 bytes. */
export function idx(dims: readonly number[], data: ArrayLike<number>, magic?: readonly number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.set(magic ?? [0, 0, 8, dims.length]);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Uint8Array.from(data))]);
}

export const gzip = (b: Uint8Array): Buffer => gzipSync(b);

/** A fresh temporary folder. */
export function tempDir(prefix = "maas-images-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes files (relative path -> bytes or text) under `root`, making folders as needed. */
export async function writeTree(root: string, files: Record<string, Uint8Array | string>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** The message of the bad_input MaasError `fn` throws; any other outcome fails the test. */
export function badInput(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return messageOf(e);
  }
  throw new Error("expected a bad_input MaasError, but nothing was thrown");
}

/** The message of the bad_input MaasError `promise` rejects with; any other outcome fails the test. */
export async function badInputAsync(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return messageOf(e);
  }
  throw new Error("expected a bad_input MaasError, but the promise resolved");
}

function messageOf(e: unknown): string {
  if (!(e instanceof MaasError) || e.code !== "bad_input") throw new Error(`expected a bad_input MaasError, got ${String(e)}`);
  if (e.message.includes("\n")) throw new Error(`expected a one-line message, got ${JSON.stringify(e.message)}`);
  return e.message;
}
