// `maas serve`: the platform with embedded defaults, until SIGINT or SIGTERM.
import { loadConfig } from "../config.js";
import { MaasError } from "../errors.js";
import { startPlatform } from "../server/platform.js";

export async function serveCommand(f: { port?: string; home?: string; host?: string }): Promise<void> {
  const port = f.port === undefined ? undefined : Number(f.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new MaasError("bad_input", `--port takes a port number; got '${f.port}'`);
  const config = loadConfig({ port, home: f.home, host: f.host });
  const platform = await startPlatform(config);
  process.stdout.write(`OpenMaaS serving at ${platform.url} (API docs: ${platform.url}/docs), data in ${config.home}\n`);
  if (platform.createdAdminKey) {
    process.stdout.write(`\nThe platform administrator's API key (shown once; keep it safe):\n\n  ${platform.createdAdminKey}\n\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stdout.write("shutting down...\n");
      platform.close().then(resolve, (e) => {
        process.stderr.write(`maas: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
        resolve();
      });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
