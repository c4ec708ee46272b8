// Liveness and readiness, as the Open Inference Protocol names them; no key needed (orchestrators
// probe them). Ready means the server can do its work: not shutting down, the metadata store
// answers a query, the blob store is usable, and a prediction worker is running.
import type { FastifyInstance } from "fastify";
import type { Services } from "../app.js";

/** Why the server is not ready, or undefined when it is. */
async function notReady(s: Services): Promise<string | undefined> {
  if (s.closing.signal.aborted) return "the server is shutting down";
  if (s.pool.status().workers === 0) return "no prediction worker is running";
  try {
    await s.store.hasPlatformAdmin();
  } catch (e) {
    return `the metadata store does not answer: ${e instanceof Error ? e.message : String(e)}`;
  }
  try {
    await s.blobs.has("health/probe");
  } catch (e) {
    return `the blob store is not usable: ${e instanceof Error ? e.message : String(e)}`;
  }
  return undefined;
}

export function healthRoutes(s: Services) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get("/v2/health/live", { schema: { tags: ["health"] } }, async () => ({ live: true }));
    app.get("/v2/health/ready", { schema: { tags: ["health"] } }, async (_request, reply) => {
      const reason = await notReady(s);
      if (reason) return reply.status(503).send({ ready: false, reason });
      return { ready: true };
    });
  };
}
