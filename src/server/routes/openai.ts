// The OpenAI-compatible API under /v1: the tenant's language models (`GET /v1/models`), completions
// and chat completions, whole or streamed as Server-Sent Events ending in `data: [DONE]`, and
// embeddings (the mean of a model's last hidden states over the text, unit length). The same
// keys and tenancy as the rest of the API; errors in OpenAI's shape. A model is named as in the
// registry (`name`, or `name:version` / `name:alias`; the default is `production`, else `latest`).
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { ChatRequest, CompletionRequest } from "../../api/openai.js";
import { CHAT_STOPS, ChatRequestSchema, CompletionRequestSchema, EmbeddingsRequestSchema, chatPrompt } from "../../api/openai.js";
import { MaasError } from "../../errors.js";
import type { ModelCard } from "../../models/card.js";
import type { Generation, SamplingOptions } from "../../models/generation.js";
import type { Services } from "../app.js";
import { caller } from "../auth.js";
import { installErrorHandling } from "../errors.js";

/** OpenAI's error `type` for a project error code. */
function errorType(code: string): string {
  if (code === "unauthorized") return "authentication_error";
  if (code === "forbidden") return "permission_error";
  if (code === "not_found") return "not_found_error";
  if (code === "rate_limited") return "rate_limit_error";
  if (code === "internal" || code === "unavailable") return "server_error";
  return "invalid_request_error";
}

/** `name`, `name:3` or `name:alias` -> the registry's selector. */
function selector(model: string): { name: string; sel: { version?: number; alias?: string } } {
  const [name, which] = model.split(":", 2);
  if (which === undefined) return { name, sel: {} };
  return /^\d+$/.test(which) ? { name, sel: { version: Number(which) } } : { name, sel: { alias: which } };
}

