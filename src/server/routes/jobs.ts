// Training jobs: submitted as a spec over a stored dataset, run by the queue, followed by polling or
// by a Server-Sent Events stream that can be resumed with Last-Event-ID.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { JobRequestSchema, PageQuerySchema } from "../../api/schemas.js";
import { MaasError } from "../../errors.js";
import { TabularSpecSchema, isLanguageKind, isRecommenderKind } from "../../models/spec.js";
import type { JobEvent, JobRecord } from "../../registry/store.js";
import { queuedJob } from "../../registry/store.js";
import type { Services } from "../app.js";
import { caller } from "../auth.js";
import { idempotent } from "../idempotency.js";

const IdParams = z.object({ id: z.string() });
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
/** Comment lines that keep idle proxies from closing an event stream. */
const HEARTBEAT_MS = 15_000;

export function jobOut(j: JobRecord) {
  return {
    id: j.id,
    name: j.name,
    dataset: j.dataset,
    status: j.status,
    progress: j.progress,
    metrics: j.metrics,
    model: j.model,
    error: j.error,
    attempts: j.attempts,
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
  };
}

export function jobRoutes(s: Services) {
  return async (app: FastifyInstance): Promise<void> => {
    const getJob = async (tenant: string, id: string) => {
      const j = await s.store.getJob(tenant, id);
      if (!j) throw new MaasError("not_found", `no job '${id}'`);
      return j;
    };

    app.post("/jobs", { schema: { tags: ["jobs"], body: JobRequestSchema } }, async (request, reply) => {
      const p = caller(request, "write");
      const body = request.body as z.infer<typeof JobRequestSchema>;
      return idempotent(s, request, reply, "POST /jobs", async () => {
        const dataset = await s.store.getDataset(p.tenant, body.dataset);
        if (!dataset) throw new MaasError("unprocessable", `no dataset '${body.dataset}'`);
        const images = dataset.format === "zip";
        const recommender = isRecommenderKind(body.model.kind);
        if (images && body.model.kind !== "cnn" && body.model.kind !== "mlp" && body.model.kind !== "logistic") {
          throw new MaasError("unprocessable", `dataset '${dataset.name}' holds images: train a cnn, mlp or logistic model on it`);
        }
        if (!images && body.model.kind === "cnn") throw new MaasError("unprocessable", `a cnn trains on images; dataset '${dataset.name}' is a table`);
        const target = body.target ?? (images ? "label" : undefined);
        if (!target && !recommender && !isLanguageKind(body.model.kind)) throw new MaasError("bad_input", "target is required: the column to predict");
        const parsed = TabularSpecSchema.safeParse({
          target,
          task: body.task,
          model: body.model,
          training: body.training ?? {},
          columns: body.columns ?? {},
          ...(body.windows ? { windows: body.windows } : {}),
          ...(recommender ? { interactions: body.interactions ?? {} } : {}),
          ...(body.text || ["fasttext", "lexicon"].includes(body.model.kind) || isLanguageKind(body.model.kind) ? { text: isLanguageKind(body.model.kind) ? { tokenizer: "char", ...body.text } : (body.text ?? {}) } : {}),
        });
        if (!parsed.success) {
          const details = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
          throw new MaasError("bad_input", `invalid training spec: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, details);
        }
        const spec = parsed.data;
        const known = new Set(dataset.columns.map((c) => c.name));
        const roles = spec.interactions ? [spec.interactions.user, spec.interactions.item, ...(spec.interactions.timestamp ? [spec.interactions.timestamp] : [])] : [];
        const named = [...(spec.target ? [spec.target] : []), ...roles, ...(spec.text ? [spec.text.column] : []), ...spec.columns.ignore, ...spec.columns.categorical, ...spec.columns.numeric];
        const unknown = named.filter((c) => !known.has(c));
        if (unknown.length > 0) {
          throw new MaasError("unprocessable", `dataset '${dataset.name}' has no column ${unknown.map((c) => `'${c}'`).join(", ")} (columns: ${[...known].join(", ")})`);
        }
        const job = await s.store.createJob(queuedJob({ id: randomUUID(), tenant: p.tenant, name: body.name, dataset: dataset.id, spec, createdBy: p.keyId }));
        s.queue.enqueue(job.id);
        return { status: 202, body: { id: job.id, status: job.status } };
      });
    });

    app.get("/jobs", { schema: { tags: ["jobs"], querystring: PageQuerySchema } }, async (request) => {
      const p = caller(request, "read");
      const page = await s.store.listJobs(p.tenant, request.query as z.infer<typeof PageQuerySchema>);
      return { items: page.items.map(jobOut), next: page.next };
    });

    app.get("/jobs/:id", { schema: { tags: ["jobs"], params: IdParams } }, async (request) => {
      const p = caller(request, "read");
      return jobOut(await getJob(p.tenant, (request.params as { id: string }).id));
    });

    app.post("/jobs/:id/cancel", { schema: { tags: ["jobs"], params: IdParams } }, async (request, reply) => {
      const p = caller(request, "write");
      const job = await getJob(p.tenant, (request.params as { id: string }).id);
      if (!TERMINAL.has(job.status)) await s.queue.cancel(job.id);
      return reply.status(202).send(jobOut(await getJob(p.tenant, job.id)));
    });

    app.delete("/jobs/:id", { schema: { tags: ["jobs"], params: IdParams } }, async (request, reply) => {
      const p = caller(request, "write");
      const job = await getJob(p.tenant, (request.params as { id: string }).id);
      if (!TERMINAL.has(job.status)) throw new MaasError("conflict", `job '${job.id}' is ${job.status}; cancel it first`);
      await s.store.deleteJob(p.tenant, job.id);
      return reply.status(204).send();
    });

    app.get("/jobs/:id/events", { schema: { tags: ["jobs"], params: IdParams } }, async (request, reply) => {
      const p = caller(request, "read");
      const job = await getJob(p.tenant, (request.params as { id: string }).id);
      const lastHeader = request.headers["last-event-id"];
      let last = Number(typeof lastHeader === "string" ? lastHeader : 0) || 0;

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
      const send = (e: JobEvent) => {
        if (e.seq <= last) return;
        last = e.seq;
        res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
        if (e.type === "status" && TERMINAL.has((e.data as { status?: string })?.status ?? "")) finish();
      };
      // Subscribe before replaying, so no event falls between the two; `send` drops duplicates.
      const pending: JobEvent[] = [];
      let replaying = true;
      const unsubscribe = s.queue.subscribe(job.id, (e) => (replaying ? pending.push(e) : send(e)));
      const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), HEARTBEAT_MS);
      const onClosing = () => finish();
      s.closing.signal.addEventListener("abort", onClosing);
      let finished = false;
      function finish() {
        if (finished) return;
        finished = true;
        unsubscribe();
        clearInterval(heartbeat);
        s.closing.signal.removeEventListener("abort", onClosing);
        res.end();
      }
      request.raw.on("close", finish);

      for (const e of await s.store.eventsAfter(job.id, last)) send(e);
      replaying = false;
      for (const e of pending) send(e);
      if (!finished && TERMINAL.has((await getJob(p.tenant, job.id)).status)) {
        for (const e of await s.store.eventsAfter(job.id, last)) send(e);
        finish();
      }
    });
  };
}
