// Platform-wide Prometheus metrics at GET /metrics, for the platform administrator only (they span
// every tenant).
import type { FastifyInstance } from "fastify";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { MaasError } from "../errors.js";

export function metricsRoutes() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "maas_" });
  const duration = new Histogram({
    name: "maas_http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const predictions = new Counter({ name: "maas_predictions_total", help: "Rows predicted", registers: [registry] });

  return async (app: FastifyInstance): Promise<void> => {
    app.addHook("onResponse", async (request, reply) => {
      const route = request.routeOptions.url ?? "unmatched";
      duration.labels(request.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
      if (route.endsWith("/predict") && reply.statusCode === 200) {
        const n = (request.body as { instances?: unknown[] } | undefined)?.instances?.length ?? 0;
        predictions.inc(n);
      }
    });
    app.get("/metrics", { schema: { tags: ["health"] } }, async (request, reply) => {
      if (!request.principal?.platformAdmin) throw new MaasError("forbidden", "platform-wide metrics are for the platform administrator's key");
      return reply.header("content-type", registry.contentType).send(await registry.metrics());
    });
  };
}