export function openaiRoutes(s: Services) {
  return async (app: FastifyInstance): Promise<void> => {
    installErrorHandling(app, (code, message) => ({ error: { message, type: errorType(code), param: null, code } }));

    /** The language model a request names, and its sampling options. */
    const prepare = async (request: FastifyRequest, body: CompletionRequest | ChatRequest, stops: readonly string[], defaultTokens: (context: number) => number) => {
      const p = caller(request, "predict");
      const { name, sel } = selector(body.model);
      const { version, ref } = await s.models.resolve(p.tenant, name, sel);
      if ((version.card as ModelCard | null)?.task !== "generation") throw new MaasError("bad_input", `model '${body.model}' is not a language model (train one with model kind transformer)`);
      const context = await s.generator.context(ref);
      const stop = body.stop === undefined || body.stop === null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
      const sampling: SamplingOptions = {
        maxTokens: body.max_completion_tokens ?? body.max_tokens ?? defaultTokens(context),
        temperature: body.temperature ?? 1,
        topK: body.top_k ?? 0,
        topP: body.top_p ?? 1,
        seed: body.seed ?? Math.floor(Math.random() * 2 ** 31),
        stop: [...stop, ...stops],
      };
      return { ref, version, sampling };
    };

    app.get("/models", { schema: { tags: ["openai"] } }, async (request) => {
      const p = caller(request, "read");
      const data = [];
      for (const m of (await s.store.listModels(p.tenant, { limit: 1000 })).items) {
        const { version } = await s.models.select(p.tenant, m.name, {});
        if ((version.card as ModelCard | null)?.task === "generation") data.push({ id: m.name, object: "model", created: Math.floor(Date.parse(m.createdAt) / 1000), owned_by: p.tenant });
      }
      return { object: "list", data };
    });

    app.post("/embeddings", { schema: { tags: ["openai"], body: EmbeddingsRequestSchema } }, async (request) => {
      const body = request.body as z.infer<typeof EmbeddingsRequestSchema>;
      const p = caller(request, "predict");
      const { name, sel } = selector(body.model);
      const { version, ref } = await s.models.resolve(p.tenant, name, sel);
      if ((version.card as ModelCard | null)?.task !== "generation") throw new MaasError("bad_input", `model '${body.model}' is not a language model (train one with model kind transformer)`);
      const texts = typeof body.input === "string" ? [body.input] : body.input;
      const { vectors, tokens } = await s.generator.embed(ref, texts);
      const encode = (v: Float32Array) => (body.encoding_format === "base64" ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") : Array.from(v));
      return { object: "list", data: vectors.map((v, index) => ({ object: "embedding", index, embedding: encode(v) })), model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
    });

    app.post("/completions", { schema: { tags: ["openai"], body: CompletionRequestSchema } }, async (request, reply) => {
      const body = request.body as z.infer<typeof CompletionRequestSchema>;
      const prompt = typeof body.prompt === "string" ? body.prompt : body.prompt[0];
      // OpenAI's default for completions: 16 tokens.
      const { ref, sampling } = await prepare(request, body, [], () => 16);
      const id = `cmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const frame = (text: string, finish: string | null) => ({ id, object: "text_completion", created, model: body.model, choices: [{ text, index: 0, logprobs: null, finish_reason: finish }] });
      if (body.stream) return stream(reply, request, (send, signal) => s.generator.generate(ref, prompt, sampling, (piece) => send(frame(piece, null)), signal), (g) => frame("", g.finishReason), body.stream_options?.include_usage ? (g) => ({ ...frame("", null), choices: [], usage: usage(g) }) : undefined);
      const g = await s.generator.generate(ref, prompt, sampling);
      return { ...frame(g.text, g.finishReason), usage: usage(g) };
    });

    app.post("/chat/completions", { schema: { tags: ["openai"], body: ChatRequestSchema } }, async (request, reply) => {
      const body = request.body as z.infer<typeof ChatRequestSchema>;
      // Chat: at most half the context by default, so that the conversation keeps the other half.
      const { ref, sampling } = await prepare(request, body, CHAT_STOPS, (context) => Math.max(1, Math.floor(context / 2)));
      const prompt = chatPrompt(body.messages);
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const chunk = (delta: Record<string, string>, finish: string | null) => ({ id, object: "chat.completion.chunk", created, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
      if (body.stream) {
        return stream(
          reply,
          request,
          (send, signal) => {
            send(chunk({ role: "assistant", content: "" }, null));
            return s.generator.generate(ref, prompt, sampling, (piece) => send(chunk({ content: piece }, null)), signal);
          },
          (g) => chunk({}, g.finishReason),
          body.stream_options?.include_usage ? (g) => ({ ...chunk({}, null), choices: [], usage: usage(g) }) : undefined,
        );
      }
      const g = await s.generator.generate(ref, prompt, sampling);
      const message = { role: "assistant", content: g.text.trim(), refusal: null };
      return { id, object: "chat.completion", created, model: body.model, choices: [{ index: 0, message, logprobs: null, finish_reason: g.finishReason }], usage: usage(g) };
    });
  };
}

function usage(g: Generation) {
  return { prompt_tokens: g.promptTokens, completion_tokens: g.completionTokens, total_tokens: g.promptTokens + g.completionTokens };
}

/**
 * Streams a generation as Server-Sent Events: each piece, the closing frame with the finish reason
 * (and usage, when asked), then `data: [DONE]`. A client that disconnects stops the generation.
 */
async function stream(
  reply: FastifyReply,
  _request: FastifyRequest,
  run: (send: (frame: unknown) => void, signal: AbortSignal) => Promise<Generation>,
  closing: (g: Generation) => unknown,
  withUsage?: (g: Generation) => unknown,
): Promise<FastifyReply> {
  const gone = new AbortController();
  reply.hijack();
  const res = reply.raw;
  // The connection closing before the stream ended: the client went away.
  res.on("close", () => {
    if (!res.writableEnded) gone.abort(new Error("the client closed the stream"));
  });
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const send = (frame: unknown) => res.write(`data: ${JSON.stringify(frame)}\n\n`);
  try {
    const g = await run(send, gone.signal);
    send(closing(g));
    if (withUsage) send(withUsage(g));
    res.write("data: [DONE]\n\n");
  } catch (e) {
    // Mid-stream failures become one error event (the status line is already sent).
    if (!gone.signal.aborted) send({ error: { message: e instanceof Error ? e.message : String(e), type: "server_error", param: null, code: "internal" } });
  } finally {
    res.end();
  }
  return reply;
}
