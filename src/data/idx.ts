// IDX files, the MNIST / Fashion-MNIST format: a 4-byte magic 00 00 TT DD (TT the data type, 08 =
// unsigned byte; DD the number of dimensions), DD big-endian uint32 sizes, then the values, row-major.
// Images are idx3-ubyte (magic 0x00000803: count x height x width), labels idx1-ubyte (0x00000801).
// Files are read as a stream, gunzipped when they start with the gzip magic 1f 8b (whatever the name).
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { inputError } from "../errors.js";
import { conformPlanes } from "./image-decode.js";
import { checkShapeOptions } from "./image-set.js";
import type { FullShape, ImageReadOptions, ImageSet } from "./image-set.js";

const UNSIGNED_BYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: "unsigned byte", 0x09: "signed byte", 0x0b: "short", 0x0c: "int", 0x0d: "float", 0x0e: "double" };
const GZIP_MAGIC = [0x1f, 0x8b];

/** What an IDX file holds: its sizes and its bytes. */
interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** The IDX files read: images (3 dimensions) or labels (1 dimension). */
const KINDS = {
  images: { dims: 3, magic: "0x00000803", text: "idx3-ubyte images" },
  labels: { dims: 1, magic: "0x00000801", text: "idx1-ubyte labels" },
} as const;

/**
 * Reads IDX images and, when `labelsPath` is given, their labels (one per image; each label is the
 * integer as a string). Images are 1 x height x width; `options` converts them as image-decode.ts says.
 * @example readIdx("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz") // 10000 images, 28 x 28
 */
export async function readIdx(imagesPath: string, labelsPath?: string, options: ImageReadOptions = {}): Promise<ImageSet> {
  checkShapeOptions(options);
  const images = await readIdxFile(imagesPath, "images");
  const [count, height, width] = images.dims;
  let labels: string[] | undefined;
  if (labelsPath !== undefined) {
    const l = await readIdxFile(labelsPath, "labels");
    if (l.dims[0] !== count) throw inputError(`${l.dims[0]} labels; expected ${count}, one per image in ${imagesPath}`, { file: labelsPath });
    labels = Array.from(l.data, String);
  }
  const from: FullShape = { channels: 1, height, width };
  const to: FullShape = { channels: options.channels ?? 1, height: options.height ?? height, width: options.width ?? width };
  let pixels = images.data;
  if (to.channels !== 1 || to.height !== height || to.width !== width) {
    const n = height * width;
    const m = to.channels * to.height * to.width;
    pixels = new Uint8Array(count * m);
    for (let i = 0; i < count; i++) {
      const image = conformPlanes(images.data.subarray(i * n, (i + 1) * n), from, to, options.resize ?? true, `${imagesPath}, image ${i}`);
      pixels.set(image, i * m);
    }
  }
  const resized = to.height !== height || to.width !== width ? count : 0;
  return { source: imagesPath, count, ...to, pixels, ...(labels ? { labels } : {}), labelKind: labels ? "idx" : "none", resized };
}

/** Reads and checks one IDX file of unsigned bytes with the dimensions `kind` has. */
export async function readIdxFile(path: string, kind: keyof typeof KINDS): Promise<IdxArray> {
  const want = KINDS[kind];
  const expected = `expected magic ${want.magic} (${want.text})`;
  let header = Buffer.alloc(0);
  let dims: number[] | undefined;
  let size = 0;
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of await openStream(path)) {
    let body = chunk as Buffer;
    if (dims === undefined) {
      header = Buffer.concat([header, body]);
      if (header.length < 4) continue;
      checkMagic(header, path, want.dims, expected);
      if (header.length < 4 + 4 * want.dims) continue;
      dims = readSizes(header, path, want.dims);
      size = dims.reduce((a, b) => a * b, 1);
      body = header.subarray(4 + 4 * want.dims);
    }
    if (received < size) chunks.push(body.subarray(0, size - received));
    received += body.length;
  }
  if (dims === undefined) throw inputError(`the file ends inside the IDX header (${header.length} bytes); ${expected}`, { file: path });
  if (received !== size) {
    throw inputError(`${received} bytes of data after the IDX header; expected ${size} (${dims.join(" x ")} unsigned bytes)`, { file: path });
  }
  const data = Buffer.concat(chunks, size);
  return { dims, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Checks the first 4 bytes of an IDX header against the kind of file expected. */
function checkMagic(header: Buffer, path: string, dimCount: number, expected: string): void {
  const magic = `0x${header.toString("hex", 0, 4)}`;
  if (header[0] !== 0 || header[1] !== 0) throw inputError(`not an IDX file (starts with ${magic}); ${expected}`, { file: path });
  const type = header[2];
  if (type !== UNSIGNED_BYTE) {
    const name = TYPE_NAMES[type] ? ` (${TYPE_NAMES[type]})` : "";
    throw inputError(`IDX data type 0x${type.toString(16).padStart(2, "0")}${name}; expected 0x08 (unsigned byte)`, { file: path });
  }
  if (header[3] !== dimCount) throw inputError(`IDX magic ${magic}, ${header[3]} dimension(s); ${expected}`, { file: path });
}

/** The sizes after the magic; none may be 0. */
function readSizes(header: Buffer, path: string, dimCount: number): number[] {
  const dims = Array.from({ length: dimCount }, (_, i) => header.readUInt32BE(4 + 4 * i));
  if (dims.includes(0)) throw inputError(`IDX sizes ${dims.join(" x ")}; expected no size 0`, { file: path });
  return dims;
}

/** The file's bytes as a stream, gunzipped if it starts with the gzip magic; errors name the file. */
async function openStream(path: string): Promise<AsyncIterable<unknown>> {
  const file = await open(path, "r").catch((e: unknown) => Promise.reject(openError(e, path)));
  const { buffer, bytesRead } = await file.read(Buffer.alloc(2), 0, 2, 0);
  const raw = file.createReadStream({ start: 0 });
  if (!(bytesRead === 2 && buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1])) return raw;
  const gunzip = createGunzip();
  raw.on("error", (e) => gunzip.destroy(e));
  return withGzipErrors(raw.pipe(gunzip), raw, path);
}

/** The gunzipped stream, its zlib errors as bad-input errors naming the file. */
async function* withGzipErrors(stream: Readable, raw: Readable, path: string): AsyncGenerator<unknown> {
  try {
    yield* stream;
  } catch (e) {
    if (!String((e as NodeJS.ErrnoException).code).startsWith("Z_")) throw e;
    throw inputError(`corrupt gzip data (${(e as Error).message}); expected a gzip-compressed IDX file`, { file: path });
  } finally {
    raw.destroy();
  }
}

function openError(e: unknown, path: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return inputError("no such file", { file: path });
  if (code === "EACCES" || code === "EPERM") return inputError("permission denied", { file: path });
  return e;
}
