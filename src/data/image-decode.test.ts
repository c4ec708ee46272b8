// Decoding single images: exact PNG round trips, JPEG within a tolerance, the channel and alpha
// rules against their formulas, EXIF orientation, and every refusal with its message.
import { describe, expect, it } from "vitest";
import { decodeImage, imageFormat, isImageFile } from "./image-decode.js";
import { badInput, exifOrientation, GRAY_JPEG, jpegRgb, png } from "./image-fixtures.js";
import { readJpegInfo } from "./image-jpeg-info.js";

/** Interleaved RGB of a w x h image -> planar C x H x W. */
function planar(w: number, h: number, rgb: number[]): number[] {
  const n = w * h;
  return [0, 1, 2].flatMap((c) => Array.from({ length: n }, (_, p) => rgb[3 * p + c]));
}

describe("decodeImage: PNG", () => {
  it("round-trips RGB pixels exactly, as planar channels", () => {
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 200, 100, 50, 1, 2, 3];
    const out = decodeImage(png(3, 2, 3, rgb), { channels: 3, height: 2, width: 3 });
    expect(Array.from(out)).toEqual(planar(3, 2, rgb));
  });

  it("round-trips grayscale pixels exactly", () => {
    const gray = Array.from({ length: 20 }, (_, i) => i * 13);
    expect(Array.from(decodeImage(png(5, 4, 1, gray), { channels: 1, height: 4, width: 5 }))).toEqual(gray);
  });

  it("scales 16-bit PNGs to 8 bits", () => {
    const out = decodeImage(png(3, 1, 1, [0, 257 * 100, 65535], 16), { channels: 1, height: 1, width: 3 });
    expect(Array.from(out)).toEqual([0, 100, 255]);
  });

  it("converts RGB to gray by ITU-R BT.601 luminance, rounded", () => {
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
    const y = (r: number, g: number, b: number) => Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    const out = decodeImage(png(4, 1, 3, rgb), { channels: 1, height: 1, width: 4 });
    expect(Array.from(out)).toEqual([y(255, 0, 0), y(0, 255, 0), y(0, 0, 255), y(10, 20, 30)]); // 76, 150, 29, 18
  });

  it("replicates gray into three channels", () => {
    const out = decodeImage(png(2, 1, 1, [7, 200]), { channels: 3, height: 1, width: 2 });
    expect(Array.from(out)).toEqual([7, 200, 7, 200, 7, 200]);
  });

  it("composites alpha on white", () => {
    // Opaque red stays red; transparent anything becomes white; half-transparent black becomes mid-gray.
    const rgba = [255, 0, 0, 255, 12, 34, 56, 0, 0, 0, 0, 128];
    const out = decodeImage(png(3, 1, 4, rgba), { channels: 3, height: 1, width: 3 });
    const over = (c: number, a: number) => Math.round((c * a + 255 * (255 - a)) / 255);
    expect(Array.from(out)).toEqual([255, 255, over(0, 128), 0, 255, over(0, 128), 0, 255, over(0, 128)]);
    const grayAlpha = decodeImage(png(2, 1, 2, [0, 0, 100, 255]), { channels: 1, height: 1, width: 2 });
    expect(Array.from(grayAlpha)).toEqual([255, 100]);
  });

  it("resizes to the requested size (area when shrinking)", () => {
    const gray = [0, 100, 50, 50, 200, 100, 150, 150]; // 4x2 -> 2x1: means of 2x2 blocks
    expect(Array.from(decodeImage(png(4, 2, 1, gray), { channels: 1, height: 1, width: 2 }))).toEqual([100, 100]);
  });

  it("refuses another size when resizing is off", () => {
    expect(badInput(() => decodeImage(png(4, 2, 1, new Array(8).fill(0)), { channels: 1, height: 28, width: 28, resize: false }, "x.png"))).toBe(
      "x.png: is 2x4 pixels (height x width); expected 28x28 (resizing is off)",
    );
  });
});

describe("decodeImage: JPEG", () => {
  it("round-trips a smooth RGB image within a few levels", () => {
    const [w, h] = [16, 16];
    const rgb = Array.from({ length: w * h }, (_, p) => [(p % w) * 16, Math.floor(p / w) * 16, 128]).flat();
    const out = decodeImage(jpegRgb(w, h, rgb, 95), { channels: 3, height: h, width: w });
    const want = planar(w, h, rgb);
    const meanError = want.reduce((s, v, i) => s + Math.abs(v - out[i]), 0) / want.length;
    expect(meanError).toBeLessThan(2);
  });

  it("reads a grayscale JPEG's component count and pixels", () => {
    expect(readJpegInfo(GRAY_JPEG)).toEqual({ width: 16, height: 8, components: 1, orientation: 1 });
    const out = decodeImage(GRAY_JPEG, { channels: 1, height: 8, width: 16 });
    out.forEach((v, p) => expect(Math.abs(v - (p % 16) * 16)).toBeLessThanOrEqual(3));
  });

  it("turns the image upright by its EXIF orientation (both byte orders)", () => {
    // Stored 16 wide x 8 high: left half black, right half white. Orientation 6 (rotate 90 clockwise)
    // shows it 8 wide x 16 high, black on top.
    const rgb = Array.from({ length: 16 * 8 }, (_, p) => (p % 16 < 8 ? [0, 0, 0] : [255, 255, 255])).flat();
    for (const little of [false, true]) {
      const jpg = jpegRgb(16, 8, rgb, 95, exifOrientation(6, little));
      expect(readJpegInfo(jpg)?.orientation).toBe(6);
      const out = decodeImage(jpg, { channels: 1, height: 16, width: 8 }, "photo.jpg");
      expect(out.subarray(0, 8 * 6).every((v) => v < 30)).toBe(true);
      expect(out.subarray(8 * 10).every((v) => v > 225)).toBe(true);
    }
  });
});

