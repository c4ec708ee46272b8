// The image data every image reader produces, and the options they share: the target shape and the
// size policy. Pixels stay raw bytes (0..255); normalisation belongs to the model's graph.
import { inputError } from "../errors.js";

/** A set of equally sized images, NCHW, with a label per image when the source has labels. */
export interface ImageSet {
  /** Where the images came from (a folder, an IDX file, a zip), for messages. */
  source: string;
  count: number;
  channels: 1 | 3;
  height: number;
  width: number;
  /** count * channels * height * width bytes, NCHW, raw 0..255. */
  pixels: Uint8Array;
  /** Per image: the class folder's name (folders, zips) or the integer label as a string (IDX). */
  labels?: string[];
  labelKind: "folder" | "idx" | "none";
  /** Per image, its path relative to the folder (or zip) read; absent for IDX. */
  files?: string[];
  /** How many images were resized to height x width (0 when all had that size). */
  resized?: number;
}

/** The shape images are converted to; an unset field takes the first image's value. */
export interface ImageShape {
  channels?: 1 | 3;
  height?: number;
  width?: number;
}

/** Options every image reader takes. */
export interface ImageReadOptions extends ImageShape {
  /** Resize an image whose size differs from the target (default true); false makes it an error. */
  resize?: boolean;
  /** Largest width * height decoded, against decompression bombs (default 100 megapixels). */
  maxPixels?: number;
}

/** The default of `ImageReadOptions.maxPixels`: jpeg-js's own default limit. */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** The shape of one image or of every image of a set. */
export interface FullShape {
  channels: 1 | 3;
  height: number;
  width: number;
}

/** Checks the shape options a caller passed (from a model or CLI flags); throws bad_input. */
export function checkShapeOptions(o: ImageShape): void {
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) {
    throw inputError(`channels is ${String(o.channels)}; expected 1 (grayscale) or 3 (RGB)`);
  }
  for (const key of ["height", "width"] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw inputError(`${key} is ${String(v)}; expected a positive integer`);
  }
}

/** "3x28x28" for messages: channels x height x width. */
export function shapeText(s: FullShape): string {
  return `${s.channels}x${s.height}x${s.width}`;
}
