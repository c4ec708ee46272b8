// Collecting decoded images into one ImageSet: the first image fixes the shape the options leave
// open, and every image is converted to it (see image-decode.ts for the policy).
import { conformPlanes, decodeRgba, rgbaToPlanes } from "./image-decode.js";
import { checkShapeOptions } from "./image-set.js";
import type { FullShape, ImageReadOptions, ImageSet } from "./image-set.js";

export class ImageSetBuilder {
  private shape: FullShape | undefined;
  private pixels = new Uint8Array(0);
  private count = 0;
  private resized = 0;
  private readonly files: string[] = [];
  private readonly labels: string[] = [];

  /** `capacity`: how many images are expected at most (the pixel buffer is sized for them once). */
  constructor(
    private readonly options: ImageReadOptions,
    private readonly capacity: number,
  ) {
    checkShapeOptions(options);
  }

  /** Decodes and adds one PNG/JPEG. `file` names it in errors; `relative` and `label` are recorded. */
  add(bytes: Uint8Array, file: string, relative: string, label?: string): void {
    const { rgba, channels } = decodeRgba(bytes, file, this.options.maxPixels);
    const o = this.options;
    const shape = (this.shape ??= { channels: o.channels ?? channels, height: o.height ?? rgba.height, width: o.width ?? rgba.width });
    const planes = rgbaToPlanes(rgba, shape.channels);
    const own = { channels: shape.channels, height: rgba.height, width: rgba.width };
    const image = conformPlanes(planes, own, shape, o.resize ?? true, file);
    if (rgba.height !== shape.height || rgba.width !== shape.width) this.resized++;
    this.append(image);
    this.files.push(relative);
    if (label !== undefined) this.labels.push(label);
  }

  private append(image: Uint8Array): void {
    const offset = this.count * image.length;
    if (offset + image.length > this.pixels.length) {
      const grown = new Uint8Array(Math.max(this.capacity, this.count * 2, this.count + 1) * image.length);
      grown.set(this.pixels.subarray(0, offset));
      this.pixels = grown;
    }
    this.pixels.set(image, offset);
    this.count++;
  }

  /** How many images were added so far. */
  get size(): number {
    return this.count;
  }

  /** The set of the images added (at least one). */
  build(source: string, labelKind: ImageSet["labelKind"]): ImageSet {
    const shape = this.shape!;
    const bytes = this.count * shape.channels * shape.height * shape.width;
    return {
      source,
      count: this.count,
      ...shape,
      pixels: bytes === this.pixels.length ? this.pixels : this.pixels.slice(0, bytes),
      ...(labelKind === "folder" ? { labels: this.labels } : {}),
      labelKind,
      files: this.files,
      resized: this.resized,
    };
  }
}
