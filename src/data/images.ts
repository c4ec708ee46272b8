// Reading images from folders: a folder of class folders (labelled by folder name) or a folder (or
// list) of image files (unlabelled).
//
// - Class folders are taken in name order; inside one, images are found at any depth and taken in
//   order of their relative path (code-unit order, as JavaScript's sort: "b10.png" < "b2.png").
// - Names starting with "." (files and folders) are skipped everywhere.
// - PNG and JPEG are told by their bytes; other files are ignored, except another image format or
//   a file named like an image whose bytes are not one: that is an error naming the file, as is an
//   image that fails to decode. A class folder with no PNG/JPEG is an error.
// - A folder holding both class folders and PNG/JPEG files directly is an error (ambiguous).
// Shape and size policy: see image-decode.ts.
import type { Dirent } from "node:fs";
import { open, readdir, readFile, stat } from "node:fs/promises";
import { join, relative as relativePath } from "node:path";
import { inputError } from "../errors.js";
import { imageFormat, isImageFile } from "./image-decode.js";
import { ImageSetBuilder } from "./image-set-builder.js";
import type { ImageReadOptions, ImageSet } from "./image-set.js";

/** Files read ahead of the one being decoded. */
const READ_AHEAD = 8;
/** Bytes enough to tell an image format. */
const SNIFF_BYTES = 32;

/**
 * Reads a folder with one sub-folder per class of PNG/JPEG files; each image's label is its class
 * folder's name and its `files` entry its path relative to `dir`.
 * @example readImageFolder("data/train", { channels: 1, height: 28, width: 28 })
 */
export async function readImageFolder(dir: string, options: ImageReadOptions = {}): Promise<ImageSet> {
  const { folders, files } = await listFolder(dir);
  if (folders.length === 0) throw inputError("no class sub-folders; expected one sub-folder per class of PNG/JPEG files", { file: dir });
  const stray = await firstImage(files.map((f) => join(dir, f)));
  if (stray !== undefined) {
    throw inputError(`has both class sub-folders (${folders[0]}) and images (${relativePath(dir, stray)}); expected one or the other`, { file: dir });
  }
  const classes = await Promise.all(folders.map(async (name) => ({ name, files: await walk(dir, name) })));
  const builder = new ImageSetBuilder(options, classes.reduce((n, c) => n + c.files.length, 0));
  for (const { name, files: paths } of classes) {
    const before = builder.size;
    for await (const [rel, bytes] of readAhead(dir, paths)) {
      const file = join(dir, rel);
      if (isImageFile(bytes, rel, file)) builder.add(bytes, file, rel, name);
    }
    if (builder.size === before) throw inputError("no PNG or JPEG images; expected at least one in each class folder", { file: join(dir, name) });
  }
  return builder.build(dir, "folder");
}

/**
 * Reads unlabelled images: the PNG/JPEG files directly inside a folder, in name order (other files
 * and sub-folders ignored), or the given files in the given order (each must be a PNG or JPEG).
 */
export async function readImageFiles(input: string | readonly string[], options: ImageReadOptions = {}): Promise<ImageSet> {
  if (typeof input !== "string") {
    if (input.length === 0) throw inputError("no image files given; expected at least one PNG or JPEG");
    const builder = new ImageSetBuilder(options, input.length);
    for await (const [path, bytes] of readAhead("", input)) builder.add(bytes, path, path);
    return builder.build(input.length === 1 ? input[0] : `${input.length} files`, "none");
  }
  const { files } = await listFolder(input);
  const builder = new ImageSetBuilder(options, files.length);
  for await (const [name, bytes] of readAhead(input, files)) {
    const file = join(input, name);
    if (isImageFile(bytes, name, file)) builder.add(bytes, file, name);
  }
  if (builder.size === 0) throw inputError("no PNG or JPEG images; expected image files (or one sub-folder per class)", { file: input });
  return builder.build(input, "none");
}

/** Whether a folder has class folders (labelled) or only files (unlabelled); for readImages. */
export async function hasSubFolders(dir: string): Promise<boolean> {
  return (await listFolder(dir)).folders.length > 0;
}

// ---------------------------------------------------------------------------------------------
// Listing and reading
// ---------------------------------------------------------------------------------------------

/** The non-hidden sub-folders and files directly in `dir`, each in name order; symbolic links followed. */
async function listFolder(dir: string): Promise<{ folders: string[]; files: string[] }> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw fsError(e, dir);
  }
  const folders: string[] = [];
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const isDir = entry.isSymbolicLink() ? await isFolder(join(dir, entry.name)) : entry.isDirectory();
    if (isDir) folders.push(entry.name);
    else files.push(entry.name); // a broken link too: reading it reports it
  }
  return { folders: folders.sort(), files: files.sort() };
}

/** Through a symbolic link: true for a folder, false for a file, undefined for a broken link. */
async function isFolder(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return undefined;
  }
}

/** Every non-hidden file under `root/sub`, as paths relative to `root`, sorted. */
async function walk(root: string, sub: string): Promise<string[]> {
  const { folders, files } = await listFolder(join(root, sub));
  const nested = await Promise.all(folders.map((f) => walk(root, join(sub, f))));
  return [...files.map((f) => join(sub, f)), ...nested.flat()].sort();
}

/** The first of these files that is a PNG or JPEG, by its first bytes. */
async function firstImage(paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) {
    const file = await open(path, "r").catch((e: unknown) => Promise.reject(fsError(e, path)));
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
      const format = imageFormat(buffer.subarray(0, bytesRead));
      if (format === "PNG" || format === "JPEG") return path;
    } finally {
      await file.close();
    }
  }
  return undefined;
}

/** Each file's bytes in order, with up to READ_AHEAD reads in flight. */
async function* readAhead(root: string, names: readonly string[]): AsyncGenerator<[string, Uint8Array]> {
  const reads: (Promise<Buffer> | undefined)[] = [];
  const start = (i: number) => {
    const path = join(root, names[i]);
    const read = readFile(path).catch((e: unknown) => Promise.reject(fsError(e, path)));
    read.catch(() => undefined); // a failure is reported when its turn comes, not as unhandled
    reads[i] = read;
  };
  for (let i = 0; i < Math.min(READ_AHEAD, names.length); i++) start(i);
  for (let i = 0; i < names.length; i++) {
    if (i + READ_AHEAD < names.length) start(i + READ_AHEAD);
    const bytes = await reads[i]!;
    reads[i] = undefined;
    yield [names[i], bytes];
  }
}

/** A file-system error as a bad-input error naming the path; any other error as it is. */
function fsError(e: unknown, path: string): unknown {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return inputError("no such file or folder", { file: path });
    case "ENOTDIR":
      return inputError("not a folder; expected a folder of images", { file: path });
    case "EACCES":
    case "EPERM":
      return inputError("permission denied", { file: path });
    default:
      return e;
  }
}
