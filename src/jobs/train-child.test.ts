// The training child on its own: what it reports, and that it ends when its parent goes away.
import type { ChildProcess } from "node:child_process";
import { fork } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { TabularSpecSchema } from "../models/spec.js";
import { distEntry } from "../util/paths.js";
import type { ChildMessage, TrainRequest } from "./messages.js";

const dir = await mkdtemp(join(tmpdir(), "maas-child-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const datasetPath = join(dir, "blob-3f2a");
await writeFile(datasetPath, "a,b\n" + Array.from({ length: 30 }, (_v, i) => `${i},${2 * i + 1}`).join("\n") + "\n");

function start(spec: unknown): { child: ChildProcess; messages: ChildMessage[]; exit: Promise<number | null> } {
  const child = fork(distEntry("jobs/train-child.js"), [], { serialization: "advanced", stdio: ["ignore", "ignore", "ignore", "ipc"], execArgv: [] });
  const messages: ChildMessage[] = [];
  child.on("message", (m) => messages.push(m as ChildMessage));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const request: TrainRequest = { jobId: "j1", spec, datasetPath, datasetName: "pairs.csv", outPath: join(dir, "model.onnx") };
  child.send(request);
  return { child, messages, exit };
}

test("reports epochs, writes the model and exits 0 after done", async () => {
  const { messages, exit } = start(TabularSpecSchema.parse({ target: "b", model: { kind: "mlp", hidden: [3] }, training: { epochs: 2, earlyStopping: false } }));
  expect(await exit).toBe(0);
  expect(messages.map((m) => m.type)).toEqual(["epoch", "epoch", "done"]);
  expect(messages[2]).toMatchObject({ type: "done", card: { target: "b", dataset: { source: "pairs.csv", rows: 30 } } });
});

test("a user's mistake is reported with its code, naming the dataset rather than the file", async () => {
  const { messages, exit } = start({ target: "c", model: { kind: "linear" } });
  expect(await exit).toBe(1);
  expect(messages).toEqual([{ type: "error", code: "bad_input", message: "pairs.csv: there is no target column 'c' (columns: a, b)" }]);
});

test("an invalid spec is bad input listing the issues", async () => {
  const { messages, exit } = start({ target: "b", model: { kind: "forest" } });
  expect(await exit).toBe(1);
  expect(messages[0]).toMatchObject({ type: "error", code: "bad_input" });
  expect((messages[0] as { message: string }).message).toMatch(/^the job's spec is not valid \(model\.kind: /);
});

test("exits when its parent goes away (the IPC channel closes)", async () => {
  const { child, messages, exit } = start(TabularSpecSchema.parse({ target: "b", model: { kind: "mlp", hidden: [3] }, training: { epochs: 1_000_000, earlyStopping: false } }));
  while (messages.length === 0) await new Promise((r) => setTimeout(r, 10));
  child.disconnect();
  expect(await exit).toBe(1);
});
