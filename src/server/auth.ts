// Who is calling: the bearer key's tenant and scopes, checked before any route runs.
import type { FastifyRequest } from "fastify";
import { MaasError } from "../errors.js";
import type { MetadataStore, Scope } from "../registry/store.js";
import { digestOf, parseKey, sameDigest } from "./keys.js";

export interface Principal {
  keyId: string;
  tenant: string;
  scopes: readonly Scope[];
  /** The platform administrator: manages every tenant's keys, reads platform-wide metrics. */
  platformAdmin: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The tenant every platform starts with, owned by the platform administrator. */
export const DEFAULT_TENANT = "default";

/** Resolves `Authorization: Bearer <key>` to a principal; `adminKey` is the bootstrap key from the environment. */
export function authenticator(store: MetadataStore, adminKey: string | undefined) {
  const adminDigest = adminKey ? digestOf(adminKey) : undefined;
  return async (request: FastifyRequest): Promise<Principal> => {
    const header = request.headers.authorization;
    const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
    if (!match) throw new MaasError("unauthorized", "missing API key: send 'Authorization: Bearer <key>'");
    const presented = match[1];
    if (adminDigest && sameDigest(digestOf(presented), adminDigest)) {
      return { keyId: "bootstrap", tenant: DEFAULT_TENANT, scopes: ["admin"], platformAdmin: true };
    }
    const parsed = parseKey(presented);
    const record = parsed ? await store.findKey(parsed.id) : undefined;
    if (!parsed || !record || !sameDigest(digestOf(parsed.secret), record.digest)) throw new MaasError("unauthorized", "unknown API key");
    if (record.revokedAt) throw new MaasError("unauthorized", "this API key was revoked");
    return { keyId: record.id, tenant: record.tenant, scopes: record.scopes, platformAdmin: record.platformAdmin };
  };
}

/** Whether `scopes` grant `needed`: admin grants everything, write grants read. */
export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes("admin") || scopes.includes(needed) || (needed === "read" && scopes.includes("write"));
}

/** The caller, who must hold `scope`. */
export function caller(request: FastifyRequest, scope: Scope): Principal {
  const p = request.principal;
  if (!p) throw new MaasError("unauthorized", "missing API key: send 'Authorization: Bearer <key>'");
  if (!grants(p.scopes, scope)) throw new MaasError("forbidden", `this key lacks the '${scope}' scope (it has: ${p.scopes.join(", ")})`);
  return p;
}
