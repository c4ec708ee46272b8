// API keys: created by an admin key of the tenant (or the platform administrator, for any tenant),
// shown once, listed without their secrets, revoked.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { KeyRequestSchema, PageQuerySchema } from "../../api/schemas.js";
import { MaasError } from "../../errors.js";
import type { ApiKeyRecord } from "../../registry/store.js";
import type { Services } from "../app.js";
import { caller } from "../auth.js";
import { generateKey } from "../keys.js";

export function keyOut(k: ApiKeyRecord) {
  return { id: k.id, name: k.name, tenant: k.tenant, scopes: k.scopes, createdAt: k.createdAt, revokedAt: k.revokedAt };
}

export function keyRoutes(s: Services) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get("/whoami", { schema: { tags: ["keys"] } }, async (request) => {
      const p = request.principal!;
      return { keyId: p.keyId, tenant: p.tenant, scopes: [...p.scopes], platformAdmin: p.platformAdmin };
    });

    app.post("/keys", { schema: { tags: ["keys"], body: KeyRequestSchema } }, async (request, reply) => {
      const p = caller(request, "admin");
      const body = request.body as z.infer<typeof KeyRequestSchema>;
      const tenant = body.tenant ?? p.tenant;
      if (tenant !== p.tenant && !p.platformAdmin) throw new MaasError("forbidden", "only the platform administrator creates keys for other tenants");
      await s.store.ensureTenant(tenant);
      const { id, key, digest } = generateKey();
      const record = await s.store.createKey({ id, tenant, name: body.name, scopes: body.scopes, digest, platformAdmin: false });
      return reply.status(201).send({ ...keyOut(record), key });
    });

    app.get("/keys", { schema: { tags: ["keys"], querystring: PageQuerySchema } }, async (request) => {
      const p = caller(request, "admin");
      const page = await s.store.listKeys(p.tenant, request.query as z.infer<typeof PageQuerySchema>);
      return { items: page.items.map(keyOut), next: page.next };
    });

    app.delete("/keys/:id", { schema: { tags: ["keys"], params: z.object({ id: z.string() }) } }, async (request, reply) => {
      const p = caller(request, "admin");
      const { id } = request.params as { id: string };
      // The platform administrator may revoke any tenant's key; others only their own tenant's.
      const record = await s.store.findKey(id);
      const tenant = record && (record.tenant === p.tenant || p.platformAdmin) ? record.tenant : p.tenant;
      if (!(await s.store.revokeKey(tenant, id))) throw new MaasError("not_found", `no key '${id}'`);
      return reply.status(204).send();
    });
  };
}
