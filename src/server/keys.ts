// API keys: "maas_<id>_<secret>". The id finds the record; the secret is checked against its SHA-256
// digest (a fast hash is right here: the secret is 256 random bits, not a password, and a slow hash
// would cost every request).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const PREFIX = "maas_";
const ID_LENGTH = 12;

export interface NewKey {
  id: string;
  /** The whole key, shown to its owner once. */
  key: string;
  digest: string;
}

export const digestOf = (secret: string): string => createHash("sha256").update(secret).digest("hex");

export function generateKey(): NewKey {
  const id = randomBytes(ID_LENGTH / 2).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return { id, key: `${PREFIX}${id}_${secret}`, digest: digestOf(secret) };
}

/** Splits a presented key into id and secret; undefined when it is not one of ours. */
export function parseKey(key: string): { id: string; secret: string } | undefined {
  if (!key.startsWith(PREFIX) || key[PREFIX.length + ID_LENGTH] !== "_") return undefined;
  const id = key.slice(PREFIX.length, PREFIX.length + ID_LENGTH);
  const secret = key.slice(PREFIX.length + ID_LENGTH + 1);
  if (!/^[0-9a-f]+$/.test(id) || secret.length < 20) return undefined;
  return { id, secret };
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}
