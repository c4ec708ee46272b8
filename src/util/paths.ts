// Where the built program lives: child processes and worker threads start from compiled files, also
// when the caller runs from TypeScript sources (tests).
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** The package root (the folder with package.json), from src/util or dist/util alike. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The compiled entry point of a module, e.g. distEntry("jobs/train-child.js"). Requires `npm run build`. */
export function distEntry(relative: string): string {
  return join(PACKAGE_ROOT, "dist", relative);
}
