// Reading a zip of class folders (an upload over HTTP), with fflate: the central directory is read
// first, every entry name and declared size is checked, and only then are the chosen entries inflated.
//
// - Layout: one folder per class at the top of the zip, or inside one top-level folder that wraps
//   them all ("data/cats/1.png"): a zip whose files all sit in one top-level folder, some of them in
//   folders inside it, is read as wrapped. Class folders in name order, images at any depth inside
//   them, by relative path. Images beside the class folders are an error, other files are ignored.
// - "__MACOSX/" and names with a segment starting with "." are ignored.
// - Refused: entries whose path leaves the archive ("..", absolute paths), more than `maxEntries`
//   entries, and chosen entries declaring more than `maxBytes` uncompressed (a zip bomb). fflate
//   inflates each entry into a buffer of its declared size, so a lying size cannot exceed the cap.
// Images, file policy and shapes as in images.ts and image-decode.ts.
import { readFile } from "node:fs/promises";
import { unzipSync } from "fflate";
import type { UnzipFileInfo } from "fflate";
import { inputError, isMaasError } from "../errors.js";
import { isImageFile } from "./image-decode.js";
import { ImageSetBuilder } from "./image-set-builder.js";
import type { ImageReadOptions, ImageSet } from "./image-set.js";

/** Options of readImageZip. */
export interface ZipReadOptions extends ImageReadOptions {
  /** Most entries (files and folders) a zip may have (default 100 000). */
  maxEntries?: number;
  /** Most uncompressed bytes read from the zip in all (default 1 GiB). */
  maxBytes?: number;
  /** Names the zip in messages when bytes are given (default "upload.zip"). */
  source?: string;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_MAX_BYTES = 2 ** 30;
const ZIP_MAGIC = [0x50, 0x4b]; // "PK": a local file header or, for an empty zip, the end record

interface Entry {
  /** The name as stored, for fflate and messages. */
  raw: string;
  /** Segments of the name, backslashes read as slashes, without a trailing empty one. */
  parts: string[];
  isDir: boolean;
  bytes: number;
}

/**
 * Reads a zip (its bytes, or a path) of class folders of PNG/JPEG images; each image's label is its
 * class folder's name and its `files` entry its path from the class folders' parent.
 */
export async function readImageZip(input: Uint8Array | string, options: ZipReadOptions = {}): Promise<ImageSet> {
  const source = typeof input === "string" ? input : (options.source ?? "upload.zip");
  const bytes = typeof input === "string" ? await readZipFile(input) : input;
  if (!(bytes.length >= 4 && bytes[0] === ZIP_MAGIC[0] && bytes[1] === ZIP_MAGIC[1])) {
    throw inputError("not a zip file; expected a zip of class folders of PNG/JPEG images", { file: source });
  }
  const entries = listEntries(bytes, source, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const visible = entries.filter((e) => e.parts[0] !== "__MACOSX" && !e.parts.some((p) => p.startsWith(".")));
  const files = visible.filter((e) => !e.isDir);
  const wrapped = files.some((f) => f.parts.length >= 3) && files.every((f) => f.parts.length >= 2 && f.parts[0] === files[0].parts[0]);
  const wrapper = wrapped ? 1 : 0;
  const inRoot = (e: Entry) => (wrapper ? e.parts[0] === files[0].parts[0] : true);
  const classFiles = files.filter((f) => f.parts.length >= wrapper + 2);
  const looseFiles = files.filter((f) => f.parts.length === wrapper + 1 && inRoot(f));
  const classes = new Map<string, Entry[]>();
  for (const e of visible.filter((d) => d.isDir && d.parts.length === wrapper + 1 && inRoot(d))) classes.set(e.parts[wrapper], []);
  for (const f of classFiles) {
    if (!classes.has(f.parts[wrapper])) classes.set(f.parts[wrapper], []);
    classes.get(f.parts[wrapper])!.push(f);
  }
  if (classes.size === 0) {
    throw inputError("no class folders; expected one folder per class of PNG/JPEG images, at the top of the zip or in one top-level folder", { file: source });
  }
  const chosen = [...classFiles, ...looseFiles];
  const total = chosen.reduce((n, e) => n + e.bytes, 0);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (total > maxBytes) throw inputError(`the entries to read expand to ${total} bytes, more than the ${maxBytes} allowed`, { file: source });
  const data = inflate(bytes, new Set(chosen.map((e) => e.raw)), source);
  const where = (e: Entry) => `${source}, entry '${e.raw}'`;

  const stray = looseFiles.find((f) => isImageFile(data[f.raw], f.parts.at(-1)!, where(f)));
  if (stray) throw inputError(`has both class folders and images outside them ('${stray.raw}'); expected one folder per class`, { file: source });
  const builder = new ImageSetBuilder(options, classFiles.length);
  for (const [name, members] of [...classes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const before = builder.size;
    const relative = (f: Entry) => f.parts.slice(wrapper).join("/");
    for (const f of members.sort((a, b) => (relative(a) < relative(b) ? -1 : 1))) {
      if (isImageFile(data[f.raw], f.parts.at(-1)!, where(f))) builder.add(data[f.raw], where(f), relative(f), name);
    }
    if (builder.size === before) {
      const folder = [...(wrapper ? [files[0].parts[0]] : []), name].join("/");
      throw inputError(`class folder '${folder}/' has no PNG or JPEG images; expected at least one in each class folder`, { file: source });
    }
  }
  return builder.build(source, "folder");
}

/** Every entry's name and declared size, from the central directory, checked; nothing inflated. */
function listEntries(bytes: Uint8Array, source: string, maxEntries: number): Entry[] {
  const entries: Entry[] = [];
  const check = (info: UnzipFileInfo): false => {
    if (entries.length >= maxEntries) throw inputError(`has more than ${maxEntries} entries, the most allowed`, { file: source });
    const name = info.name.replace(/\\/g, "/");
    const parts = name.split("/").filter((p, i, all) => p !== "" || i < all.length - 1);
    if (name.startsWith("/") || /^[A-Za-z]:/.test(name) || parts.includes("..")) {
      throw inputError(`entry '${info.name}' points outside the archive; expected relative paths without '..'`, { file: source });
    }
    entries.push({ raw: info.name, parts, isDir: name.endsWith("/"), bytes: Math.max(info.originalSize, info.size) });
    return false;
  };
  inflate(bytes, check, source);
  return entries;
}

/** The entries chosen (by name, or by a filter) inflated; a broken zip is a bad_input error. */
function inflate(bytes: Uint8Array, chosen: Set<string> | ((info: UnzipFileInfo) => boolean), source: string): Record<string, Uint8Array> {
  const filter = typeof chosen === "function" ? chosen : (info: UnzipFileInfo) => chosen.has(info.name);
  try {
    return unzipSync(bytes, { filter });
  } catch (e) {
    if (isMaasError(e)) throw e;
    throw inputError(`not a readable zip (${e instanceof Error ? e.message : String(e)}); expected a zip of class folders`, { file: source });
  }
}

async function readZipFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw inputError("no such file", { file: path });
    if (code === "EISDIR") throw inputError("is a folder; expected a zip file", { file: path });
    if (code === "EACCES" || code === "EPERM") throw inputError("permission denied", { file: path });
    throw e;
  }
}
