// The embedded artifact store: each blob is a file under a root directory, at the path its key
// names. Writes go to a temporary file that is flushed and renamed into place, and the directory is
// flushed after, so a crash leaves either the whole blob or none.
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { MaasError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { checkBlobKey } from "./blob-key.js";
import type { BlobStore } from "./blob-store.js";

function errorCode(e: unknown): unknown {
  return (e as { code?: unknown } | null)?.code;
}

/** Flushes a file's (or directory's) contents to disk. */
async function sync(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory entry change (a rename); a no-op where directories cannot be flushed. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    await sync(dir);
  } catch (e) {
    if (!["EISDIR", "EPERM", "EINVAL", "EBADF"].includes(errorCode(e) as string)) throw e;
  }
}

/** Copies `source` to `target` on another file system, all or nothing. */
async function copyAcross(source: string, target: string): Promise<void> {
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await copyFile(source, tmp);
    await sync(tmp);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * A BlobStore in a local directory.
 * @example const blobs = new FsBlobStore(join(home, "blobs"));
 */
export class FsBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, data);
    await syncDirectory(dirname(path));
  }

  /** Moves `source` to the blob's path: a rename on the same file system, else copy then remove. */
  async putFile(key: string, source: string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await sync(source); // the caller may not have flushed it; after the rename nobody would
    try {
      await rename(source, path);
    } catch (e) {
      if (errorCode(e) !== "EXDEV") throw e;
      await copyAcross(source, path);
      await rm(source, { force: true });
    }
    await syncDirectory(dirname(path));
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const buffer = await readFile(this.pathOf(key));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (e) {
      if (["ENOENT", "EISDIR", "ENOTDIR"].includes(errorCode(e) as string)) throw this.missing(key);
      throw e;
    }
  }

  async localPath(key: string): Promise<string> {
    const path = this.pathOf(key);
    if (!(await this.isFile(path))) throw this.missing(key);
    return path;
  }

  async has(key: string): Promise<boolean> {
    return this.isFile(this.pathOf(key));
  }

  /** Removes a blob; removing a missing one is fine. */
  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    return join(this.root, ...checkBlobKey(key).split("/"));
  }

  private async isFile(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch (e) {
      if (["ENOENT", "ENOTDIR"].includes(errorCode(e) as string)) return false;
      throw e;
    }
  }

  private missing(key: string): MaasError {
    return new MaasError("not_found", `no blob '${key}'`);
  }
}
