import { mkdtemp, readFile, readdir, rm, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { writeFileAtomic } from "./fs.js";

const dir = await mkdtemp(join(tmpdir(), "maas-fs-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

test("writes the whole file and leaves no temporary file", async () => {
  const path = join(dir, "a.bin");
  await writeFileAtomic(path, Uint8Array.of(1, 2, 3));
  await writeFileAtomic(path, "replaced");
  expect(await readFile(path, "utf8")).toBe("replaced");
  expect(await readdir(dir)).toEqual(["a.bin"]);
});

test("a failed write leaves the old file and no temporary file", async () => {
  const target = join(dir, "taken");
  await mkdir(target); // renaming a file over a directory fails
  await expect(writeFileAtomic(target, "x")).rejects.toThrow();
  expect((await readdir(dir)).sort()).toEqual(["a.bin", "taken"]);
});
