// Liveness and readiness, as the Open Inference Protocol names them; no key needed (orchestrators probe them).
import type { FastifyInstance } from "fastify";
import type { Services } from "../app.js";

export function healthRoutes(s: Services) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get("/v2/health/live", { schema: { tags: ["health"] } }, async () => ({ live: true }));
    app.get("/v2/health/ready", { schema: { tags: ["health"] } }, async (_request, reply) => {
      if (s.closing.signal.aborted) return reply.status(503).send({ ready: false });
      return { ready: true };
    });
  };
}
