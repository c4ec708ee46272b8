// IDX files made by the test (plain and gzipped), every header fault with its message, and, when
// Debian's dataset-fashion-mnist is installed, the real Fashion-MNIST test set.
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readIdx } from "./idx.js";
import { badInputAsync, gzip, idx, png, tempDir } from "./image-fixtures.js";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("maas-idx-");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** Three 2 x 3 images: image i has pixels 10 i + 0..5. */
const PIXELS = Array.from({ length: 18 }, (_, k) => 10 * Math.floor(k / 6) + (k % 6));
const IMAGES = idx([3, 2, 3], PIXELS);
const LABELS = idx([3], [7, 0, 255]);

describe("readIdx", () => {
  it("reads images and labels, plain or gzipped, whatever the file names say", async () => {
    for (const [images, labels] of [
      [IMAGES, LABELS],
      [gzip(IMAGES), gzip(LABELS)],
      [gzip(IMAGES), LABELS],
    ]) {
      const i = await file("images.idx", images);
      const set = await readIdx(i, await file("labels.bin", labels));
      expect(set).toEqual({ source: i, count: 3, channels: 1, height: 2, width: 3, pixels: Uint8Array.from(PIXELS), labels: ["7", "0", "255"], labelKind: "idx", resized: 0 });
    }
  });

  it("reads images without labels, across many stream chunks", async () => {
    const many = Array.from({ length: 3000 * 28 * 28 }, (_, k) => (k * 31) % 256);
    const set = await readIdx(await file("big-idx3-ubyte.gz", gzip(idx([3000, 28, 28], many))));
    expect(set).toMatchObject({ count: 3000, height: 28, width: 28, labelKind: "none" });
    expect(set.labels).toBeUndefined();
    expect(set.pixels.length).toBe(many.length);
    expect(set.pixels.every((v, k) => v === many[k])).toBe(true);
  });

  it("converts to the channels and size asked for", async () => {
    const set = await readIdx(await file("i", IMAGES), undefined, { channels: 3, height: 1, width: 3 });
    expect(set).toMatchObject({ count: 3, channels: 3, height: 1, width: 3, resized: 3 });
    // Image 0: rows [0 1 2] and [3 4 5] averaged to [1.5 2.5 3.5] -> rounded, then replicated.
    expect(Array.from(set.pixels.subarray(0, 9))).toEqual([2, 3, 4, 2, 3, 4, 2, 3, 4]);
  });

  describe("refuses", () => {
    const images = (bytes: Uint8Array) => file("bad-images", bytes);
    const fails = async (bytes: Uint8Array, message: string) => {
      const path = await images(bytes);
      expect(await badInputAsync(readIdx(path))).toBe(`${path}: ${message}`);
    };

    it("a file that is not IDX", async () => {
      await fails(png(1, 1, 1, [0]), "not an IDX file (starts with 0x89504e47); expected magic 0x00000803 (idx3-ubyte images)");
      await fails(gzip(Buffer.from("PK\x03\x04 a gzipped zip")), "not an IDX file (starts with 0x504b0304); expected magic 0x00000803 (idx3-ubyte images)");
    });

    it("a header cut short", async () => {
      await fails(new Uint8Array(0), "the file ends inside the IDX header (0 bytes); expected magic 0x00000803 (idx3-ubyte images)");
      await fails(IMAGES.subarray(0, 10), "the file ends inside the IDX header (10 bytes); expected magic 0x00000803 (idx3-ubyte images)");
    });

    it("another data type", async () => {
      await fails(idx([1, 1, 1], [0, 0, 0, 0], [0, 0, 0x0d, 3]), "IDX data type 0x0d (float); expected 0x08 (unsigned byte)");
      await fails(idx([1, 1, 1], [0], [0, 0, 0x42, 3]), "IDX data type 0x42; expected 0x08 (unsigned byte)");
    });

    it("labels given as images (the wrong number of dimensions)", async () => {
      await fails(LABELS, "IDX magic 0x00000801, 1 dimension(s); expected magic 0x00000803 (idx3-ubyte images)");
    });

    it("a payload of the wrong size, or a size 0", async () => {
      await fails(IMAGES.subarray(0, IMAGES.length - 1), "17 bytes of data after the IDX header; expected 18 (3 x 2 x 3 unsigned bytes)");
      await fails(Buffer.concat([IMAGES, Buffer.from([1, 2])]), "20 bytes of data after the IDX header; expected 18 (3 x 2 x 3 unsigned bytes)");
      await fails(gzip(IMAGES.subarray(0, 20)), "4 bytes of data after the IDX header; expected 18 (3 x 2 x 3 unsigned bytes)");
      await fails(idx([0, 28, 28], []), "IDX sizes 0 x 28 x 28; expected no size 0");
    });

    it("corrupt or truncated gzip data", async () => {
      const gz = gzip(IMAGES);
      await fails(gz.subarray(0, gz.length - 10), "corrupt gzip data (unexpected end of file); expected a gzip-compressed IDX file");
      const bad = Buffer.from(gz);
      bad[3] = 0xff; // reserved flag bits
      const path = await images(bad);
      expect(await badInputAsync(readIdx(path))).toMatch(new RegExp(`^${path}: corrupt gzip data \\(.+\\); expected a gzip-compressed IDX file$`));
    });

    it("labels that do not match the images", async () => {
      const i = await file("ok-images", IMAGES);
      const l = await file("short-labels", idx([2], [1, 2]));
      expect(await badInputAsync(readIdx(i, l))).toBe(`${l}: 2 labels; expected 3, one per image in ${i}`);
      const swapped = await file("images-as-labels", IMAGES);
      expect(await badInputAsync(readIdx(i, swapped))).toBe(`${swapped}: IDX magic 0x00000803, 3 dimension(s); expected magic 0x00000801 (idx1-ubyte labels)`);
      expect(await badInputAsync(readIdx(i, join(dir, "missing")))).toBe(`${join(dir, "missing")}: no such file`);
    });
  });
});

const FASHION = "/usr/share/datasets/fashion-mnist";

describe.skipIf(!existsSync(join(FASHION, "t10k-images-idx3-ubyte.gz")))("Fashion-MNIST (Debian dataset-fashion-mnist)", () => {
  it("reads the 10000 test images, 28 x 28, with labels 0..9, 1000 of each", async () => {
    const set = await readIdx(join(FASHION, "t10k-images-idx3-ubyte.gz"), join(FASHION, "t10k-labels-idx1-ubyte.gz"));
    expect(set).toMatchObject({ count: 10000, channels: 1, height: 28, width: 28, labelKind: "idx" });
    expect(set.pixels.length).toBe(10000 * 28 * 28);
    const counts = new Map<string, number>();
    for (const l of set.labels!) counts.set(l, (counts.get(l) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect([...counts.values()].every((c) => c === 1000)).toBe(true);
    expect(set.labels!.slice(0, 3)).toEqual(["9", "2", "1"]); // ankle boot, pullover, trouser
  });
});
