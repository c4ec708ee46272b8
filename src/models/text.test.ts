// Text models end to end: a fastText-style classifier and an LSTM over tokens learn a rule that
// needs words (and, for one class, a word pair), in English and Chinese; the file tokenises again.
import { describe, expect, test } from "vitest";
import { tableFromRows } from "../data/table.js";
import { Random } from "../engine/random.js";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import { decodeModelInfo } from "../engine/onnx-codec.js";
import { cardFromMetadata } from "./card.js";
import { TabularSpecSchema } from "./spec.js";
import { TextIds, VOCABULARY_KEY, textFeeds, trainText } from "./text.js";

const runtime = new OnnxRuntime();

/** Reviews: positive with "great"/"好", negative with "awful"/"差", and "not great" is negative (a bigram). */
function reviews(n: number, seed: number) {
  const rng = new Random(seed);
  const filler = ["the", "film", "was", "plot", "actors", "电影", "剧情", "演员", "music", "ending"];
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 3 + rng.int(6) }, () => filler[rng.int(filler.length)]);
    const kind = rng.int(4);
    const cue = ["great", "awful", "not great", "好"][kind];
    words.splice(rng.int(words.length + 1), 0, cue);
    rows.push([words.join(" "), kind === 0 || kind === 3 ? "pos" : "neg"]);
  }
  return tableFromRows("reviews.csv", ["review", "label"], rows);
}

describe.each(["fasttext", "lstm"] as const)("%s", (kind) => {
  test("learns the rule, and the file's tokenizer gives the same answers", async () => {
    const spec = TabularSpecSchema.parse({ target: "label", model: { kind, hidden: [16], embedding: 16 }, text: { column: "review" }, training: { epochs: 40, lr: 0.01, seed: 3 } });
    const { onnx, card } = await trainText(reviews(600, 1), spec, { runtime });
    expect(card).toMatchObject({ task: "classification", labels: ["neg", "pos"], text: { column: "review", tokenizer: "word", lengths: kind === "lstm" } });
    expect(card.metrics.accuracy).toBeGreaterThan(0.95);
    const info = decodeModelInfo(onnx);
    const encoder = TextIds.fromFile(cardFromMetadata(info.metadata, "m")!.text!, info.metadata[VOCABULARY_KEY], "m");
    const session = await runtime.createSession(onnx);
    const texts = ["the plot was great", "the plot was not great", "awful music", "演员 好"];
    const fixed = kind === "lstm" ? (info.inputs[0].shape[1] as number) : undefined;
    const out = await session.run(textFeeds(encoder, texts, fixed), ["prediction"]);
    expect(out.prediction.data).toEqual(["pos", "neg", "neg", "pos"]);
    await session.release();
  }, 120_000);
});
