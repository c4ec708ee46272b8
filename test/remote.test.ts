// `maas keys` and `maas remote` as a user runs them: the built CLI in a child process, against the
// platform running in this process (so the child runs asynchronously: this process must keep serving).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MaasClient } from "../src/client/client.js";
import { loadConfig } from "../src/config.js";
import type { Platform } from "../src/server/platform.js";
import { startPlatform } from "../src/server/platform.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const ADMIN = "test-admin-key-0123456789";
const dir = mkdtempSync(join(tmpdir(), "maas-remote-"));
let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform(loadConfig({ port: 0, home: join(dir, "data"), adminKey: ADMIN, logLevel: "silent", predictWorkers: 1 }, {}));
});

afterAll(async () => {
  await platform?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `maas ...` with MAAS_URL set to the test server and MAAS_KEY to `key`. */
async function maas(key: string | undefined, ...args: string[]) {
  const env = { ...process.env, MAAS_URL: platform.url, MAAS_KEY: key ?? "" };
  try {
    const r = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: "utf8" });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const r = e as { code: number; stdout: string; stderr: string };
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }
}

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);

describe("maas keys and maas remote", () => {
  test("an admin creates a key; the key's owner uploads, trains, predicts, imports; the key is revoked", async () => {
    const created = await maas(ADMIN, "keys", "create", "--name", "ci", "--scopes", "write,predict", "--json");
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ name: "ci", tenant: "default", scopes: ["write", "predict"], key: expect.stringMatching(/^maas_/) });
    const listed = JSON.parse((await maas(ADMIN, "keys", "list", "--json")).stdout);
    expect(listed).toEqual([expect.objectContaining({ id: key.id, name: "ci", revokedAt: null })]);
    expect(listed[0].key).toBeUndefined();

    const data = file("d.csv", "x,color,label\n" + Array.from({ length: 60 }, (_v, i) => `${i / 60},${i % 2 ? "red" : "blue"},${i >= 30 ? "hi" : "lo"}`).join("\n") + "\n");
    const up = await maas(key.key, "remote", "datasets", "upload", data, "--name", "d");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/uploaded d.csv as dataset 'd' \(id [\w-]+\): 60 rows\ncolumns: x \(numeric\), color \(categorical\), label \(categorical\)/);

    const train = await maas(key.key, "remote", "train", "--dataset", "d", "--target", "label", "--model", "mlp", "--epochs", "6", "--lr", "0.05", "--name", "m", "--follow", "--json");
    expect(train.code).toBe(0);
    expect(train.stderr).toMatch(/: running \(attempt 1 of \d\)\nepoch 1\/6 {2}loss [\d.]+ {2}val loss [\d.]+ {2}acc [\d.]+/);
    expect(train.stderr).toMatch(/: succeeded\n$/);
    expect(lastJson(train.stdout)).toMatchObject({ status: "succeeded", model: { name: "m", version: 1 } });

    const predicted = await maas(key.key, "remote", "predict", "--model", "m", "--data", file("q.csv", "x,color,label\n0.02,red,?\n0.98,,?\n"), "--version", "1", "--json");
    expect(predicted.code).toBe(0);
    expect(predicted.stdout.trim().split("\n").map((l) => JSON.parse(l).prediction)).toEqual(["lo", "hi"]);

    const onnx = await new MaasClient({ url: platform.url, key: key.key }).models.downloadArtifact("m", 1);
    writeFileSync(join(dir, "m.onnx"), onnx);
    const imported = await maas(key.key, "import", "m.onnx", "--name", "m-copy");
    expect(imported).toMatchObject({ code: 0, stdout: "imported m.onnx as model 'm-copy' version 1\n" });
    const alias = await maas(key.key, "remote", "alias", "set", "m-copy", "production", "1");
    expect(alias).toMatchObject({ code: 0, stdout: "m-copy: production -> version 1\n" });
    const models = await maas(key.key, "remote", "models", "list", "--json");
    expect(JSON.parse(models.stdout).map((x: { name: string }) => x.name)).toEqual(["m", "m-copy"]);

    const missing = await maas(key.key, "remote", "models", "get", "nope");
    expect(missing).toMatchObject({ code: 2, stdout: "", stderr: "maas: no model 'nope' (404 not_found)\n" });
    const forbidden = await maas(key.key, "keys", "list");
    expect(forbidden.code).toBe(2);
    expect(forbidden.stderr).toMatch(/^maas: this key lacks the 'admin' scope .*\(403 forbidden\)\n$/);

    expect(await maas(ADMIN, "keys", "revoke", key.id)).toMatchObject({ code: 0, stdout: `revoked key ${key.id}\n` });
    const revoked = await maas(key.key, "remote", "jobs", "list");
    expect(revoked).toMatchObject({ code: 2, stderr: "maas: this API key was revoked (401 unauthorized)\n" });
  });

  test("bad input: no key, an unreachable server, a bad flag", async () => {
    expect(await maas(undefined, "remote", "models", "list")).toMatchObject({ code: 2, stderr: "maas: no API key: pass --key or set MAAS_KEY\n" });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((r) => closed.close(r));
    const unreachable = await maas(ADMIN, "remote", "models", "list", "--url", url);
    expect(unreachable).toMatchObject({
      code: 2,
      stderr: `maas: cannot reach OpenMaaS at ${url}/api/v1/models (ECONNREFUSED); is the server running? (--url, env MAAS_URL)\n`,
    });
    const scopes = await maas(ADMIN, "keys", "create", "--name", "x", "--scopes", "read,root");
    expect(scopes).toMatchObject({ code: 2, stderr: "maas: --scopes: unknown scope 'root' (choose from admin, write, predict, read)\n" });
  });
});
