// A decoder-only Transformer language model learns a corpus with structure: its held-out bits per
// character fall far below those of the characters' frequencies alone.
import { describe, expect, test } from "vitest";
import { Builder } from "../engine/builder.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { Random } from "../engine/random.js";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import type { Tensor } from "../runtime/tensor.js";
import { DecoderBatcher } from "./decoder-batcher.js";
import { decoderStepModel, generate } from "./generation.js";
import { decoderLogits, trainLanguageModel } from "./language.js";
import { resolveTraining } from "./spec.js";

test("a char-level Transformer learns sentences from a small grammar", async () => {
  const rng = new Random(5);
  const subjects = ["the whale", "a sailor", "the captain", "ishmael"];
  const verbs = ["saw", "chased", "feared", "followed"];
  const objects = ["the sea", "a ship", "the harpoon", "the storm"];
  const pick = (xs: string[]) => xs[rng.int(xs.length)];
  const corpus = Array.from({ length: 600 }, () => `${pick(subjects)} ${pick(verbs)} ${pick(objects)}.`).join(" ");
  // The unigram entropy of the characters: what a model with no context would reach.
  const counts = new Map<string, number>();
  for (const c of corpus) counts.set(c, (counts.get(c) ?? 0) + 1);
  const unigram = -[...counts.values()].reduce((s, n) => s + (n / corpus.length) * Math.log2(n / corpus.length), 0);
  const spec = { tokenizer: "char" as const, vocabSize: 64, context: 32, layers: 1, heads: 2, width: 32, validation: 0.1 };
  const lm = await trainLanguageModel(new OnnxRuntime(), corpus, spec, resolveTraining("mlp", { epochs: 8, batchSize: 16, lr: 0.003, threads: 1 }));
  const bpc = lm.history.map((h) => h.metrics.bitsPerCharacter);
  expect(bpc[bpc.length - 1]).toBeLessThan(bpc[0]);
  expect(lm.validation.bitsPerCharacter).toBeLessThan(0.5 * unigram);
}, 120_000);

describe("generation", async () => {
  const corpus = "abcdefgh ".repeat(300);
  const spec = { tokenizer: "char" as const, vocabSize: 32, context: 24, layers: 2, heads: 2, width: 32, validation: 0.1 };
  const runtime = new OnnxRuntime();
  const lm = await trainLanguageModel(runtime, corpus, spec, resolveTraining("mlp", { epochs: 6, batchSize: 16, lr: 0.005, threads: 1 }));
  const step = await runtime.createSession(decoderStepModel(spec, lm.tokenizer.size, lm.params));
  const decoder = new DecoderBatcher(step, spec);
  const greedy = { maxTokens: 12, temperature: 0, topK: 0, topP: 1, seed: 1, stop: [] };

  test("the cached decoder continues the pattern, one token a step", async () => {
    const g = await generate(decoder, spec, lm.tokenizer, "abcd", greedy);
    expect(g).toEqual({ text: "efgh abcdefg", promptTokens: 4, completionTokens: 12, finishReason: "length" });
  });

  test("the cached step gives the full decoder's logits at every position", async () => {
    const b = new Builder("full", "infer", "float32", lm.params);
    b.graph.output(decoderLogits(b, spec, lm.tokenizer.size, b.graph.input("ids", "int64", [1, spec.context])), "logits");
    const full = await runtime.createSession(encodeModel(b.graph));
    const ids = lm.tokenizer.encode("cdefgh abcdefgh abcdefgh".slice(0, spec.context));
    const expected = (await full.run({ ids: { dtype: "int64", dims: [1, spec.context], data: BigInt64Array.from(ids, BigInt) } })).logits.data as Float32Array;
    let past: Record<string, Tensor> = {};
    for (let l = 0; l < spec.layers; l++) for (const kv of ["key", "value"]) past[`past_key_values.${l}.${kv}`] = { dtype: "float32", dims: [1, 2, 0, 16], data: new Float32Array(0) };
    const V = lm.tokenizer.size;
    for (const [t, id] of ids.entries()) {
      const position = { attention_mask: { dtype: "int64" as const, dims: [1, t + 1], data: new BigInt64Array(t + 1).fill(1n) }, position_ids: { dtype: "int64" as const, dims: [1, 1], data: BigInt64Array.of(BigInt(t)) } };
      const out = await step.run({ input_ids: { dtype: "int64", dims: [1, 1], data: BigInt64Array.of(BigInt(id)) }, ...position, ...past });
      const logits = out.logits.data as Float32Array;
      for (let v = 0; v < V; v++) expect(logits[v]).toBeCloseTo(expected[t * V + v], 3);
      past = Object.fromEntries(Object.keys(past).map((k) => [k, out[k.replace("past_key_values", "present")]]));
    }
  });

  test("concurrent generations share runs and each writes what it would alone", async () => {
    const prompts = ["a", "abcdefgh abc", "efg", "h abcdefgh abcdefgh"];
    const alone = [];
    for (const p of prompts) alone.push((await generate(new DecoderBatcher(step, spec), spec, lm.tokenizer, p, greedy)).text);
    let runs = 0;
    const counting = { ...step, run: (...args: Parameters<typeof step.run>) => (runs++, step.run(...args)) } as typeof step;
    const shared = new DecoderBatcher(counting, spec);
    const together = await Promise.all(prompts.map((p) => generate(shared, spec, lm.tokenizer, p, greedy)));
    expect(together.map((g) => g.text)).toEqual(alone);
    const steps = together.reduce((n, g) => n + g.promptTokens + g.completionTokens - 1, 0);
    expect(runs).toBeLessThan(steps / 2);
  });

  test("stop sequences end the text before them; sampling is seeded", async () => {
    const g = await generate(decoder, spec, lm.tokenizer, "abc", { ...greedy, stop: ["h a"] });
    expect([g.text, g.finishReason]).toEqual(["defg", "stop"]);
    const pieces: string[] = [];
    const sampled = { ...greedy, temperature: 1.5, topK: 5, topP: 0.9, seed: 7 };
    const a = await generate(decoder, spec, lm.tokenizer, "ab", sampled, (p) => pieces.push(p));
    const b = await generate(decoder, spec, lm.tokenizer, "ab", sampled);
    expect(a.text).toBe(b.text);
    expect(pieces.join("")).toBe(a.text);
  });
});

