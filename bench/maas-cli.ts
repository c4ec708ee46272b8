// The built `maas` command (dist/cli/main.js, what `npm run build` makes and the package's bin points
// to), run as a user runs it: one process per command.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export const MAAS = "dist/cli/main.js";

/** Newest modification time of the .ts files under a folder. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith(".ts")) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Fails without a build; warns when src/ changed after it (the numbers would be of older code). */
export function checkBuild(): void {
  if (!existsSync(MAAS)) throw new Error(`${MAAS} is missing: run \`npm run build\` first`);
  if (newest("src") > statSync(MAAS).mtimeMs) console.warn(`warning: src/ is newer than ${MAAS}; run \`npm run build\` to measure the current code`);
}

/** Runs `maas ...args --json` and returns the JSON of its last stdout line. */
export function maasJson<T>(args: string[], env: NodeJS.ProcessEnv = process.env): T {
  const out = execFileSync(process.execPath, [MAAS, ...args, "--json"], { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}
