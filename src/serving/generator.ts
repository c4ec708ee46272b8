// Text generation for the service: language-model sessions kept in this process (ONNX Runtime runs
// each step off the event loop), each request with its own key/value cache, so concurrent
// generations share a session and interleave step by step.
import { readFile } from "node:fs/promises";
import { decodeFloatInitializers, decodeModelInfo } from "../engine/onnx-codec.js";
import { MaasError } from "../errors.js";
import type { ModelCard } from "../models/card.js";
import { cardFromMetadata } from "../models/card.js";
import type { Generation, SamplingOptions } from "../models/generation.js";
import { embeddingFeeds, embeddingModel, generate } from "../models/generation.js";
import type { LanguageSpec } from "../models/language.js";
import { VOCABULARY_KEY } from "../models/text.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import { DecoderBatcher } from "../models/decoder-batcher.js";
import { SessionCache } from "../runtime/session-cache.js";
import type { TokenizerState } from "../text/tokenizer.js";
import { Tokenizer } from "../text/tokenizer.js";
import type { ModelRef } from "./protocol.js";

interface LoadedLanguageModel {
  card: ModelCard;
  spec: LanguageSpec;
  tokenizer: Tokenizer;
}

export class Generator {
  private readonly cache: SessionCache<LoadedLanguageModel>;
  /** One batcher per session: concurrent generations of a model share its runs. */
  private readonly batchers = new WeakMap<Session, DecoderBatcher>();

  constructor(runtime: Runtime, sessions = 4, private readonly threads = 0) {
    this.cache = new SessionCache(runtime, sessions);
  }

  /** Continues `prompt` with the model of `ref` (see generate), calling `onText` with each new piece. */
  generate(ref: ModelRef, prompt: string, sampling: SamplingOptions, onText?: (piece: string) => void, signal?: AbortSignal): Promise<Generation> {
    return this.cache.use(ref.key, () => this.load(ref), { threads: this.threads, spinning: false }, (session, lm) => generate(this.batcher(session, lm.spec), lm.spec, lm.tokenizer, prompt, sampling, onText, signal));
  }

  private batcher(session: Session, spec: LanguageSpec): DecoderBatcher {
    let b = this.batchers.get(session);
    if (!b) this.batchers.set(session, (b = new DecoderBatcher(session, spec)));
    return b;
  }

  /** Unit-length embeddings of `texts` (the mean of the model's last hidden states), and the tokens read. */
  embed(ref: ModelRef, texts: readonly string[]): Promise<{ vectors: Float32Array[]; tokens: number }> {
    const load = async () => {
      const { bytes, meta } = await this.load(ref);
      const params = new Map([...decodeFloatInitializers(bytes)].map(([name, t]) => [name, t.data as Float32Array]));
      return { bytes: embeddingModel(meta.spec, meta.tokenizer.size, params), meta };
    };
    return this.cache.use(`${ref.key}#embed`, load, { threads: this.threads, spinning: false }, async (session, lm) => {
      const { feeds, tokens } = embeddingFeeds(lm.spec, lm.tokenizer, texts);
      const out = (await session.run(feeds, ["embedding"])).embedding.data as Float32Array;
      const w = lm.spec.width;
      return { vectors: texts.map((_t, n) => out.slice(n * w, (n + 1) * w)), tokens };
    });
  }

  /** The model's context: the most tokens a sequence holds. */
  context(ref: ModelRef): Promise<number> {
    return this.cache.use(ref.key, () => this.load(ref), { threads: this.threads, spinning: false }, async (_s, lm) => lm.spec.context);
  }

  private async load(ref: ModelRef): Promise<{ bytes: Uint8Array; meta: LoadedLanguageModel }> {
    const bytes = await readFile(ref.path);
    const info = decodeModelInfo(bytes);
    const card = cardFromMetadata(info.metadata, ref.name ?? ref.path);
    const state = info.metadata[VOCABULARY_KEY];
    if (!card?.language || !card.text || !state) throw new MaasError("unprocessable", `${ref.name ?? ref.path} is not a language model (train one with model kind transformer)`);
    const l = card.language;
    const tokenizer = Tokenizer.fromJSON({ kind: card.text.tokenizer, lowercase: card.text.lowercase, vocabSize: card.text.vocabSize, minCount: 1 }, JSON.parse(state) as TokenizerState);
    const spec: LanguageSpec = { architecture: l.architecture ?? "transformer", tokenizer: card.text.tokenizer as "char" | "bpe", vocabSize: card.text.vocabSize, context: l.context, layers: l.layers, heads: l.heads, width: l.width, validation: 0 };
    return { bytes, meta: { card, spec, tokenizer } };
  }

  close(): Promise<void> {
    return this.cache.clear();
  }
}
