// The HTTP application: plugins, authentication, and the routes of every API.
import multipart from "@fastify/multipart";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { LogController } from "fastify";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Config } from "../config.js";
import type { JobQueue } from "../jobs/queue.js";
import type { BlobStore } from "../registry/blob-store.js";
import type { MetadataStore } from "../registry/store.js";
import type { Inference } from "../serving/inference.js";
import type { Generator } from "../serving/generator.js";
import type { PredictionPool } from "../serving/prediction-pool.js";
import { VERSION } from "../version.js";
import { authenticator } from "./auth.js";
import { installErrorHandling } from "./errors.js";
import { DASHBOARD_PATHS, dashboardRoutes } from "./routes/dashboard.js";
import { datasetRoutes } from "./routes/datasets.js";
import { healthRoutes } from "./routes/health.js";
import { jobRoutes } from "./routes/jobs.js";
import type { Metrics } from "./metrics.js";
import { metricsRoutes } from "./metrics.js";
import type { ModelResolver } from "./model-resolver.js";
import { keyRoutes } from "./routes/keys.js";
import { modelRoutes } from "./routes/models.js";
import { recommendRoutes } from "./routes/recommend.js";
import { openaiRoutes } from "./routes/openai.js";
import { v2Routes } from "./routes/v2.js";

/** What the routes work with. */
export interface Services {
  config: Config;
  store: MetadataStore;
  blobs: BlobStore;
  queue: JobQueue;
  pool: PredictionPool;
  /** Raw-tensor inference over the pool, with dynamic batching. */
  inference: Inference;
  /** Text generation by language models (the OpenAI-compatible API). */
  generator: Generator;
  /** Which version a request means. */
  models: ModelResolver;
  metrics: Metrics;
  /** Set while shutting down: readiness turns false, event streams close. */
  closing: AbortController;
}

/** Paths that answer without a key. */
const PUBLIC = [/^\/v2\/health\/(live|ready)$/, /^\/openapi\.json$/, /^\/docs(\/|$)/, ...DASHBOARD_PATHS];

export async function buildApp(services: Services): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    logger: config.logLevel === "silent" ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // Request ids in logs and in X-Request-Id, for matching a client's report with the log.
    requestIdHeader: "x-request-id",
    // Per-request lines only when debugging: at info level they would drown everything else.
    logController: new LogController({ disableRequestLogging: config.logLevel !== "debug" && config.logLevel !== "trace" }),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      info: { title: "OpenMaaS", description: "Train models on your data and serve them over standard protocols.", version: VERSION },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  const authenticate = authenticator(services.store, config.adminKey);
  app.addHook("onRequest", async (request) => {
    const path = request.url.split("?")[0];
    if (PUBLIC.some((re) => re.test(path))) return;
    request.principal = await authenticate(request);
  });
  await app.register(rateLimit, {
    max: config.rateLimit,
    timeWindow: "1 minute",
    keyGenerator: (request) => request.principal?.keyId ?? request.ip,
    allowList: (request) => PUBLIC.some((re) => re.test(request.url.split("?")[0])),
  });
  await app.register(multipart, { limits: { fileSize: config.uploadLimit, files: 1 } });

  // Not encapsulated (fastify-plugin style): its response hook must see every route.
  await metricsRoutes(services.metrics)(app);
  await app.register(healthRoutes(services));
  await app.register(datasetRoutes(services), { prefix: "/api/v1" });
  await app.register(jobRoutes(services), { prefix: "/api/v1" });
  await app.register(modelRoutes(services), { prefix: "/api/v1" });
  await app.register(recommendRoutes(services), { prefix: "/api/v1" });
  await app.register(keyRoutes(services), { prefix: "/api/v1" });
  await app.register(v2Routes(services), { prefix: "/v2" });
  await app.register(openaiRoutes(services), { prefix: "/v1" });
  await app.register(dashboardRoutes());
  return app;
}
