// The dashboard (src/web): a single-page app bundled into dist/web, which `maas serve` serves at `/`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: "src/web",
  base: "/",
  // Every asset is bundled: the dashboard works offline, with no CDN.
  build: { outDir: "../../dist/web", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
  // The client's file reading (node:fs) has no place in a browser: a stand-in replaces it.
  resolve: { alias: [{ find: /^\.\/files\.js$/, replacement: fileURLToPath(new URL("src/web/no-files.ts", import.meta.url)) }] },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
