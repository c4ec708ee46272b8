// A decoder-only Transformer language model learns a corpus with structure: its held-out bits per
// character fall far below those of the characters' frequencies alone.
import { expect, test } from "vitest";
import { Random } from "../engine/random.js";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import { trainLanguageModel } from "./language.js";
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
