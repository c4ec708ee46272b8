import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { blobStoreContract } from "./blob-store.contract.js";
import { FsBlobStore } from "./fs-blob-store.js";

// A switch to make the next `rename` fail as if source and target were on different file systems.
const faults = vi.hoisted(() => ({ crossDevice: 0 }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  const rename: typeof actual.rename = async (from, to) => {
    if (faults.crossDevice > 0) {
      faults.crossDevice--;
      throw Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${from}' -> '${to}'`), { code: "EXDEV" });
    }
    return actual.rename(from, to);
  };
  return { ...actual, rename, default: { ...actual, rename } };
});

const dir = await mkdtemp(join(tmpdir(), "maas-blobs-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
let roots = 0;
const freshRoot = (): string => join(dir, `root-${++roots}`);
// A second real file system (tmpfs), when the machine has one.
const shm = "/dev/shm";
const otherDevice = await Promise.all([stat(dir), stat(shm)])
  .then(([a, b]) => a.dev !== b.dev)
  .catch(() => false);

/** Every file under a directory, relative, sorted. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

blobStoreContract("FsBlobStore", async () => new FsBlobStore(freshRoot()), {
  // A directory where the blob's file should go makes the final rename fail.
  breakPut: async (store, key) => {
    await mkdir(join((store as FsBlobStore).root, key), { recursive: true });
  },
});

describe("FsBlobStore", () => {
  test("a key is a path under the root", async () => {
    const root = freshRoot();
    const store = new FsBlobStore(root);
    await store.put("models/acme/wine/1.onnx", Uint8Array.of(7));
    expect(await store.localPath("models/acme/wine/1.onnx")).toBe(join(root, "models", "acme", "wine", "1.onnx"));
    expect(await filesUnder(root)).toEqual(["models/acme/wine/1.onnx"]);
  });

  test("a failed put leaves no file, not even a temporary one", async () => {
    const root = freshRoot();
    const store = new FsBlobStore(root);
    await mkdir(join(root, "a", "taken"), { recursive: true });
    await expect(store.put("a/taken", Uint8Array.of(1))).rejects.toThrow();
    expect(await filesUnder(root)).toEqual([]);
  });

  test("putFile across file systems copies, then removes the source", async () => {
    const root = freshRoot();
    const store = new FsBlobStore(root);
    const source = join(dir, "cross.bin");
    await writeFile(source, Uint8Array.of(1, 2, 3));
    faults.crossDevice = 1;
    await store.putFile("up/cross.bin", source);
    expect(faults.crossDevice).toBe(0);
    expect(await store.get("up/cross.bin")).toEqual(Uint8Array.of(1, 2, 3));
    await expect(stat(source)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await filesUnder(root)).toEqual(["up/cross.bin"]);
  });

  test("a failed copy across file systems keeps the source and leaves no file", async () => {
    const root = freshRoot();
    const store = new FsBlobStore(root);
    const source = join(dir, "cross-fail.bin");
    await writeFile(source, Uint8Array.of(4));
    await mkdir(join(root, "up", "taken"), { recursive: true });
    faults.crossDevice = 1;
    await expect(store.putFile("up/taken", source)).rejects.toThrow();
    expect(await readFile(source)).toEqual(Buffer.from([4]));
    expect(await filesUnder(root)).toEqual([]);
  });

  test.skipIf(!otherDevice)("putFile moves a file from another real file system", async () => {
    const source = join(shm, `maas-blob-${process.pid}.bin`);
    await writeFile(source, Uint8Array.of(9, 8, 7));
    const store = new FsBlobStore(freshRoot());
    await store.putFile("shm.bin", source);
    expect(await store.get("shm.bin")).toEqual(Uint8Array.of(9, 8, 7));
    await expect(stat(source)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
