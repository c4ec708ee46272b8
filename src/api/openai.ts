// The OpenAI-compatible API's request shapes (the subset OpenMaaS serves), as the official clients
// send them: unknown fields are ignored, as OpenAI ignores what a model does not use.
import { z } from "zod";

const Stop = z.union([z.string(), z.array(z.string()).max(4)]).nullish();

/** Sampling fields shared by completions and chat completions. */
const Sampling = {
  model: z.string().min(1),
  /** Tokens to write at most (completions: 16 when absent, as OpenAI's; chat: half the model's context); the prompt keeps the rest of the context. */
  max_tokens: z.number().int().min(1).max(100_000).nullish(),
  max_completion_tokens: z.number().int().min(1).max(100_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  /** Not in OpenAI's API: sample among the k most likely tokens (0: all). */
  top_k: z.number().int().min(0).nullish(),
  /** One choice per request. */
  n: z.literal(1).nullish(),
  seed: z.number().int().nullish(),
  stop: Stop,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
};

export const CompletionRequestSchema = z.looseObject({
  ...Sampling,
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
});

export const ChatMessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.literal("text"), text: z.string() }))]),
});

export const ChatRequestSchema = z.looseObject({
  ...Sampling,
  messages: z.array(ChatMessageSchema).min(1),
});

export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;
export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/**
 * The chat template of models trained here: one line per message, `<role>: <content>`, then
 * `assistant:` for the model to continue; the reply ends where the model starts another turn.
 * (Text is normalised before tokenising, so the lines arrive separated by spaces.)
 */
export function chatPrompt(messages: readonly ChatMessage[]): string {
  const text = (m: ChatMessage) => (typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""));
  return `${messages.map((m) => `${m.role === "developer" ? "system" : m.role}: ${text(m)}`).join("\n")}\nassistant:`;
}

/** Where a chat reply ends: the start of another turn. */
export const CHAT_STOPS = [" user:", " system:", " assistant:", "\nuser:", "\nsystem:", "\nassistant:"];

/** `POST /v1/embeddings`: one text or a list (at most 2,048). */
export const EmbeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
});
