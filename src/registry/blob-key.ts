// Blob keys: relative, slash-separated paths ("models/acme/wine/3.onnx"). One rule for every blob
// store, so a key valid on the filesystem is valid on S3 and cannot escape the store's root.
import { MaasError } from "../errors.js";

/**
 * Returns `key` if it is a valid blob key, else throws "bad_input": no empty, `.` or `..` segment,
 * no leading slash, no backslash, no NUL.
 * @example checkBlobKey("datasets/acme/3f2a.csv")
 */
export function checkBlobKey(key: string): string {
  const bad = (why: string): never => {
    throw new MaasError("bad_input", `invalid blob key '${key}': ${why}`);
  };
  if (typeof key !== "string" || key === "") bad("empty");
  if (key.includes("\\")) bad("backslash");
  if (key.includes("\0")) bad("NUL character");
  if (key.startsWith("/")) bad("absolute path");
  for (const segment of key.split("/")) {
    if (segment === "..") bad("'..' segment");
    if (segment === "." || segment === "") bad("empty or '.' segment");
  }
  return key;
}
