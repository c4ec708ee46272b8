// Zips of class folders made with fflate: layouts (plain, wrapped, with macOS and dot entries), the
// zip-bomb and path-traversal guards, and every refusal with its message.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { zipSync } from "fflate";
import type { Zippable } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { badInputAsync, GRAY_JPEG, grayPng, png, tempDir } from "./image-fixtures.js";
import { readImageZip } from "./zip-images.js";

const zip = (files: Record<string, Uint8Array | string>) =>
  Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? Buffer.from(v) : v])) as Zippable));

/** Sets the uncompressed size the central directory declares for every entry. */
function declareSize(bytes: Buffer, size: number): Buffer {
  const out = Buffer.from(bytes);
  for (let at = out.indexOf("PK\x01\x02"); at >= 0; at = out.indexOf("PK\x01\x02", at + 4)) out.writeUInt32LE(size, at + 24);
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir("maas-zip-");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CLASSES = { "dog/b.png": grayPng(2, 2, 20), "cat/a.png": grayPng(2, 2, 10), "dog/a.jpg": GRAY_JPEG };

describe("readImageZip", () => {
  it("reads class folders at the top, in name order, labelled by folder", async () => {
    const set = await readImageZip(zip(CLASSES), { source: "pets.zip" });
    expect(set).toMatchObject({ source: "pets.zip", count: 3, channels: 1, height: 2, width: 2, labelKind: "folder", resized: 1 });
    expect(set.labels).toEqual(["cat", "dog", "dog"]);
    expect(set.files).toEqual(["cat/a.png", "dog/a.jpg", "dog/b.png"]);
    expect(Array.from(set.pixels.subarray(0, 4))).toEqual([10, 10, 10, 10]);
  });

  it("reads class folders inside one wrapping folder, ignoring __MACOSX, dot entries and other files", async () => {
    const bytes = zip({
      "pets/cat/a.png": grayPng(1, 1, 1),
      "pets/cat/deep/b.png": grayPng(1, 1, 2),
      "pets/dog/c.png": png(1, 1, 3, [9, 9, 9]),
      "pets/README.txt": "about",
      "pets/.DS_Store": "junk",
      "pets/dog/.c.png": "junk",
      "__MACOSX/pets/cat/._a.png": "resource fork",
    });
    const set = await readImageZip(bytes);
    expect(set).toMatchObject({ source: "upload.zip", count: 3, channels: 1 });
    expect(set.labels).toEqual(["cat", "cat", "dog"]);
    expect(set.files).toEqual(["cat/a.png", "cat/deep/b.png", "dog/c.png"]);
    expect(Array.from(set.pixels)).toEqual([1, 2, 9]);
  });

  it("reads a zip file from a path, with the shape asked for", async () => {
    const path = join(dir, "pets.zip");
    await writeFile(path, zip(CLASSES));
    const set = await readImageZip(path, { channels: 3, height: 4, width: 4 });
    expect(set).toMatchObject({ source: path, count: 3, channels: 3, height: 4, width: 4, resized: 3 });
  });

  describe("refuses", () => {
    const fails = async (bytes: Uint8Array, message: string, options = {}) =>
      expect(await badInputAsync(readImageZip(bytes, { source: "u.zip", ...options }))).toBe(`u.zip${message}`);

    it("what is not a zip", async () => {
      await fails(grayPng(1, 1), ": not a zip file; expected a zip of class folders of PNG/JPEG images");
      await fails(Buffer.from("PK\x03\x04 and then nothing"), ": not a readable zip (invalid zip data); expected a zip of class folders");
      expect(await badInputAsync(readImageZip(join(dir, "none.zip")))).toBe(`${join(dir, "none.zip")}: no such file`);
      expect(await badInputAsync(readImageZip(dir))).toBe(`${dir}: is a folder; expected a zip file`);
    });

    it("a zip with no class folders", async () => {
      const message = ": no class folders; expected one folder per class of PNG/JPEG images, at the top of the zip or in one top-level folder";
      await fails(zip({ "a.png": grayPng(1, 1) }), message);
      await fails(zip({ "__MACOSX/cat/a.png": grayPng(1, 1), ".git/x/a.png": grayPng(1, 1) }), message);
      await fails(Buffer.from(zipSync({})), message);
    });

    it("a class folder with no readable image, empty or not", async () => {
      const message = ": class folder 'dog/' has no PNG or JPEG images; expected at least one in each class folder";
      await fails(zip({ "cat/a.png": grayPng(1, 1), "dog/notes.txt": "none" }), message);
      await fails(zip({ "cat/a.png": grayPng(1, 1), "dog/": new Uint8Array(0) }), message);
      await fails(zip({ "pets/cat/a.png": grayPng(1, 1), "pets/dog/x.txt": "none" }), ": class folder 'pets/dog/' has no PNG or JPEG images; expected at least one in each class folder");
    });

    it("images beside the class folders", async () => {
      await fails(zip({ "cat/a.png": grayPng(1, 1), "b.png": grayPng(1, 1) }), ": has both class folders and images outside them ('b.png'); expected one folder per class");
    });

    it("broken and unsupported images, naming the entry", async () => {
      await fails(zip({ "cat/a.gif": "GIF89a" }), ", entry 'cat/a.gif': a GIF image; expected PNG or JPEG");
      await fails(zip({ "cat/a.png": grayPng(1, 1), "cat/b.png": grayPng(3, 3), "dog/c.png": grayPng(1, 1) }), ", entry 'cat/b.png': is 3x3 pixels (height x width); expected 1x1 (resizing is off)", { resize: false });
    });

    it("entries that leave the archive", async () => {
      await fails(zip({ "cat/a.png": grayPng(1, 1), "../evil.png": grayPng(1, 1) }), ": entry '../evil.png' points outside the archive; expected relative paths without '..'");
      await fails(zip({ "cat/../../evil.png": grayPng(1, 1) }), ": entry 'cat/../../evil.png' points outside the archive; expected relative paths without '..'");
      await fails(zip({ "/etc/cron.d/x.png": grayPng(1, 1) }), ": entry '/etc/cron.d/x.png' points outside the archive; expected relative paths without '..'");
      await fails(zip({ "cat\\..\\..\\evil.png": grayPng(1, 1) }), ": entry 'cat\\..\\..\\evil.png' points outside the archive; expected relative paths without '..'");
    });

    it("too many entries or too many bytes (zip bombs)", async () => {
      const many = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`cat/${i}.png`, grayPng(1, 1)]));
      await fails(zip(many), ": has more than 10 entries, the most allowed", { maxEntries: 10 });
      expect((await readImageZip(zip(many), { maxEntries: 11 })).count).toBe(11);
      const zeros = zip({ "cat/a.png": grayPng(1, 1), "cat/zeros.txt": new Uint8Array(1_000_000) });
      await fails(zeros, `: the entries to read expand to ${1_000_000 + grayPng(1, 1).length} bytes, more than the 100000 allowed`, { maxBytes: 100_000 });
    });

    it("sizes the central directory lies about: a huge one before inflating, a small one cannot overflow", async () => {
      const bytes = zip({ "cat/a.png": grayPng(8, 8) });
      await fails(declareSize(bytes, 0xfffffff0), `: the entries to read expand to ${0xfffffff0} bytes, more than the ${2 ** 30} allowed`);
      const small = await badInputAsync(readImageZip(declareSize(bytes, 20), { source: "u.zip" }));
      expect(small).toMatch(/^u\.zip, entry 'cat\/a\.png': not a readable PNG \(.+\); expected a valid PNG file$/);
    });
  });
});
