// Every error leaves with the status of its code, as {error: {code, message, details?}} (the
// Open Inference Protocol's routes give their own form: {error: message}); a user's mistake is
// never a 500, and an internal error never shows its stack.
import type { FastifyError, FastifyInstance } from "fastify";
import { ERROR_STATUS, MaasError, isMaasError } from "../errors.js";

interface Body {
  error: { code: string; message: string; details?: unknown };
}

/** How a scope of routes words an error. */
export type ErrorBody = (code: string, message: string, details?: unknown) => unknown;

const projectBody: ErrorBody = (code, message, details): Body => ({ error: details === undefined ? { code, message } : { code, message, details } });

/** Maps Fastify's own errors (validation, parsing, limits) onto the project's codes. */
function fromFastify(e: FastifyError): MaasError | undefined {
  if (e.validation) {
    const details = e.validation.map((v) => ({ path: `${e.validationContext ?? ""}${v.instancePath}`, message: v.message }));
    return new MaasError("bad_input", `invalid request: ${details.map((d) => `${d.path || "body"}: ${d.message}`).join("; ")}`, details);
  }
  switch (e.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new MaasError("bad_input", `the body is not valid JSON: ${e.message}`);
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new MaasError("too_large", "the request body is larger than the server accepts");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new MaasError("bad_input", `unsupported Content-Type: ${e.message}`);
    case "FST_ERR_RATE_LIMIT_EXCEEDED":
      return new MaasError("rate_limited", e.message);
  }
  if (e.statusCode === 429) return new MaasError("rate_limited", e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new MaasError("bad_input", e.message);
  return undefined;
}

export function installErrorHandling(app: FastifyInstance, body: ErrorBody = projectBody): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const e = isMaasError(err) ? err : fromFastify(err);
    if (e && e.code !== "internal") {
      const retry = (e.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (typeof retry === "number") void reply.header("retry-after", String(retry));
      void reply.status(ERROR_STATUS[e.code]).send(body(e.code, e.message, e.details));
      return;
    }
    request.log.error({ err }, "internal error");
    void reply.status(500).send(body("internal", "internal error; the server log has the details"));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(body("not_found", `no route ${request.method} ${request.url.split("?")[0]}`));
  });
}
