// The one contract every BlobStore passes (run by fs-blob-store.test.ts, and by any future store).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { BlobStore } from "./blob-store.js";

export interface BlobContractOptions {
  /** Arranges for the next put of `key` to fail (a store-specific fault); the suite skips the test without it. */
  breakPut?: (store: BlobStore, key: string) => Promise<void>;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

/**
 * Registers the contract's tests for a blob store; `open` returns a new, empty store for each test.
 * @example blobStoreContract("fs", async () => new FsBlobStore(await mkdtemp(...)));
 */
export function blobStoreContract(name: string, open: () => Promise<BlobStore>, options: BlobContractOptions = {}): void {
  describe(`BlobStore contract: ${name}`, () => {
    let scratch = "";
    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), "maas-blob-contract-"));
    });
    afterAll(() => rm(scratch, { recursive: true, force: true }));
    let files = 0;
    const localFile = async (data: Uint8Array): Promise<string> => {
      const path = join(scratch, `upload-${++files}.bin`);
      await writeFile(path, data);
      return path;
    };

    test("put stores bytes that get, has and localPath return", async () => {
      const store = await open();
      await store.put("models/acme/wine/1.onnx", bytes(1, 2, 3));
      expect(await store.get("models/acme/wine/1.onnx")).toEqual(bytes(1, 2, 3));
      expect(await store.has("models/acme/wine/1.onnx")).toBe(true);
      expect(new Uint8Array(await readFile(await store.localPath("models/acme/wine/1.onnx")))).toEqual(bytes(1, 2, 3));
      await store.put("empty", bytes());
      expect(await store.get("empty")).toEqual(bytes());
    });

    test("put replaces a blob", async () => {
      const store = await open();
      await store.put("a/b", bytes(1));
      await store.put("a/b", bytes(2, 2));
      expect(await store.get("a/b")).toEqual(bytes(2, 2));
    });

    test("a missing blob: has is false, get and localPath are not_found, delete is fine", async () => {
      const store = await open();
      expect(await store.has("nope/x")).toBe(false);
      await expect(store.get("nope/x")).rejects.toMatchObject({ code: "not_found" });
      await expect(store.localPath("nope/x")).rejects.toMatchObject({ code: "not_found" });
      await store.delete("nope/x");
    });

    test("delete removes a blob and leaves its neighbours", async () => {
      const store = await open();
      await store.put("d/1", bytes(1));
      await store.put("d/2", bytes(2));
      await store.delete("d/1");
      expect(await store.has("d/1")).toBe(false);
      await expect(store.get("d/1")).rejects.toMatchObject({ code: "not_found" });
      expect(await store.get("d/2")).toEqual(bytes(2));
    });

    test("putFile moves a local file into the store", async () => {
      const store = await open();
      const data = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251);
      const path = await localFile(data);
      await store.putFile("datasets/acme/upload.csv", path);
      expect(await store.get("datasets/acme/upload.csv")).toEqual(data);
      await expect(readFile(path)).rejects.toMatchObject({ code: "ENOENT" });
    });

    test("putFile of a missing file fails and stores nothing", async () => {
      const store = await open();
      await expect(store.putFile("x/y", join(scratch, "missing.bin"))).rejects.toThrow();
      expect(await store.has("x/y")).toBe(false);
    });

    test("keys that could escape the store are bad_input for every method", async () => {
      const store = await open();
      const path = await localFile(bytes(1));
      for (const key of ["", "../x", "a/../../x", "a/..", "/etc/passwd", "a\\b", "..\\x", "a//b", "./a", "a/./b", "a/"]) {
        await expect(store.put(key, bytes(1)), key).rejects.toMatchObject({ code: "bad_input" });
        await expect(store.putFile(key, path), key).rejects.toMatchObject({ code: "bad_input" });
        await expect(store.get(key), key).rejects.toMatchObject({ code: "bad_input" });
        await expect(store.localPath(key), key).rejects.toMatchObject({ code: "bad_input" });
        await expect(store.has(key), key).rejects.toMatchObject({ code: "bad_input" });
        await expect(store.delete(key), key).rejects.toMatchObject({ code: "bad_input" });
      }
      expect(await readFile(path)).toEqual(Buffer.from([1]));
    });

    test("concurrent puts to different keys all land whole", async () => {
      const store = await open();
      const blobs = Array.from({ length: 24 }, (_, i) => Uint8Array.from({ length: 10_000 + i }, (_, j) => (i + j) % 256));
      await Promise.all(blobs.map((data, i) => store.put(`many/${i % 3}/${i}.bin`, data)));
      for (const [i, data] of blobs.entries()) expect(await store.get(`many/${i % 3}/${i}.bin`)).toEqual(data);
    });

    test("concurrent puts to one key leave one of them whole", async () => {
      const store = await open();
      const blobs = Array.from({ length: 8 }, (_, i) => new Uint8Array(50_000).fill(i));
      await Promise.all(blobs.map((data) => store.put("same", data)));
      const got = await store.get("same");
      expect(blobs.some((b) => Buffer.from(b).equals(Buffer.from(got)))).toBe(true);
    });

    test.skipIf(!options.breakPut)("a failed put leaves no blob", async () => {
      const store = await open();
      await options.breakPut!(store, "broken/blob");
      await expect(store.put("broken/blob", bytes(1, 2, 3))).rejects.toThrow();
      expect(await store.has("broken/blob")).toBe(false);
    });
  });
}
