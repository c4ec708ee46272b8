// Request bodies streamed to a temporary file, never held whole in memory.
import { randomUUID, createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { MaasError } from "../errors.js";

export interface SpooledFile {
  path: string;
  bytes: number;
  sha256: string;
  remove(): Promise<void>;
}

/** Writes a stream to a new file under `dir`, hashing it and refusing more than `limit` bytes. */
export async function spool(stream: Readable, dir: string, limit: number, suffix = ""): Promise<SpooledFile> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${randomUUID()}${suffix}`);
  const hash = createHash("sha256");
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limit) return done(new MaasError("too_large", `the upload is larger than ${limit} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(stream, meter, createWriteStream(path));
  } catch (e) {
    await rm(path, { force: true });
    throw e;
  }
  // A multipart file cut at its size limit ends without an error: its `truncated` flag says so.
  if ((stream as Readable & { truncated?: boolean }).truncated) {
    await rm(path, { force: true });
    throw new MaasError("too_large", `the upload is larger than ${limit} bytes`);
  }
  return { path, bytes, sha256: hash.digest("hex"), remove: () => rm(path, { force: true }) };
}
