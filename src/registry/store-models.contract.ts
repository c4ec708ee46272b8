// MetadataStore contract, part 3: models, immutable versions, aliases and `latest`.
import { describe, expect, test } from "vitest";
import { ACME, OTHER, allPages, isIsoTime, newVersion, rejectsWith, type StoreRef } from "./store-contract-fixtures.js";

export function modelsContract(store: StoreRef): void {
  /** Creates `n` versions of a model of ACME; returns their artifact keys. */
  const versions = async (model: string, n: number): Promise<string[]> => {
    const artifacts: string[] = [];
    for (let i = 0; i < n; i++) artifacts.push((await store().createVersion(newVersion(ACME, model))).artifact);
    return artifacts;
  };

  describe("models and versions", () => {
    test("createVersion creates the model, then numbers its versions 1, 2, 3", async () => {
      const v = newVersion(ACME, "wine", { card: { task: "regression", metrics: { mse: 0.1 } } });
      const first = await store().createVersion(v);
      expect(first).toEqual({ ...v, version: 1, createdAt: first.createdAt });
      expect(isIsoTime(first.createdAt)).toBe(true);
      expect((await store().createVersion(newVersion(ACME, "wine"))).version).toBe(2);
      expect((await store().createVersion(newVersion(ACME, "wine"))).version).toBe(3);
      expect((await store().createVersion(newVersion(ACME, "iris"))).version).toBe(1);
      const model = await store().getModel(ACME, "wine");
      expect(model).toEqual({ tenant: ACME, name: "wine", createdAt: first.createdAt, latestVersion: 3, serving: null });
      expect(await store().getVersion(ACME, "wine", 1)).toEqual(first);
      expect(await store().getVersion(ACME, "wine", 4)).toBeUndefined();
      expect(await store().getModel(ACME, "nope")).toBeUndefined();
    });

    test("setServing stores how a model is served, per tenant; null restores the defaults", async () => {
      await versions("wine", 1);
      await store().createVersion(newVersion(OTHER, "wine"));
      const batching = { batching: { maxBatchSize: 32, maxQueueDelayMs: 2 } };
      expect(await store().setServing(ACME, "wine", batching)).toBe(true);
      expect((await store().getModel(ACME, "wine"))!.serving).toEqual(batching);
      expect((await store().getModel(OTHER, "wine"))!.serving).toBeNull();
      expect((await store().listModels(ACME, { limit: 10 })).items[0].serving).toEqual(batching);
      expect(await store().setServing(ACME, "nope", batching)).toBe(false);
      expect(await store().setServing(ACME, "wine", null)).toBe(true);
      expect((await store().getModel(ACME, "wine"))!.serving).toBeNull();
    });

    test("two tenants can each have a model of the same name", async () => {
      await versions("wine", 2);
      const theirs = await store().createVersion(newVersion(OTHER, "wine"));
      expect(theirs.version).toBe(1);
      expect((await store().getModel(OTHER, "wine"))!.latestVersion).toBe(1);
      expect((await store().getModel(ACME, "wine"))!.latestVersion).toBe(2);
    });

    test("listModels and listVersions page in creation order", async () => {
      for (const name of ["m1", "m2", "m3", "m4", "m5"]) await versions(name, 1);
      await store().createVersion(newVersion(OTHER, "theirs"));
      const modelPages = await allPages((p) => store().listModels(ACME, p), 2);
      expect(modelPages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(modelPages.flat().map((m) => m.name)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
      await versions("m1", 5);
      const versionPages = await allPages((p) => store().listVersions(ACME, "m1", p), 2);
      expect(versionPages.flat().map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(versionPages.map((p) => p.length)).toEqual([2, 2, 2]);
      expect(await store().listVersions(ACME, "nope", { limit: 5 })).toEqual({ items: [], next: null });
    });

    test("deleteVersion refuses a version an alias points at", async () => {
      await versions("wine", 2);
      await store().setAlias(ACME, "wine", "production", 1);
      expect(await store().deleteVersion(ACME, "wine", 1)).toBe("aliased");
      expect(await store().getVersion(ACME, "wine", 1)).toBeDefined();
      await store().deleteAlias(ACME, "wine", "production");
      expect(await store().deleteVersion(ACME, "wine", 1)).toBe("deleted");
      expect(await store().getVersion(ACME, "wine", 1)).toBeUndefined();
      expect(await store().deleteVersion(ACME, "wine", 1)).toBe("missing");
      expect(await store().deleteVersion(ACME, "nope", 1)).toBe("missing");
    });

    test("deleting the newest version moves latest back; numbers are never reused", async () => {
      await versions("wine", 3);
      expect(await store().deleteVersion(ACME, "wine", 3)).toBe("deleted");
      expect(await store().resolveAlias(ACME, "wine", "latest")).toBe(2);
      expect((await store().getModel(ACME, "wine"))!.latestVersion).toBe(2);
      expect((await store().createVersion(newVersion(ACME, "wine"))).version).toBe(4);
      expect(await store().resolveAlias(ACME, "wine", "latest")).toBe(4);
    });

    test("deleteModel removes its versions and aliases and returns their artifacts", async () => {
      const artifacts = await versions("wine", 3);
      await store().setAlias(ACME, "wine", "production", 2);
      await versions("iris", 1);
      expect(await store().deleteModel(ACME, "wine")).toEqual(artifacts);
      expect(await store().getModel(ACME, "wine")).toBeUndefined();
      expect(await store().getVersion(ACME, "wine", 2)).toBeUndefined();
      expect(await store().listAliases(ACME, "wine")).toEqual([]);
      expect(await store().resolveAlias(ACME, "wine", "production")).toBeUndefined();
      expect(await store().resolveAlias(ACME, "wine", "latest")).toBeUndefined();
      expect((await store().listModels(ACME, { limit: 10 })).items.map((m) => m.name)).toEqual(["iris"]);
      expect(await store().deleteModel(ACME, "wine")).toBeUndefined();
      // The name is free again: a new model starts at version 1.
      expect((await store().createVersion(newVersion(ACME, "wine"))).version).toBe(1);
    });
  });

  describe("aliases", () => {
    test("latest resolves to the newest version and cannot be set", async () => {
      expect(await store().resolveAlias(ACME, "wine", "latest")).toBeUndefined();
      await versions("wine", 2);
      expect(await store().resolveAlias(ACME, "wine", "latest")).toBe(2);
      await rejectsWith(store().setAlias(ACME, "wine", "latest", 1), "bad_input");
      expect(await store().listAliases(ACME, "wine")).toEqual([]);
      expect(await store().deleteAlias(ACME, "wine", "latest")).toBe(false);
      expect(await store().resolveAlias(ACME, "wine", "latest")).toBe(2);
    });

    test("setAlias refuses a version that does not exist", async () => {
      await versions("wine", 1);
      await rejectsWith(store().setAlias(ACME, "wine", "production", 2), "not_found");
      await rejectsWith(store().setAlias(ACME, "nope", "production", 1), "not_found");
      await store().createVersion(newVersion(OTHER, "theirs"));
      await rejectsWith(store().setAlias(ACME, "theirs", "production", 1), "not_found");
      expect(await store().listAliases(OTHER, "theirs")).toEqual([]);
    });

    test("setAlias points and re-points an alias; deleteAlias removes it", async () => {
      await versions("wine", 3);
      expect(await store().setAlias(ACME, "wine", "production", 1)).toEqual({ tenant: ACME, model: "wine", alias: "production", version: 1 });
      await store().setAlias(ACME, "wine", "canary", 3);
      expect(await store().resolveAlias(ACME, "wine", "production")).toBe(1);
      await store().setAlias(ACME, "wine", "production", 2);
      expect(await store().resolveAlias(ACME, "wine", "production")).toBe(2);
      expect(await store().listAliases(ACME, "wine")).toEqual([
        { tenant: ACME, model: "wine", alias: "canary", version: 3 },
        { tenant: ACME, model: "wine", alias: "production", version: 2 },
      ]);
      expect(await store().deleteVersion(ACME, "wine", 1)).toBe("deleted");
      expect(await store().deleteAlias(ACME, "wine", "production")).toBe(true);
      expect(await store().deleteAlias(ACME, "wine", "production")).toBe(false);
      expect(await store().resolveAlias(ACME, "wine", "production")).toBeUndefined();
      expect(await store().resolveAlias(ACME, "wine", "nope")).toBeUndefined();
    });
  });
}
