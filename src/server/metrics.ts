// Platform-wide Prometheus metrics at GET /metrics, for the platform administrator only: they span
// every tenant. Labels name routes, never models or tenants.
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { MaasError } from "../errors.js";
import type { JobStatus } from "../registry/store.js";

/** What the gauges read when Prometheus scrapes. */
export interface MetricSources {
  pool(): { workers: number; busy: number; queued: number; sessions: number; bytes: number };
  /** Requests waiting in dynamic batchers. */
  batchQueue(): number;
  /** Small models' sessions on the event loop. */
  inlineModels(): number;
  jobs(): Promise<Record<JobStatus, number>>;
}

export class Metrics {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<"method" | "route" | "status">;
  readonly predictions: Counter;
  readonly batchRows: Histogram;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "maas_" });
    this.requestDuration = new Histogram({
      name: "maas_http_request_duration_seconds",
      help: "HTTP request duration by route and status",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.predictions = new Counter({ name: "maas_predictions_total", help: "Rows predicted (model API and v2 infer)", registers });
    this.batchRows = new Histogram({
      name: "maas_batch_rows",
      help: "Rows per batch the dynamic batchers ran",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge("maas_prediction_queue_depth", "Requests waiting for a prediction worker", () => sources.pool().queued);
    gauge("maas_batch_queue_depth", "Requests waiting in dynamic batch queues", () => sources.batchQueue());
    gauge("maas_prediction_workers", "Prediction worker threads running", () => sources.pool().workers);
    gauge("maas_prediction_workers_busy", "Prediction workers running a request", () => sources.pool().busy);
    gauge("maas_loaded_models", "Model sessions loaded over all prediction workers", () => sources.pool().sessions);
    gauge("maas_event_loop_models", "Small models' sessions run on the event loop instead of a worker", () => sources.inlineModels());
    gauge("maas_loaded_model_bytes", "Memory the loaded model sessions cost (measured at load and first run)", () => sources.pool().bytes);
    new Gauge({
      name: "maas_jobs",
      help: "Training jobs by status",
      labelNames: ["status"] as const,
      registers,
      async collect() {
        for (const [status, n] of Object.entries(await sources.jobs())) this.labels(status).set(n);
      },
    });
  }
}

export function metricsRoutes(metrics: Metrics) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook("onResponse", async (request, reply) => {
      const route = request.routeOptions.url ?? "unmatched";
      metrics.requestDuration.labels(request.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
      if (route.endsWith("/predict") && reply.statusCode === 200) {
        const n = (request.body as { instances?: unknown[] } | undefined)?.instances?.length ?? 0;
        metrics.predictions.inc(n);
      }
    });
    app.get("/metrics", { schema: { tags: ["health"] } }, async (request, reply) => {
      if (!request.principal?.platformAdmin) throw new MaasError("forbidden", "platform-wide metrics are for the platform administrator's key");
      return reply.header("content-type", metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  };
}
