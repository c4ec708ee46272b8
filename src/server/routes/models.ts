// The model registry: models, their immutable versions and aliases, model files, predictions and
// evaluations, and imports of ONNX files trained elsewhere.
import { createHash, randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AliasRequestSchema, EvaluateRequestSchema, ImportQuerySchema, NameSchema, PageQuerySchema, PredictRequestSchema, ServingSchema } from "../../api/schemas.js";
import { sequencesFromInstances } from "../../data/sequences.js";
import { MaasError } from "../../errors.js";
import type { ModelCard } from "../../models/card.js";
import { instancesImages, instancesTable } from "../../models/instances.js";
import { ModelFile } from "../../models/model-file.js";
import { checkImport } from "../../models/onnx-import.js";
import type { ModelRecord, VersionRecord } from "../../registry/store.js";
import type { Services } from "../app.js";
import { caller } from "../auth.js";

const NameParams = z.object({ name: z.string() });
const VersionParams = z.object({ name: z.string(), v: z.coerce.number().int().positive() });
const AliasParams = z.object({ name: z.string(), alias: NameSchema });

export function versionOut(v: VersionRecord) {
  return { model: v.model, version: v.version, source: v.source, sha256: v.sha256, bytes: v.bytes, job: v.job, dataset: v.dataset, card: v.card, createdAt: v.createdAt };
}

/** Predict instances of a recommender: `{user, item}` objects (or the trained column names). */
function pairInstances(instances: unknown[], columns: { user: string; item: string }): { users: string[]; items: string[] } {
  const users: string[] = [];
  const items: string[] = [];
  instances.forEach((inst, n) => {
    const o = (typeof inst === "object" && inst !== null ? inst : {}) as Record<string, unknown>;
    const user = o.user ?? o[columns.user];
    const item = o.item ?? o[columns.item];
    if (typeof user !== "string" || typeof item !== "string" || user === "" || item === "") {
      throw new MaasError("unprocessable", `instance ${n}: a recommender rates {"user": "<id>", "item": "<id>"} pairs (non-empty strings)`);
    }
    users.push(user);
    items.push(item);
  });
  return { users, items };
}

