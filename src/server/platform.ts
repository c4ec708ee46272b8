// The whole platform in one process: the embedded stores, the job queue, the prediction pool and the
// HTTP server, started and stopped in order.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import { MaasError } from "../errors.js";
import { LocalQueue } from "../jobs/local-queue.js";
import { FsBlobStore } from "../registry/fs-blob-store.js";
import { SqliteStore } from "../registry/sqlite-store.js";
import { DEFAULT_INFERENCE_OPTIONS, Inference } from "../serving/inference.js";
import { Generator } from "../serving/generator.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import { PredictionPool } from "../serving/prediction-pool.js";
import type { Services } from "./app.js";
import { buildApp } from "./app.js";
import { DEFAULT_TENANT } from "./auth.js";
import { generateKey } from "./keys.js";
import { Metrics } from "./metrics.js";
import { ModelResolver } from "./model-resolver.js";

export interface Platform {
  app: FastifyInstance;
  url: string;
  /** The platform administrator's key, when this start created it (shown once). */
  createdAdminKey?: string;
  /** Graceful shutdown: readiness off, streams closed, requests drained, jobs re-queued, stores closed. */
  close(): Promise<void>;
}

export async function startPlatform(config: Config): Promise<Platform> {
  if (config.databaseUrl) throw new MaasError("bad_input", "MAAS_DATABASE_URL (PostgreSQL) is not supported yet; unset it to use the embedded SQLite store");
  await mkdir(config.home, { recursive: true });
  const store = await SqliteStore.open(join(config.home, "maas.db"));
  const blobs = new FsBlobStore(join(config.home, "blobs"));
  const queue = new LocalQueue({ store, blobs, concurrency: config.jobConcurrency, workDir: join(config.home, "work") });
  const pool = await PredictionPool.start({
    workers: config.predictWorkers,
    threadsPerWorker: Math.max(1, config.threads),
    ...(config.modelMemoryMiB ? { memoryBudget: config.modelMemoryMiB * 2 ** 20 } : {}),
    maxQueue: config.predictQueue,
    queueTimeoutMs: config.predictTimeoutMs,
  });
  const metrics: Metrics = new Metrics({ pool: () => pool.status(), batchQueue: () => inference.queued, inlineModels: () => inference.inlineSessions, jobs: () => store.countJobs() });
  const inference = new Inference(pool, { batch: (rows) => metrics.batchRows.observe(rows) }, { ...DEFAULT_INFERENCE_OPTIONS, inlineMicros: config.inlineMicros });
  const models = new ModelResolver(store, blobs);
  const generator = new Generator(defaultRuntime(), 4, Math.max(1, config.threads));
  const services: Services = { config, store, blobs, queue, pool, inference, generator, models, metrics, closing: new AbortController() };

  await store.ensureTenant(DEFAULT_TENANT);
  let createdAdminKey: string | undefined;
  if (!config.adminKey && !(await store.hasPlatformAdmin())) {
    const k = generateKey();
    await store.createKey({ id: k.id, tenant: DEFAULT_TENANT, name: "platform administrator", scopes: ["admin"], digest: k.digest, platformAdmin: true });
    createdAdminKey = k.key;
  }

  const app = await buildApp(services);
  await queue.start();
  const url = await app.listen({ port: config.port, host: config.host });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      services.closing.abort();
      await app.close();
      await queue.stop();
      await inference.close();
      await generator.close();
      await pool.close();
      await store.close();
    })());
  return { app, url, createdAdminKey, close };
}
