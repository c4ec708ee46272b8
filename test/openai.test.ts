// The OpenAI-compatible API with the official `openai` client, against a language model OpenMaaS
// trained: models, completions and chat completions (whole and streamed), errors, a client that
// goes away mid-stream, and tenancy.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MaasClient } from "../src/client/client.js";
import { loadConfig } from "../src/config.js";
import type { Platform } from "../src/server/platform.js";
import { startPlatform } from "../src/server/platform.js";

const ADMIN = "openai-test-admin-key-0123456789abc";
const home = mkdtempSync(join(tmpdir(), "maas-openai-"));
let platform: Platform;
let openai: OpenAI;
let admin: MaasClient;

beforeAll(async () => {
  platform = await startPlatform(loadConfig({ port: 0, home, adminKey: ADMIN, logLevel: "silent", predictWorkers: 1 }));
  admin = new MaasClient({ url: platform.url, key: ADMIN });
  // A corpus with a rule to learn: "abcdefgh" repeated, one line a row.
  await admin.datasets.upload("letters", { data: `text\n${Array.from({ length: 300 }, () => "abcdefgh").join("\n")}\n` });
  const job = await admin.jobs.create({ dataset: "letters", name: "letters", model: { kind: "transformer", blocks: 2, heads: 2, embedding: 32, context: 24 }, text: { tokenizer: "char" }, training: { epochs: 6, batchSize: 16, lr: 0.005 } });
  const done = await admin.jobs.wait(job.id);
  expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
  openai = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: ADMIN });
}, 120_000);

afterAll(async () => {
  await platform?.close();
  rmSync(home, { recursive: true, force: true });
});

describe("the official openai client", () => {
  test("lists the tenant's language models", async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["letters"]);
  });

  test("completions: the model continues the pattern; usage counts tokens", async () => {
    const c = await openai.completions.create({ model: "letters", prompt: "abcd", max_tokens: 8, temperature: 0 });
    expect(c.choices[0].text).toBe("efgh abc");
    expect(c.choices[0].finish_reason).toBe("length");
    expect(c.usage).toEqual({ prompt_tokens: 4, completion_tokens: 8, total_tokens: 12 });
  });

  test("completions streamed: the pieces make the same text, then [DONE]", async () => {
    const stream = await openai.completions.create({ model: "letters", prompt: "abcd", max_tokens: 8, temperature: 0, stream: true });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([text, finish]).toEqual(["efgh abc", "length"]);
  });

  test("chat completions, whole and streamed, with a stop sequence", async () => {
    const messages = [{ role: "user" as const, content: "abcdefgh" }];
    const c = await openai.chat.completions.create({ model: "letters", messages, max_tokens: 6, temperature: 0, stop: ["zzz"] });
    expect(c.choices[0].message.role).toBe("assistant");
    expect(typeof c.choices[0].message.content).toBe("string");
    const stream = await openai.chat.completions.create({ model: "letters", messages, max_tokens: 6, temperature: 0, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text.trim()).toBe(c.choices[0].message.content);
    const stopped = await openai.completions.create({ model: "letters", prompt: "abcd", max_tokens: 8, temperature: 0, stop: ["h"] });
    expect([stopped.choices[0].text, stopped.choices[0].finish_reason]).toEqual(["efg", "stop"]);
  });

  test("an empty prompt and a prompt longer than the context are answered (the long one cut to its last tokens)", async () => {
    const empty = await openai.completions.create({ model: "letters", prompt: "", max_tokens: 4, temperature: 0 });
    expect(empty.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 4 });
    // Context 24: with 8 tokens asked for, the prompt keeps its last 16 tokens.
    const long = await openai.completions.create({ model: "letters", prompt: "abcdefgh ".repeat(20) + "abcd", max_tokens: 8, temperature: 0 });
    expect(long.usage).toMatchObject({ prompt_tokens: 16, completion_tokens: 8 });
    expect(long.choices[0].text).toBe("efgh abc");
  });

  test("seeded sampling repeats itself", async () => {
    const ask = () => openai.completions.create({ model: "letters", prompt: "ab", max_tokens: 10, temperature: 1.2, top_p: 0.9, seed: 11 });
    expect((await ask()).choices[0].text).toBe((await ask()).choices[0].text);
  });

  test("errors come back in OpenAI's shape, as the client's error classes", async () => {
    await expect(openai.completions.create({ model: "nope", prompt: "x" })).rejects.toMatchObject({ status: 404, type: "not_found_error" });
    await expect(openai.completions.create({ model: "letters", prompt: "x", temperature: 5 })).rejects.toMatchObject({ status: 400, type: "invalid_request_error" });
    await expect(openai.chat.completions.create({ model: "letters", messages: [] })).rejects.toMatchObject({ status: 400 });
    const stranger = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: "maas_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toMatchObject({ status: 401 });
  });

  test("another tenant sees none of these models", async () => {
    const key = (await admin.keys.create({ name: "other", tenant: "other", scopes: ["predict", "read"] })).key;
    const other = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: key, maxRetries: 0 });
    expect((await other.models.list()).data).toEqual([]);
    await expect(other.completions.create({ model: "letters", prompt: "ab" })).rejects.toMatchObject({ status: 404 });
  });

  test("a client that goes away mid-stream: the server stops writing to it and keeps serving", async () => {
    const controller = new AbortController();
    const response = await fetch(`${platform.url}/v1/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "letters", prompt: "a", max_tokens: 20, temperature: 0, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^data: \{/);
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    const after = await openai.completions.create({ model: "letters", prompt: "abcd", max_tokens: 4, temperature: 0 });
    expect(after.choices[0].text).toBe("efgh");
  });
});

test("embeddings: one unit vector of the model's width per input, alike for alike texts", async () => {
  const e = await openai.embeddings.create({ model: "letters", input: ["abcdefgh", "abcdefgh abcd", "hgfedcba"] });
  expect(e.data).toHaveLength(3);
  const [a, b, c] = e.data.map((d) => d.embedding);
  expect(a).toHaveLength(32);
  const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0);
  expect(dot(a, a)).toBeCloseTo(1, 4);
  expect(dot(a, b)).toBeGreaterThan(dot(a, c));
  expect(e.usage.prompt_tokens).toBe(8 + 13 + 8);
  // The client asks for base64 by default and decodes it: check the float form too.
  const floats = await openai.embeddings.create({ model: "letters", input: "abcdefgh", encoding_format: "float" });
  floats.data[0].embedding.forEach((v, i) => expect(v).toBeCloseTo(a[i], 5));
});

test("an LSTM language model trained as a job answers completions too", async () => {
  const job = await admin.jobs.create({ dataset: "letters", name: "letters-lstm", model: { kind: "lstm-lm", blocks: 1, embedding: 32, context: 24 }, training: { epochs: 8, batchSize: 16, lr: 0.01 } });
  const done = await admin.jobs.wait(job.id);
  expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
  expect(done.metrics!.bitsPerCharacter).toBeLessThan(1);
  const c = await openai.completions.create({ model: "letters-lstm", prompt: "abcd", max_tokens: 8, temperature: 0 });
  expect(c.choices[0].text).toBe("efgh abc");
}, 60_000);
