// Reading image data from whatever path the CLI's --data names: a folder, an IDX file (gzipped or
// not), a zip of class folders, or one PNG/JPEG. The bytes decide, not the file name.
import { open, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { inputError } from "../errors.js";
import { imageFormat } from "./image-decode.js";
import type { ImageSet } from "./image-set.js";
import { readIdx } from "./idx.js";
import { hasSubFolders, readImageFiles, readImageFolder } from "./images.js";
import { readImageZip } from "./zip-images.js";
import type { ZipReadOptions } from "./zip-images.js";

export { decodeImage } from "./image-decode.js";
export type { ImageReadOptions, ImageSet, ImageShape } from "./image-set.js";

/** Options of readImages: the shape and limits of the readers, and the IDX labels file. */
export interface ReadImagesOptions extends ZipReadOptions {
  /** An idx1-ubyte labels file (gzipped or not) for IDX images (the CLI's --labels). */
  labels?: string;
}

/** Bytes read to tell a file's kind. */
const PEEK_BYTES = 64;

/**
 * Reads images from `path`:
 * - a folder with sub-folders: one class per sub-folder, labelled by folder name (readImageFolder);
 * - a folder without sub-folders: its PNG/JPEG files, unlabelled, in name order (readImageFiles);
 * - a gzip file (1f 8b) or a file starting with the IDX magic 00 00: IDX images, labelled by
 *   `labels` if given (the IDX reader checks the header, after gunzipping);
 * - a zip file: class folders (readImageZip);
 * - a PNG or JPEG file: that one image, unlabelled.
 * `labels` is only for IDX images; with anything else it is an error.
 * @example readImages("train-images-idx3-ubyte.gz", { labels: "train-labels-idx1-ubyte.gz" })
 */
export async function readImages(path: string, options: ReadImagesOptions = {}): Promise<ImageSet> {
  const { labels, ...rest } = options;
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw inputError("no such file or folder", { file: path });
    if (code === "EACCES" || code === "EPERM") throw inputError("permission denied", { file: path });
    throw e;
  }
  const labelsNotHere = (what: string) => inputError(`is ${what}; a labels file (${labels}) goes with IDX images only`, { file: path });
  if (info.isDirectory()) {
    if (labels !== undefined) throw labelsNotHere("a folder, labelled by its sub-folders");
    return (await hasSubFolders(path)) ? readImageFolder(path, rest) : readImageFiles(path, rest);
  }
  const head = await peek(path);
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  if (gzip || (head.length >= 2 && head[0] === 0 && head[1] === 0)) return readIdx(path, labels, rest);
  const kind = isZip(head) ? "a zip" : imageFormat(head) === "PNG" || imageFormat(head) === "JPEG" ? "an image" : undefined;
  if (kind === undefined) {
    const start = head.length ? `starts with 0x${Buffer.from(head.subarray(0, 4)).toString("hex")}` : "empty";
    throw inputError(`${start}: not an IDX file, a zip or a PNG/JPEG image; expected one of those, or a folder of images`, { file: path });
  }
  if (labels !== undefined) throw labelsNotHere(kind);
  return kind === "a zip" ? readImageZip(path, rest) : readImageFiles([path], rest);
}

function isZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** The first bytes of a file. */
async function peek(path: string): Promise<Uint8Array> {
  const file = await open(path, "r");
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(PEEK_BYTES), 0, PEEK_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * Whether `path` holds images rather than a table: a folder, or a file that starts like IDX (or
 * gzip), a zip, a PNG or a JPEG. A path that does not exist is not images (the table reader then
 * says so).
 */
export async function looksLikeImages(path: string): Promise<boolean> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch {
    return false;
  }
  if (info.isDirectory()) return true;
  const head = await peek(path);
  if (head.length < 2) return false;
  const idxOrGzip = (head[0] === 0x1f && head[1] === 0x8b) || (head[0] === 0 && head[1] === 0);
  return idxOrGzip || isZip(head) || imageFormat(head) === "PNG" || imageFormat(head) === "JPEG";
}