describe("an LSTM language model", async () => {
  const corpus = "abcdefgh ".repeat(300);
  const spec = { architecture: "lstm" as const, tokenizer: "char" as const, vocabSize: 32, context: 24, layers: 2, heads: 1, width: 32, validation: 0.1 };
  const runtime = new OnnxRuntime();
  const lm = await trainLanguageModel(runtime, corpus, spec, resolveTraining("lstm-lm", { epochs: 8, batchSize: 16, lr: 0.01, threads: 1 }));
  const step = await runtime.createSession(decoderStepModel(spec, lm.tokenizer.size, lm.params));

  test("learns the pattern and continues it, carrying its states one token a step, past its training context", async () => {
    expect(lm.validation.bitsPerCharacter).toBeLessThan(0.5);
    const g = await generate(new DecoderBatcher(step, spec), spec, lm.tokenizer, "abcd", { maxTokens: 40, temperature: 0, topK: 0, topP: 1, seed: 1, stop: [] });
    expect(g.text).toBe("efgh abcdefgh abcdefgh abcdefgh abcdefgh");
  });

  test("the step's logits are the unrolled network's at every position", async () => {
    const b = new Builder("full", "infer", "float32", lm.params);
    b.graph.output(decoderLogits(b, spec, lm.tokenizer.size, b.graph.input("ids", "int64", [1, spec.context])), "logits");
    const full = await runtime.createSession(encodeModel(b.graph));
    const ids = lm.tokenizer.encode("cdefgh abcdefgh abcdefgh".slice(0, spec.context));
    const expected = (await full.run({ ids: { dtype: "int64", dims: [1, spec.context], data: BigInt64Array.from(ids, BigInt) } })).logits.data as Float32Array;
    let state: Record<string, Tensor> = {};
    for (let l = 0; l < spec.layers; l++) for (const w of ["h", "c"]) state[`past_state.${l}.${w}`] = { dtype: "float32", dims: [1, spec.width], data: new Float32Array(spec.width) };
    const V = lm.tokenizer.size;
    for (const [t, id] of ids.entries()) {
      const out = await step.run({ input_ids: { dtype: "int64", dims: [1, 1], data: BigInt64Array.of(BigInt(id)) }, ...state });
      const logits = out.logits.data as Float32Array;
      for (let v = 0; v < V; v++) expect(logits[v]).toBeCloseTo(expected[t * V + v], 3);
      state = Object.fromEntries(Object.keys(state).map((k) => [k, out[k.replace("past", "present")]]));
    }
  });
});
