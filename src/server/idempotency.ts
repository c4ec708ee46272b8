// `Idempotency-Key` on POST routes that create work: the first response is stored per tenant, key and
// route, and a retry with the same key gets it again instead of creating a second resource.
import type { FastifyReply, FastifyRequest } from "fastify";
import { MaasError } from "../errors.js";
import type { Services } from "./app.js";

export async function idempotent(
  s: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  route: string,
  work: () => Promise<{ status: number; body: unknown }>,
): Promise<unknown> {
  const key = request.headers["idempotency-key"];
  const tenant = request.principal!.tenant;
  if (typeof key === "string") {
    if (key.length === 0 || key.length > 200) throw new MaasError("bad_input", "Idempotency-Key must be 1-200 characters");
    const seen = await s.store.getIdempotent(tenant, key, route);
    if (seen) return reply.status(seen.status).header("idempotent-replayed", "true").send(seen.body);
  }
  const result = await work();
  if (typeof key === "string") await s.store.putIdempotent(tenant, key, route, result);
  return reply.status(result.status).send(result.body);
}