export function modelRoutes(s: Services) {
  const { models } = s;
  const modelOut = async (m: ModelRecord) => {
    const aliases = Object.fromEntries((await s.store.listAliases(m.tenant, m.name)).map((a) => [a.alias, a.version]));
    return { name: m.name, latestVersion: m.latestVersion, aliases: { ...aliases, latest: m.latestVersion }, serving: m.serving ?? null, createdAt: m.createdAt };
  };
  /** The card of a version that has one: the tabular, image and sequence routes need it. */
  const cardOf = (v: VersionRecord): ModelCard => {
    if (!v.card) throw new MaasError("unprocessable", `version ${v.version} of '${v.model}' is an imported model without an OpenMaaS card; send it raw tensors over /v2`);
    return v.card as ModelCard;
  };
  const getModel = (tenant: string, name: string) => models.model(tenant, name);
  const getVersion = (tenant: string, name: string, v: number) => models.version(tenant, name, v);
  const forget = (tenant: string, name: string) => models.forget(tenant, name);

  return async (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser("application/octet-stream", { parseAs: "buffer", bodyLimit: s.config.uploadLimit }, (_request, body, done) => done(null, body));

    app.get("/models", { schema: { tags: ["models"], querystring: PageQuerySchema } }, async (request) => {
      const p = caller(request, "read");
      const page = await s.store.listModels(p.tenant, request.query as z.infer<typeof PageQuerySchema>);
      return { items: await Promise.all(page.items.map(modelOut)), next: page.next };
    });

    app.get("/models/:name", { schema: { tags: ["models"], params: NameParams } }, async (request) => {
      const p = caller(request, "read");
      return modelOut(await getModel(p.tenant, (request.params as { name: string }).name));
    });

    app.delete("/models/:name", { schema: { tags: ["models"], params: NameParams } }, async (request, reply) => {
      const p = caller(request, "write");
      const { name } = request.params as { name: string };
      forget(p.tenant, name);
      const artifacts = await s.store.deleteModel(p.tenant, name);
      if (!artifacts) throw new MaasError("not_found", `no model '${name}'`);
      await Promise.all(artifacts.map((a) => s.blobs.delete(a)));
      return reply.status(204).send();
    });

    app.get("/models/:name/versions", { schema: { tags: ["models"], params: NameParams, querystring: PageQuerySchema } }, async (request) => {
      const p = caller(request, "read");
      const { name } = request.params as { name: string };
      await getModel(p.tenant, name);
      const page = await s.store.listVersions(p.tenant, name, request.query as z.infer<typeof PageQuerySchema>);
      return { items: page.items.map(versionOut), next: page.next };
    });

    app.get("/models/:name/versions/:v", { schema: { tags: ["models"], params: VersionParams } }, async (request) => {
      const p = caller(request, "read");
      const { name, v } = request.params as z.infer<typeof VersionParams>;
      return versionOut(await getVersion(p.tenant, name, v));
    });

    app.get("/models/:name/versions/:v/artifact", { schema: { tags: ["models"], params: VersionParams } }, async (request, reply) => {
      const p = caller(request, "read");
      const { name, v } = request.params as z.infer<typeof VersionParams>;
      const version = await getVersion(p.tenant, name, v);
      const bytes = await s.blobs.get(version.artifact);
      return reply
        .header("content-type", "application/octet-stream")
        .header("content-disposition", `attachment; filename="${name}-v${v}.onnx"`)
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });

    app.delete("/models/:name/versions/:v", { schema: { tags: ["models"], params: VersionParams } }, async (request, reply) => {
      const p = caller(request, "write");
      const { name, v } = request.params as z.infer<typeof VersionParams>;
      const version = await getVersion(p.tenant, name, v);
      forget(p.tenant, name);
      const result = await s.store.deleteVersion(p.tenant, name, v);
      if (result === "aliased") throw new MaasError("conflict", `an alias points at version ${v} of '${name}'; move or delete it first`);
      if (result === "missing") throw new MaasError("not_found", `model '${name}' has no version ${v}`);
      await s.blobs.delete(version.artifact);
      return reply.status(204).send();
    });

    app.put("/models/:name/serving", { schema: { tags: ["models"], params: NameParams, body: ServingSchema } }, async (request) => {
      const p = caller(request, "write");
      const { name } = request.params as { name: string };
      const serving = request.body as z.infer<typeof ServingSchema>;
      if (!(await s.store.setServing(p.tenant, name, serving))) throw new MaasError("not_found", `no model '${name}'`);
      forget(p.tenant, name);
      return modelOut(await getModel(p.tenant, name));
    });

    app.put("/models/:name/aliases/:alias", { schema: { tags: ["models"], params: AliasParams, body: AliasRequestSchema } }, async (request) => {
      const p = caller(request, "write");
      const { name, alias } = request.params as z.infer<typeof AliasParams>;
      const { version } = request.body as z.infer<typeof AliasRequestSchema>;
      await getModel(p.tenant, name);
      if (alias === "latest") throw new MaasError("bad_input", "'latest' always names the newest version and cannot be moved");
      const target = await getVersion(p.tenant, name, version);
      // Loaded before the alias moves, so the first requests to the new version do not wait for it
      // (best effort: a version that cannot load still gets the alias, and its requests say why).
      await s.inference.interfaceOf(await models.ref(target)).catch(() => undefined);
      forget(p.tenant, name);
      const a = await s.store.setAlias(p.tenant, name, alias, version);
      return { model: a.model, alias: a.alias, version: a.version };
    });

    app.delete("/models/:name/aliases/:alias", { schema: { tags: ["models"], params: AliasParams } }, async (request, reply) => {
      const p = caller(request, "write");
      const { name, alias } = request.params as z.infer<typeof AliasParams>;
      forget(p.tenant, name);
      if (!(await s.store.deleteAlias(p.tenant, name, alias))) throw new MaasError("not_found", `model '${name}' has no alias '${alias}'`);
      return reply.status(204).send();
    });

    app.post("/models/:name/predict", { schema: { tags: ["predict"], params: NameParams, body: PredictRequestSchema } }, async (request) => {
      const p = caller(request, "predict");
      const { name } = request.params as { name: string };
      const body = request.body as z.infer<typeof PredictRequestSchema>;
      const { version, ref } = await models.resolve(p.tenant, name, body);
      const card = cardOf(version);
      if (card.recommender) {
        // Scores of (user, item) pairs: predicted ratings (mf) or ranking scores; unknown ids score by what remains.
        const { users, items } = pairInstances(body.instances, card.recommender.columns);
        const scores = await s.pool.rate(ref, users, items);
        return { predictions: scores.map((prediction) => ({ prediction })), model: { name, version: version.version } };
      }
      if (card.text) {
        const column = card.text.column;
        const values = body.instances.map((inst, n) => {
          const o = (typeof inst === "object" && inst !== null ? inst : {}) as Record<string, unknown>;
          const text = o.text ?? o[column];
          if (typeof text !== "string") throw new MaasError("unprocessable", `instance ${n}: a text model takes {"text": "<the text>"}`);
          return [text];
        });
        const predictions = await s.pool.predict(ref, { columns: [column], values, rows: values.length });
        return { predictions, model: { name, version: version.version } };
      }
      if (card.image) {
        const predictions = await s.pool.predictImages(ref, instancesImages(card.image, body.instances));
        return { predictions, model: { name, version: version.version } };
      }
      if (card.sequence) {
        const predictions = await s.pool.predictSequences(ref, sequencesFromInstances(body.instances, card.sequence.steps, card.sequence.features));
        return { predictions, model: { name, version: version.version } };
      }
      const table = instancesTable(card.features, body.instances);
      const rows = Array.from({ length: table.rows }, (_v, r) => table.values.map((column) => column[r]));
      const predictions = await s.pool.predict(ref, { columns: [...table.columns], values: rows, rows: table.rows });
      return { predictions, model: { name, version: version.version } };
    });

    app.post("/models/:name/evaluate", { schema: { tags: ["predict"], params: NameParams, body: EvaluateRequestSchema } }, async (request) => {
      const p = caller(request, "predict");
      const { name } = request.params as { name: string };
      const body = request.body as z.infer<typeof EvaluateRequestSchema>;
      const { version } = await models.select(p.tenant, name, body);
      cardOf(version);
      const ref = await models.ref(version);
      const dataset = await s.store.getDataset(p.tenant, body.dataset);
      if (!dataset) throw new MaasError("unprocessable", `no dataset '${body.dataset}'`);
      const evaluation = await s.pool.evaluate(ref, await s.blobs.localPath(dataset.artifact), body.target);
      return { ...evaluation, model: { name, version: version.version }, dataset: dataset.id };
    });

    app.post("/models/import", { schema: { tags: ["models"], querystring: ImportQuerySchema } }, async (request, reply) => {
      const p = caller(request, "write");
      const { name } = request.query as z.infer<typeof ImportQuerySchema>;
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) throw new MaasError("bad_input", "send the .onnx file as an application/octet-stream body");
      await checkImport(body, { source: `${name}.onnx`, maxBytes: s.config.uploadLimit });
      const file = ModelFile.parse(body, `${name}.onnx`);
      const artifact = `models/${p.tenant}/${name}/${randomUUID()}.onnx`;
      await s.blobs.put(artifact, body);
      forget(p.tenant, name);
      const v = await s.store.createVersion({
        tenant: p.tenant,
        model: name,
        artifact,
        sha256: createHash("sha256").update(body).digest("hex"),
        bytes: body.length,
        source: "imported",
        card: file.card ?? null,
        job: null,
        dataset: null,
        createdBy: p.keyId,
      });
      return reply.status(201).send({ name, version: v.version });
    });
  };
}
