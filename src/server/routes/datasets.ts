// Datasets: uploaded tables, validated by parsing them, stored as uploaded.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { DatasetRowsQuerySchema, DatasetUploadQuerySchema, PageQuerySchema } from "../../api/schemas.js";
import { readTable } from "../../data/read.js";
import { readImageZip } from "../../data/zip-images.js";
import { inferSchema } from "../../data/schema.js";
import { MaasError } from "../../errors.js";
import type { DatasetRecord } from "../../registry/store.js";
import type { Services } from "../app.js";
import { caller } from "../auth.js";
import { idempotent } from "../idempotency.js";
import { spool } from "../uploads.js";

/** Tabular upload types and the file extension (hence the reader) each means. */
const EXTENSION: Record<string, string> = {
  "text/csv": ".csv",
  "application/csv": ".csv",
  "text/plain": ".csv",
  "text/tab-separated-values": ".tsv",
  "application/x-ndjson": ".ndjson",
  "application/jsonl": ".ndjson",
  "application/json": ".json",
  "application/zip": ".zip",
  "application/x-zip-compressed": ".zip",
};

export function datasetOut(d: DatasetRecord) {
  return { id: d.id, name: d.name, format: d.format, rows: d.rows, columns: d.columns, sha256: d.sha256, bytes: d.bytes, createdAt: d.createdAt };
}

const IdParams = z.object({ id: z.string() });

/** Reads an upload through (rejecting what does not parse) and says what it holds. */
async function describeUpload(path: string, source: string, extension: string): Promise<{ rows: number; columns: { name: string; type: string }[] }> {
  if (extension === ".zip") {
    const set = await readImageZip(path, { source });
    return { rows: set.count, columns: [{ name: "image", type: `image ${set.channels}x${set.height}x${set.width}` }, { name: "label", type: "label" }] };
  }
  const table = await readTable(path, source);
  return { rows: table.rows, columns: inferSchema(table).map((c) => ({ name: c.name, type: c.kind })) };
}

/** The upload's bytes as a stream, and the extension that says how to read them. */
async function uploadStream(request: FastifyRequest): Promise<{ stream: Readable; extension: string }> {
  const type = (request.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type === "multipart/form-data") {
    const file = await request.file();
    if (!file) throw new MaasError("bad_input", "the multipart body has no file");
    const ext = file.filename.match(/\.(csv|tsv|txt|json|ndjson|jsonl|zip)$/i)?.[0].toLowerCase() ?? EXTENSION[file.mimetype] ?? "";
    return { stream: file.file, extension: ext };
  }
  const extension = EXTENSION[type];
  if (!extension) {
    throw new MaasError("bad_input", `unsupported Content-Type '${type || "(none)"}': send text/csv, application/x-ndjson, application/json, application/zip (images) or a multipart file`);
  }
  return { stream: request.body as Readable, extension };
}

export function datasetRoutes(s: Services) {
  return async (app: FastifyInstance): Promise<void> => {
    // Tabular bodies reach the handler as streams, spooled to disk under the upload limit.
    app.addContentTypeParser(Object.keys(EXTENSION), { bodyLimit: s.config.uploadLimit }, (_request, payload, done) => done(null, payload));

    app.post(
      "/datasets",
      { schema: { tags: ["datasets"], querystring: DatasetUploadQuerySchema }, bodyLimit: s.config.uploadLimit },
      async (request, reply) => {
        const p = caller(request, "write");
        const { name } = request.query as z.infer<typeof DatasetUploadQuerySchema>;
        return idempotent(s, request, reply, "POST /datasets", async () => {
          const { stream, extension } = await uploadStream(request);
          const file = await spool(stream, join(s.config.home, "tmp"), s.config.uploadLimit);
          try {
            const { rows, columns } = await describeUpload(file.path, `${name}${extension}`, extension);
            const id = randomUUID();
            const artifact = `datasets/${p.tenant}/${id}${extension || ".data"}`;
            await s.blobs.putFile(artifact, file.path);
            const record = await s.store.createDataset({
              id,
              tenant: p.tenant,
              name,
              format: (extension || ".csv").slice(1),
              rows,
              columns,
              sha256: file.sha256,
              bytes: file.bytes,
              artifact,
              createdAt: new Date().toISOString(),
              createdBy: p.keyId,
            });
            return { status: 201, body: datasetOut(record) };
          } finally {
            await file.remove();
          }
        });
      },
    );

    app.get("/datasets", { schema: { tags: ["datasets"], querystring: PageQuerySchema } }, async (request) => {
      const p = caller(request, "read");
      const page = await s.store.listDatasets(p.tenant, request.query as z.infer<typeof PageQuerySchema>);
      return { items: page.items.map(datasetOut), next: page.next };
    });

    app.get("/datasets/:id", { schema: { tags: ["datasets"], params: IdParams } }, async (request) => {
      const p = caller(request, "read");
      const { id } = request.params as z.infer<typeof IdParams>;
      const d = await s.store.getDataset(p.tenant, id);
      if (!d) throw new MaasError("not_found", `no dataset '${id}'`);
      return datasetOut(d);
    });

    app.get("/datasets/:id/rows", { schema: { tags: ["datasets"], params: IdParams, querystring: DatasetRowsQuerySchema } }, async (request) => {
      const p = caller(request, "read");
      const { id } = request.params as z.infer<typeof IdParams>;
      const { offset, limit } = request.query as z.infer<typeof DatasetRowsQuerySchema>;
      const d = await s.store.getDataset(p.tenant, id);
      if (!d) throw new MaasError("not_found", `no dataset '${id}'`);
      if (d.format === "zip") throw new MaasError("bad_input", `dataset '${d.name}' holds images, not table rows`);
      const table = await readTable(await s.blobs.localPath(d.artifact), `${d.name}.${d.format}`);
      const end = Math.min(table.rows, offset + limit);
      const rows: (string | null)[][] = [];
      for (let r = offset; r < end; r++) rows.push(table.values.map((column) => column[r]));
      return { columns: d.columns, rows, offset, total: table.rows };
    });

    app.delete("/datasets/:id", { schema: { tags: ["datasets"], params: IdParams } }, async (request, reply) => {
      const p = caller(request, "write");
      const { id } = request.params as z.infer<typeof IdParams>;
      const d = await s.store.getDataset(p.tenant, id);
      if (!d) throw new MaasError("not_found", `no dataset '${id}'`);
      const result = await s.store.deleteDataset(p.tenant, d.id);
      if (result === "in-use") throw new MaasError("conflict", `dataset '${id}' is used by a queued or running job`);
      if (result === "missing") throw new MaasError("not_found", `no dataset '${id}'`);
      await s.blobs.delete(d.artifact);
      return reply.status(204).send();
    });
  };
}
