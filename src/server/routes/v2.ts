// The Open Inference Protocol v2 (KServe V2 / Triton REST): server and model metadata, model
// readiness, infer (JSON, and the binary tensor data extension), the model repository extension and
// KServe's model list. Names resolve inside the caller's tenant; a version is a number or an alias,
// and without one a model means its `production` alias if set, else its newest version. Errors are
// {"error": "..."} with 400 / 401 / 403 / 404 / 503, as the protocol has them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ModelMetadata, ServerMetadata } from "../../api/v2.js";
import { decodeInferRequest, encodeInferResponse, metadataTensor } from "../../api/v2.js";
import { ServingSchema } from "../../api/schemas.js";
import { MaasError } from "../../errors.js";
import type { Principal } from "../auth.js";
import { caller } from "../auth.js";
import type { Services } from "../app.js";
import { installErrorHandling } from "../errors.js";
import type { Resolved, VersionSelector } from "../model-resolver.js";
import { modelKeyPrefix } from "../model-resolver.js";
import { VERSION } from "../../version.js";

export const V2_EXTENSIONS = ["binary_tensor_data", "model_repository"];
/** The protocol's platform name of an ONNX model. */
const PLATFORM = "onnx_onnxv1";
const HEADER_LENGTH = "inference-header-content-length";

const ModelParams = z.object({ name: z.string() });
const VersionParams = z.object({ name: z.string(), version: z.string() });

/** A version path segment: a number, or an alias name. */
function selector(version: string | undefined): VersionSelector {
  if (version === undefined) return {};
  return /^\d+$/.test(version) ? { version: Number(version) } : { alias: version };
}

/** Metadata and readiness are for keys that may read or predict. */
function reader(request: FastifyRequest): Principal {
  try {
    return caller(request, "predict");
  } catch (e) {
    if (e instanceof MaasError && e.code === "forbidden") return caller(request, "read");
    throw e;
  }
}

export function v2Routes(s: Services) {
  const { models, inference } = s;

  const resolve = (request: FastifyRequest, p: Principal): Promise<Resolved> => {
    const { name, version } = request.params as { name: string; version?: string };
    return models.resolve(p.tenant, name, selector(version));
  };

  const metadata = async (request: FastifyRequest): Promise<ModelMetadata> => {
    const p = reader(request);
    const r = await resolve(request, p);
    const info = await inference.interfaceOf(r.ref);
    const versions = (await s.store.listVersions(p.tenant, r.model.name, { limit: 1000 })).items.map((v) => String(v.version));
    return { name: r.model.name, versions, platform: PLATFORM, inputs: info.inputs.map(metadataTensor), outputs: info.outputs.map(metadataTensor) };
  };

  const ready = async (request: FastifyRequest) => {
    const p = reader(request);
    const r = await resolve(request, p);
    try {
      await inference.interfaceOf(r.ref);
    } catch (e) {
      throw new MaasError("unavailable", `model '${r.model.name}' version ${r.version.version} cannot be loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { name: r.model.name, ready: true };
  };

  const infer = async (request: FastifyRequest, reply: FastifyReply) => {
    const p = caller(request, "predict");
    const r = await resolve(request, p);
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) throw new MaasError("bad_input", "send the inference request as the body (JSON, or a JSON header and binary tensors)");
    const header = request.headers[HEADER_LENGTH];
    let headerLength: number | undefined;
    if (header !== undefined) {
      headerLength = Number(header);
      if (!Number.isSafeInteger(headerLength) || headerLength < 0 || headerLength > body.length) {
        throw new MaasError("bad_input", `Inference-Header-Content-Length must be an integer from 0 to the body's ${body.length} bytes; got '${String(header)}'`);
      }
    }
    const info = await inference.interfaceOf(r.ref);
    const req = decodeInferRequest(body, headerLength, info);
    const serving = ServingSchema.safeParse(r.model.serving ?? {});
    const batching = serving.success ? serving.data.batching : undefined;
    const out = await inference.infer(r.ref, req.inputs, req.outputs.map((o) => o.name), batching);
    const rows = Object.values(req.inputs)[0]?.dims[0];
    if (rows !== undefined) s.metrics.predictions.inc(rows);
    const encoded = encodeInferResponse({
      modelName: r.model.name,
      modelVersion: String(r.version.version),
      ...(req.id !== undefined ? { id: req.id } : {}),
      outputs: req.outputs.map((o) => ({ name: o.name, tensor: out[o.name], binary: o.binary })),
    });
    if (encoded.headerLength !== undefined) void reply.header("inference-header-content-length", String(encoded.headerLength));
    return reply.header("content-type", encoded.contentType).send(encoded.body);
  };

  return async (app: FastifyInstance): Promise<void> => {
    installErrorHandling(app, (_code, message) => ({ error: message }));
    // Infer bodies are bytes: JSON, or a JSON header followed by binary tensors.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: s.config.bodyLimit }, (_request, body, done) => done(null, body));

    app.get("", { schema: { tags: ["v2"] } }, async (request): Promise<ServerMetadata> => {
      reader(request);
      return { name: "openmaas", version: VERSION, extensions: V2_EXTENSIONS };
    });

    app.get("/models", { schema: { tags: ["v2"] } }, async (request) => {
      const p = reader(request);
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await s.store.listModels(p.tenant, { limit: 1000, cursor });
        names.push(...page.items.map((m) => m.name));
        cursor = page.next;
      } while (cursor);
      return { models: names };
    });

    app.get("/models/:name", { schema: { tags: ["v2"], params: ModelParams } }, metadata);
    app.get("/models/:name/versions/:version", { schema: { tags: ["v2"], params: VersionParams } }, metadata);
    app.get("/models/:name/ready", { schema: { tags: ["v2"], params: ModelParams } }, ready);
    app.get("/models/:name/versions/:version/ready", { schema: { tags: ["v2"], params: VersionParams } }, ready);
    app.post("/models/:name/infer", { schema: { tags: ["v2"], params: ModelParams } }, infer);
    app.post("/models/:name/versions/:version/infer", { schema: { tags: ["v2"], params: VersionParams } }, infer);

    // ---- the model repository extension

    app.post("/repository/index", { schema: { tags: ["v2"] } }, async (request) => {
      const p = reader(request);
      const index: { name: string; version: string; state: string; reason: string }[] = [];
      let cursor: string | null = null;
      do {
        const page = await s.store.listModels(p.tenant, { limit: 1000, cursor });
        for (const m of page.items) {
          const r = await models.resolve(p.tenant, m.name, {}).catch(() => undefined);
          const loaded = r ? inference.loaded(r.ref) : false;
          index.push({ name: m.name, version: r ? String(r.version.version) : "", state: loaded ? "READY" : "UNAVAILABLE", reason: loaded ? "" : "not loaded" });
        }
        cursor = page.next;
      } while (cursor);
      return index;
    });

    app.post("/repository/models/:name/load", { schema: { tags: ["v2"], params: ModelParams } }, async (request) => {
      const p = caller(request, "write");
      const r = await resolve(request, p);
      await inference.interfaceOf(r.ref);
      return {};
    });

    app.post("/repository/models/:name/unload", { schema: { tags: ["v2"], params: ModelParams } }, async (request) => {
      const p = caller(request, "write");
      const { name } = request.params as { name: string };
      await models.model(p.tenant, name);
      inference.unload(modelKeyPrefix(p.tenant, name));
      return {};
    });
  };
}
