import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    // ONNX Runtime sessions use native threads; forks keep each test file's runtime separate.
    pool: "forks",
  },
});