describe("decodeImage: refusals", () => {
  const shape = { channels: 1, height: 2, width: 2 } as const;
  const fails = (bytes: Uint8Array, message: string | RegExp, options = {}) => {
    const got = badInput(() => decodeImage(bytes, { ...shape, ...options }, "in.png"));
    if (typeof message === "string") expect(got).toBe(message);
    else expect(got).toMatch(message);
  };

  it("names the format of other images and the first bytes of anything else", () => {
    fails(Buffer.from("GIF89a......"), "in.png: a GIF image; expected PNG or JPEG");
    fails(Buffer.from("RIFF\0\0\0\0WEBPVP8 "), "in.png: a WebP image; expected PNG or JPEG");
    fails(Buffer.from("hello"), "in.png: starts with 0x68656c6c: not a PNG or JPEG image; expected PNG or JPEG bytes");
    fails(new Uint8Array(0), "in.png: empty: not a PNG or JPEG image; expected PNG or JPEG bytes");
  });

  it("refuses a broken PNG or JPEG with the decoder's reason", () => {
    const good = png(2, 2, 1, [1, 2, 3, 4]);
    fails(good.subarray(0, good.length - 20), /^in\.png: not a readable PNG \(.+\); expected a valid PNG file$/);
    const corrupt = Buffer.from(good);
    corrupt[good.length - 20] ^= 0xff; // inside the IDAT data: the CRC check fails
    fails(corrupt, /^in\.png: not a readable PNG \(.+\); expected a valid PNG file$/);
    fails(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), "in.png: not a readable JPEG (no frame header before the image data); expected a valid JPEG file");
    const jpg = jpegRgb(8, 8, new Array(192).fill(9));
    fails(jpg.subarray(0, 200), /^in\.png: not a readable JPEG \(.+\); expected a valid JPEG file$/);
  });

  it("refuses images larger than maxPixels before decoding them", () => {
    fails(png(40, 30, 1, new Array(1200).fill(0)), "in.png: 30x40 pixels is more than the 1000 allowed", { maxPixels: 1000 });
    fails(jpegRgb(40, 30, new Array(3600).fill(0)), "in.png: 30x40 pixels is more than the 1000 allowed", { maxPixels: 1000 });
  });

  it("refuses bad shape options", () => {
    expect(badInput(() => decodeImage(png(1, 1, 1, [0]), { channels: 2 as 1, height: 1, width: 1 }))).toBe("channels is 2; expected 1 (grayscale) or 3 (RGB)");
    expect(badInput(() => decodeImage(png(1, 1, 1, [0]), { channels: 1, height: 0, width: 1 }))).toBe("height is 0; expected a positive integer");
  });
});

describe("isImageFile", () => {
  it("accepts PNG and JPEG, ignores other files, refuses other images and files named as images", () => {
    expect(isImageFile(png(1, 1, 1, [0]), "a.dat", "d/a.dat")).toBe(true);
    expect(isImageFile(GRAY_JPEG, "a", "d/a")).toBe(true);
    expect(isImageFile(Buffer.from("label,notes"), "notes.txt", "d/notes.txt")).toBe(false);
    expect(isImageFile(Buffer.from("BM is a car"), "cars.txt", "d/cars.txt")).toBe(false);
    expect(badInput(() => isImageFile(Buffer.from("GIF89a"), "a.gif", "d/a.gif"))).toBe("d/a.gif: a GIF image; expected PNG or JPEG");
    expect(badInput(() => isImageFile(Buffer.from("oops"), "a.JPG", "d/a.JPG"))).toBe("d/a.JPG: starts with 0x6f6f7073: not a PNG or JPEG file; expected PNG or JPEG bytes");
  });

  it("tells formats by their magic bytes", () => {
    expect(imageFormat(png(1, 1, 3, [0, 0, 0]))).toBe("PNG");
    expect(imageFormat(Buffer.from("II*\0"))).toBe("TIFF");
    expect(imageFormat(Buffer.from("\0\0\0\x1cftypavif"))).toBe("HEIF/AVIF");
    expect(imageFormat(Buffer.from("text"))).toBeUndefined();
  });
});
