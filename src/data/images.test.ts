// Folder readers: class folders in name order, images by relative path, the first image fixing the
// shape, other files ignored, and every bad layout refused with a message naming the place.
import { chmod, mkdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { badInputAsync, GRAY_JPEG, grayPng, jpegRgb, png, tempDir, writeTree } from "./image-fixtures.js";
import { readImageFiles, readImageFolder } from "./images.js";

let root: string;
let n = 0;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder under the temporary root holding `files`. */
const tree = (files: Record<string, Uint8Array | string>) => writeTree(join(root, `t${n++}`), files);

describe("readImageFolder", () => {
  it("labels images by class folder, both in name order, nested images by relative path", async () => {
    const dir = await tree({
      "dog/b.png": grayPng(2, 2, 20),
      "dog/a.png": grayPng(2, 2, 10),
      "cat/z.png": grayPng(2, 2, 30),
      "cat/inner/y.png": grayPng(2, 2, 40),
      "cat/notes.txt": "not an image",
      "cat/.hidden.png": "dotfiles are skipped, even when named as images",
      ".git/x.png": grayPng(2, 2, 99),
      "README.md": "top-level files other than images are ignored",
    });
    const set = await readImageFolder(dir);
    expect(set).toMatchObject({ source: dir, count: 4, channels: 1, height: 2, width: 2, labelKind: "folder", resized: 0 });
    expect(set.labels).toEqual(["cat", "cat", "dog", "dog"]);
    expect(set.files).toEqual(["cat/inner/y.png", "cat/z.png", "dog/a.png", "dog/b.png"]);
    expect(Array.from(set.pixels)).toEqual([40, 30, 10, 20].flatMap((v) => [v, v, v, v]));
  });

  it("takes channels and size from the first image, converting and resizing the others", async () => {
    const dir = await tree({
      "a/1.png": png(2, 1, 3, [255, 0, 0, 0, 0, 255]), // RGB, 1 high x 2 wide: fixes 3 x 1 x 2
      "a/2.png": grayPng(4, 2, 60), // gray 2 x 4: replicated, shrunk
      "b/3.jpg": GRAY_JPEG, // JPEG 8 x 16
    });
    const set = await readImageFolder(dir);
    expect(set).toMatchObject({ count: 3, channels: 3, height: 1, width: 2, resized: 2 });
    expect(Array.from(set.pixels.subarray(0, 12))).toEqual([255, 0, 0, 0, 0, 255, 60, 60, 60, 60, 60, 60]);
    expect(set.pixels.length).toBe(3 * 3 * 1 * 2);
  });

  it("converts every image to the shape asked for", async () => {
    const dir = await tree({ "a/1.png": png(2, 1, 3, [255, 0, 0, 0, 0, 255]), "b/2.jpg": jpegRgb(8, 8, new Array(192).fill(200)) });
    const set = await readImageFolder(dir, { channels: 1, height: 4, width: 4 });
    expect(set).toMatchObject({ count: 2, channels: 1, height: 4, width: 4, resized: 2 });
    // Red (luminance 76) and blue (29), stretched bilinearly: x = -0.25, 0.25, 0.75, 1.25 -> clamped.
    expect(Array.from(set.pixels.subarray(0, 8))).toEqual([76, 64, 41, 29, 76, 64, 41, 29]);
  });

  it("follows symbolic links to class folders", async () => {
    const target = await tree({ "x.png": grayPng(1, 1) });
    const dir = await tree({ "a/1.png": grayPng(1, 1) });
    await symlink(target, join(dir, "b"));
    expect((await readImageFolder(dir)).labels).toEqual(["a", "b"]);
  });

  describe("refuses", () => {
    it("a folder without class folders, or one that does not exist", async () => {
      const dir = await tree({ "1.png": grayPng(1, 1) });
      expect(await badInputAsync(readImageFolder(dir))).toBe(`${dir}: no class sub-folders; expected one sub-folder per class of PNG/JPEG files`);
      expect(await badInputAsync(readImageFolder(join(dir, "nope")))).toBe(`${join(dir, "nope")}: no such file or folder`);
      expect(await badInputAsync(readImageFolder(join(dir, "1.png")))).toBe(`${join(dir, "1.png")}: not a folder; expected a folder of images`);
    });

    it("a class folder with no readable image", async () => {
      const dir = await tree({ "a/1.png": grayPng(1, 1), "b/readme.txt": "no images here" });
      await mkdir(join(dir, "c"));
      expect(await badInputAsync(readImageFolder(dir))).toBe(`${join(dir, "b")}: no PNG or JPEG images; expected at least one in each class folder`);
    });

    it("images beside class folders", async () => {
      const dir = await tree({ "a/1.png": grayPng(1, 1), "stray.jpg": GRAY_JPEG });
      expect(await badInputAsync(readImageFolder(dir))).toBe(`${dir}: has both class sub-folders (a) and images (stray.jpg); expected one or the other`);
    });

    it("other image formats, files named as images that are not, and broken images", async () => {
      const gif = await tree({ "a/1.gif": Buffer.from("GIF89a....") });
      expect(await badInputAsync(readImageFolder(gif))).toBe(`${join(gif, "a/1.gif")}: a GIF image; expected PNG or JPEG`);
      const fake = await tree({ "a/1.png": "<html>" });
      expect(await badInputAsync(readImageFolder(fake))).toBe(`${join(fake, "a/1.png")}: starts with 0x3c68746d: not a PNG or JPEG file; expected PNG or JPEG bytes`);
      const broken = await tree({ "a/1.png": grayPng(1, 1), "a/2.png": grayPng(2, 2).subarray(0, 40) });
      expect(await badInputAsync(readImageFolder(broken))).toMatch(new RegExp(`^${join(broken, "a/2.png")}: not a readable PNG \\(.+\\); expected a valid PNG file$`));
    });

    it("an image of another size when resizing is off", async () => {
      const dir = await tree({ "a/1.png": grayPng(2, 2), "a/2.png": grayPng(3, 2) });
      expect(await badInputAsync(readImageFolder(dir, { resize: false }))).toBe(`${join(dir, "a/2.png")}: is 2x3 pixels (height x width); expected 2x2 (resizing is off)`);
    });

    it("a broken symbolic link", async () => {
      const dir = await tree({ "a/1.png": grayPng(1, 1) });
      await symlink(join(dir, "gone.png"), join(dir, "a/2.png"));
      expect(await badInputAsync(readImageFolder(dir))).toBe(`${join(dir, "a/2.png")}: no such file or folder`);
    });

    it.skipIf(process.getuid?.() === 0)("an unreadable file", async () => {
      const dir = await tree({ "a/1.png": grayPng(1, 1) });
      await chmod(join(dir, "a/1.png"), 0);
      expect(await badInputAsync(readImageFolder(dir))).toBe(`${join(dir, "a/1.png")}: permission denied`);
    });
  });
});

describe("readImageFiles", () => {
  it("reads the images directly in a folder, in name order, unlabelled", async () => {
    const dir = await tree({ "b.png": grayPng(1, 1, 2), "a.png": grayPng(1, 1, 1), "c.txt": "x", "sub/d.png": grayPng(1, 1, 4) });
    const set = await readImageFiles(dir);
    expect(set).toMatchObject({ source: dir, count: 2, labelKind: "none", files: ["a.png", "b.png"] });
    expect(set.labels).toBeUndefined();
    expect(Array.from(set.pixels)).toEqual([1, 2]);
  });

  it("reads a list of files in the order given", async () => {
    const dir = await tree({ "a.png": grayPng(1, 1, 1), "b.jpg": jpegRgb(1, 1, [0, 0, 0]) });
    const files = [join(dir, "b.jpg"), join(dir, "a.png")];
    const set = await readImageFiles(files, { channels: 1 });
    expect(set).toMatchObject({ count: 2, channels: 1, files, labelKind: "none" });
    expect(set.pixels[1]).toBe(1);
  });

  it("refuses a folder with no images, an empty list, and a listed file that is not an image", async () => {
    const dir = await tree({ "c.txt": "x" });
    expect(await badInputAsync(readImageFiles(dir))).toBe(`${dir}: no PNG or JPEG images; expected image files (or one sub-folder per class)`);
    expect(await badInputAsync(readImageFiles([]))).toBe("no image files given; expected at least one PNG or JPEG");
    const txt = join(dir, "c.txt");
    expect(await badInputAsync(readImageFiles([txt]))).toBe(`${txt}: starts with 0x78: not a PNG or JPEG image; expected PNG or JPEG bytes`);
    expect(await badInputAsync(readImageFiles([join(dir, "gone.png")]))).toBe(`${join(dir, "gone.png")}: no such file or folder`);
  });
});
