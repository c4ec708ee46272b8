// Lint rules, including the layer rule: a layer imports only the layers below it
// (runtime < engine < models/data/text < registry < serving/jobs < server < cli/web).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Folders each layer must not import from (everything above it). */
const above = {
  runtime: ["engine", "models", "data", "text", "registry", "serving", "jobs", "server", "cli", "web"],
  engine: ["models", "data", "text", "registry", "serving", "jobs", "server", "cli", "web"],
  models: ["registry", "serving", "jobs", "server", "cli", "web"],
  data: ["models", "text", "registry", "serving", "jobs", "server", "cli", "web"],
  text: ["models", "data", "registry", "serving", "jobs", "server", "cli", "web"],
  registry: ["serving", "jobs", "server", "cli", "web"],
  serving: ["jobs", "server", "cli", "web"],
  jobs: ["serving", "server", "cli", "web"],
  server: ["cli", "web", "client"],
  // the HTTP API's schemas, shared by server and client
  api: ["registry", "serving", "jobs", "server", "cli", "web", "client"],
  client: ["registry", "serving", "jobs", "server", "cli", "web", "runtime", "engine"],
  // leaf utilities: files, plots
  util: ["engine", "models", "data", "text", "registry", "serving", "jobs", "server", "cli", "web"],
  plot: ["engine", "models", "data", "text", "registry", "serving", "jobs", "server", "cli", "web"],
};

const layerRules = Object.entries(above).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          ...banned.map((b) => ({ group: [`../${b}/*`, `../../${b}/*`], message: `${layer}/ must not import ${b}/ (a layer above it)` })),
          ...(layer === "runtime" ? [] : [{ group: ["onnxruntime-node"], message: "only src/runtime/ imports onnxruntime-node" }]),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "bench/.out/", "examples/.out/", ".ci/out/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
  ...layerRules,
  {
    // engine/ runs in browsers too: no Node-only APIs.
    files: ["src/engine/**/*.ts"],
    ignores: ["src/engine/**/*.test.ts", "src/engine/**/*-fixtures.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*", "fs", "path", "crypto", "os", "child_process", "worker_threads"], message: "engine/ uses no Node-only API" },
            { group: ["onnxruntime-node"], message: "only src/runtime/ imports onnxruntime-node" },
            { group: ["../models/*", "../data/*", "../text/*", "../registry/*", "../serving/*", "../jobs/*", "../server/*", "../cli/*", "../web/*"], message: "engine/ must not import a layer above it" },
          ],
        },
      ],
    },
  },
);
