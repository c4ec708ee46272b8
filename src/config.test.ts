import { expect, test } from "vitest";
import { loadConfig } from "./config.js";

test("an override left undefined (a flag not given) keeps the environment's value", () => {
  const env = { PORT: "8093", MAAS_HOME: "/tmp/maas-home", MAAS_THREADS: "1" };
  const c = loadConfig({ port: undefined, home: undefined, host: undefined }, env);
  expect([c.port, c.home, c.threads]).toEqual([8093, "/tmp/maas-home", 1]);
  expect(loadConfig({ port: 9000 }, env).port).toBe(9000);
});
