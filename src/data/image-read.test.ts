// readImages: the bytes and the file kind choose the reader; labels go with IDX only.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { badInputAsync, grayPng, gzip, idx, tempDir, writeTree } from "./image-fixtures.js";
import { decodeImage, readImages } from "./image-read.js";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("maas-read-images-");
  await writeTree(dir, {
    "classes/cat/a.png": grayPng(1, 1, 1),
    "classes/dog/b.png": grayPng(1, 1, 2),
    "loose/b.png": grayPng(1, 1, 2),
    "loose/a.png": grayPng(1, 1, 1),
    "one.png": grayPng(2, 2, 5),
    "images.gz": gzip(idx([2, 1, 1], [3, 4])),
    "images-idx3-ubyte": idx([2, 1, 1], [3, 4]),
    "labels.gz": gzip(idx([2], [1, 0])),
    "data.bin": Buffer.from(zipSync({ "cat/a.png": grayPng(1, 1, 1) })),
    "notes.txt": "hello",
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const at = (name: string) => join(dir, name);

describe("readImages", () => {
  it("reads a folder of class folders as labelled, a folder of images as unlabelled", async () => {
    expect(await readImages(at("classes"))).toMatchObject({ labelKind: "folder", labels: ["cat", "dog"], files: ["cat/a.png", "dog/b.png"] });
    expect(await readImages(at("loose"))).toMatchObject({ labelKind: "none", files: ["a.png", "b.png"] });
  });

  it("reads IDX files, gzipped or not, with labels when given", async () => {
    expect(await readImages(at("images.gz"), { labels: at("labels.gz") })).toMatchObject({ labelKind: "idx", labels: ["1", "0"], count: 2 });
    expect(await readImages(at("images-idx3-ubyte"))).toMatchObject({ labelKind: "none", count: 2, pixels: Uint8Array.from([3, 4]) });
  });

  it("reads a zip by its bytes, whatever its name, and a single image", async () => {
    expect(await readImages(at("data.bin"))).toMatchObject({ labelKind: "folder", labels: ["cat"] });
    expect(await readImages(at("one.png"), { channels: 3 })).toMatchObject({ labelKind: "none", count: 1, channels: 3, files: [at("one.png")] });
  });

  it("refuses labels with anything but IDX, unknown files and missing paths", async () => {
    expect(await badInputAsync(readImages(at("classes"), { labels: at("labels.gz") }))).toBe(
      `${at("classes")}: is a folder, labelled by its sub-folders; a labels file (${at("labels.gz")}) goes with IDX images only`,
    );
    expect(await badInputAsync(readImages(at("data.bin"), { labels: "l" }))).toBe(`${at("data.bin")}: is a zip; a labels file (l) goes with IDX images only`);
    expect(await badInputAsync(readImages(at("notes.txt")))).toBe(
      `${at("notes.txt")}: starts with 0x68656c6c: not an IDX file, a zip or a PNG/JPEG image; expected one of those, or a folder of images`,
    );
    expect(await badInputAsync(readImages(at("missing")))).toBe(`${at("missing")}: no such file or folder`);
    const empty = at("empty");
    await writeFile(empty, "");
    expect(await badInputAsync(readImages(empty))).toBe(`${empty}: empty: not an IDX file, a zip or a PNG/JPEG image; expected one of those, or a folder of images`);
  });

  it("exports decodeImage for single images", () => {
    expect(Array.from(decodeImage(grayPng(2, 2, 9), { channels: 1, height: 1, width: 1 }))).toEqual([9]);
  });
});
