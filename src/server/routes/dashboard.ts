// The dashboard: the single-page app built into dist/web (`npm run build`), served at `/` without a
// key (the app signs in with one). Its pages may talk to this origin only.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** dist/web of this package, from src/server/routes or dist/server/routes alike. */
export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../dist/web");

/** Paths of the dashboard's files, which answer without a key. */
export const DASHBOARD_PATHS = [/^\/$/, /^\/index\.html$/, /^\/assets\/[^/]+$/, /^\/samples\/[^/]+$/, /^\/favicon\.svg$/];

/** Scripts, styles, images and API calls from this origin only; no frames, no plugins. */
const POLICY = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function dashboardRoutes(root = WEB_ROOT) {
  return async (app: FastifyInstance): Promise<void> => {
    if (!existsSync(resolve(root, "index.html"))) {
      app.get("/", { schema: { hide: true } }, async (_request, reply) =>
        reply.type("text/plain").send("The dashboard is not built: run `npm run build`. The API is under /api/v1 (see /docs).\n"),
      );
      return;
    }
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      index: "index.html",
      setHeaders: (reply, path) => {
        reply.header("content-security-policy", POLICY);
        reply.header("x-content-type-options", "nosniff");
        // Hashed bundle names never change their content; index.html must be revalidated.
        reply.header("cache-control", /[\\/]assets[\\/]/.test(path) ? "public, max-age=31536000, immutable" : "no-cache");
      },
    });
  };
}
