import { describe, expect, test } from "vitest";
import { AffinityRouter } from "./affinity-router.js";

const all = () => true;
const only =
  (...ws: number[]) =>
  (w: number) =>
    ws.includes(w);

describe("AffinityRouter", () => {
  test("sends a model back to the worker that has it while that worker is idle", () => {
    const r = new AffinityRouter(4, 100);
    const first = r.pick("iris", all)!;
    for (let i = 0; i < 5; i++) expect(r.pick("iris", all)).toBe(first);
  });

  test("spreads models over workers by key", () => {
    const r = new AffinityRouter(4, 100);
    const used = new Set(Array.from({ length: 40 }, (_v, i) => r.pick(`model-${i}`, all)));
    expect(used.size).toBe(4);
  });

  test("spills to an idle worker when the model's worker is busy, then uses both", () => {
    const r = new AffinityRouter(3, 100);
    const home = r.pick("iris", all)!;
    const spill = r.pick("iris", (w) => w !== home)!;
    expect(spill).not.toBe(home);
    expect(r.pick("iris", only(spill))).toBe(spill);
    expect(r.pick("iris", only(home))).toBe(home);
    const third = [0, 1, 2].find((w) => w !== home && w !== spill)!;
    expect(r.pick("iris", only(home, spill, third))).toBe(home); // a worker that has it beats a cold one
  });

  test("answers undefined when no worker is idle", () => {
    const r = new AffinityRouter(2, 100);
    expect(r.pick("iris", () => false)).toBeUndefined();
  });

  test("a forgotten worker no longer counts as having the model", () => {
    const r = new AffinityRouter(2, 100);
    const home = r.pick("iris", all)!;
    const other = 1 - home;
    r.pick("iris", only(other)); // now on both
    r.forget(home);
    // Both idle: the one that still has the model wins, even if the hash prefers the forgotten one.
    expect(r.pick("iris", all)).toBe(other);
  });

  test("remembers at most maxKeys models, forgetting the least recently routed", () => {
    const hashed = new AffinityRouter(8, 2).pick("a", all)!; // where "a" goes when routed afresh
    const r = new AffinityRouter(8, 2);
    const home = r.pick("a", (w) => w !== hashed)!;
    r.pick("b", all);
    expect(r.pick("a", all)).toBe(home); // remembered; "a" is now the most recent
    r.pick("c", all); // forgets "b"
    expect(r.pick("a", all)).toBe(home);
    r.pick("d", all);
    r.pick("e", all); // forgets "a"
    expect(r.pick("a", all)).toBe(hashed);
  });
});
