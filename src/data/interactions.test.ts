import { describe, expect, it, onTestFinished } from "vitest";
import { MaasError } from "../errors.js";
import { parseCsv } from "./csv.js";
import { interactionsFromArrays, readInteractions } from "./interactions.js";
import type { Interactions } from "./interactions.js";
import { tableFromRows } from "./table.js";

const COLUMNS = { user: "u", item: "i", rating: "r" };

function read(rows: (string | null)[][], options = {}, columns: { user: string; item: string; rating?: string; timestamp?: string } = COLUMNS): Interactions {
  const names = ["u", "i", "r", "t"].slice(0, rows[0]?.length ?? 3);
  return readInteractions(tableFromRows("r.csv", names, rows), columns, options);
}

/** The interactions as readable tuples: [user id, item id, rating, row]. */
function tuples(x: Interactions): [string, string, number | undefined, number][] {
  return Array.from(x.user, (u, j) => [x.users[u], x.items[x.item[j]], x.rating?.[j], x.row[j]]);
}

describe("readInteractions: ids", () => {
  it("interns ids to dense indices in order of first appearance", () => {
    const x = read([["bob", "x", "3"], ["ann", "y", "4"], ["bob", "y", "5"], ["cid", "x", "1"]]);
    expect(x.source).toBe("r.csv");
    expect(x.users).toEqual(["bob", "ann", "cid"]);
    expect(x.items).toEqual(["x", "y"]);
    expect(Array.from(x.user)).toEqual([0, 1, 0, 2]);
    expect(Array.from(x.item)).toEqual([0, 1, 1, 0]);
    expect(Array.from(x.rating!)).toEqual([3, 4, 5, 1]);
    expect(Array.from(x.row)).toEqual([1, 2, 3, 4]);
    expect(x.time).toBeUndefined();
  });

  it("keeps ids exactly, with spaces, unicode and commas, and tells apart ids that differ only in spacing", () => {
    const x = read([["ann smith", "a,b", "1"], [" ann smith ", "Zoë", "2"], ["李", "🎵 song", "3"], ["ann smith", "a, b", "4"]]);
    expect(x.users).toEqual(["ann smith", " ann smith ", "李"]);
    expect(x.items).toEqual(["a,b", "Zoë", "🎵 song", "a, b"]);
    expect(Array.from(x.user)).toEqual([0, 1, 2, 0]);
  });

  it("reads a quoted CSV cell with a comma as one id", () => {
    const x = readInteractions(parseCsv('user,item\n"smith, ann",x\nbob,"y, z"\n', "q.csv"), { user: "user", item: "item" });
    expect(x.users).toEqual(["smith, ann", "bob"]);
    expect(x.items).toEqual(["x", "y, z"]);
    expect(x.rating).toBeUndefined();
  });

  it("rejects an empty or missing id, naming the row and column", () => {
    expect(() => read([["a", "x", "1"], ["", "y", "2"]])).toThrow("r.csv, row 2, column 'u': the id is empty");
    expect(() => read([["a", "x", "1"], ["b", null, "2"]])).toThrow("r.csv, row 2, column 'i': the id is empty");
  });
});

describe("readInteractions: table errors", () => {
  it("names every missing column and lists the table's columns", () => {
    const table = tableFromRows("r.csv", ["user", "item", "stars"], [["a", "x", "1"]]);
    const call = (): Interactions => readInteractions(table, { user: "user", item: "product", rating: "rating" });
    expect(call).toThrow(MaasError);
    expect(call).toThrow("r.csv: no column 'product', 'rating' (columns: user, item, stars)");
    try {
      call();
    } catch (e) {
      expect((e as MaasError).code).toBe("bad_input");
    }
  });

  it("rejects a table without rows", () => {
    expect(() => readInteractions(tableFromRows("e.csv", ["u", "i"], []), { user: "u", item: "i" })).toThrow("e.csv: there are no interactions (the table has no rows)");
  });
});

describe("readInteractions: ratings", () => {
  it("rejects a rating that is missing, not a number or not finite, quoting the text", () => {
    expect(() => read([["a", "x", "1"], ["b", "x", "good"]])).toThrow("r.csv, row 2, column 'r': 'good' is not a finite number");
    expect(() => read([["a", "x", "Infinity"]])).toThrow("r.csv, row 1, column 'r': 'Infinity' is not a finite number");
    expect(() => read([["a", "x", "1"], ["b", "x", null]])).toThrow("r.csv, row 2, column 'r': the rating is missing");
  });

  it("accepts ratings on the bounds of the scale and rejects one outside", () => {
    expect(Array.from(read([["a", "x", "1"], ["b", "x", "5"], ["c", "x", "2.5"]], { scale: [1, 5] }).rating!)).toEqual([1, 5, 2.5]);
    expect(() => read([["a", "x", "1"], ["b", "x", "6"]], { scale: [1, 5] })).toThrow("r.csv, row 2, column 'r': the rating 6 is outside the scale [1, 5]");
    expect(() => read([["a", "x", "0.5"]], { scale: [1, 5] })).toThrow(/row 1, column 'r': the rating 0.5 is outside/);
  });
});

describe("readInteractions: timestamps", () => {
  const columns = { ...COLUMNS, timestamp: "t" };

  it("reads a numeric column as it is", () => {
    const x = read([["a", "x", "1", "1700000000"], ["b", "x", "2", "-5.5"]], {}, columns);
    expect(Array.from(x.time!)).toEqual([1700000000, -5.5]);
  });

  it("reads ISO 8601 dates as epoch milliseconds, a date-time without a zone as UTC", () => {
    // In a zone other than UTC, a reader that let Date.parse take zone-less times as local would fail.
    const zone = process.env.TZ;
    process.env.TZ = "Asia/Kolkata";
    onTestFinished(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });
    const cells = ["2024-05-01", "2024-05-01T12:30:00Z", "2024-05-01T12:30:00", "2024-05-01 12:30", "2024-05-01T14:30:00+02:00", "2024-05-01T14:30:00.250+0200", "2024-05-01T10:30-02"];
    const x = read(cells.map((t, j) => [`u${j}`, "x", "1", t]), {}, columns);
    const noon = Date.UTC(2024, 4, 1, 12, 30);
    expect(Array.from(x.time!)).toEqual([Date.UTC(2024, 4, 1), noon, noon, noon, noon, noon + 250, noon]);
  });

  it("rejects a timestamp that is missing or not of the first row's kind", () => {
    expect(() => read([["a", "x", "1", "2024-05-01"], ["b", "x", "1", "May 2, 2024"]], {}, columns)).toThrow(
      "r.csv, row 2, column 't': 'May 2, 2024' is not an ISO 8601 date (like 2024-05-01T12:00:00Z), as row 1's is",
    );
    expect(() => read([["a", "x", "1", "17"], ["b", "x", "1", "2024-05-01"]], {}, columns)).toThrow("row 2, column 't': '2024-05-01' is not a finite number, as row 1's is");
    expect(() => read([["a", "x", "1", "17"], ["b", "x", "1", null]], {}, columns)).toThrow("row 2, column 't': the timestamp is missing");
  });
});

describe("readInteractions: repeated pairs", () => {
  // Rows: (a,x) three times, with (b,x) and (a,y) once each between them.
  const rows = [["a", "x", "1"], ["b", "x", "5"], ["a", "x", "2"], ["a", "y", "4"], ["a", "x", "6"]];

  it("keeps the last in the file by default, at its place in the file order", () => {
    const x = read(rows);
    expect(tuples(x)).toEqual([["b", "x", 5, 2], ["a", "y", 4, 4], ["a", "x", 6, 5]]);
    expect(x.users).toEqual(["a", "b"]);
    expect(x.items).toEqual(["x", "y"]);
  });

  it("averages the ratings with 'mean' and adds them with 'sum'", () => {
    expect(tuples(read(rows, { duplicates: "mean" }))).toEqual([["b", "x", 5, 2], ["a", "y", 4, 4], ["a", "x", 3, 5]]); // (1 + 2 + 6) / 3
    expect(tuples(read(rows, { duplicates: "sum" }))).toEqual([["b", "x", 5, 2], ["a", "y", 4, 4], ["a", "x", 9, 5]]);
  });

  it("counts the rows of each pair with 'sum' and no rating column", () => {
    const x = readInteractions(tableFromRows("c.csv", ["u", "i"], rows.map((r) => r.slice(0, 2))), { user: "u", item: "i" }, { duplicates: "sum" });
    expect(tuples(x)).toEqual([["b", "x", 1, 2], ["a", "y", 1, 4], ["a", "x", 3, 5]]);
  });

  it("has no ratings with 'last' or 'mean' and no rating column", () => {
    const table = tableFromRows("c.csv", ["u", "i"], rows.map((r) => r.slice(0, 2)));
    for (const duplicates of ["last", "mean"] as const) {
      const x = readInteractions(table, { user: "u", item: "i" }, { duplicates });
      expect(x.rating).toBeUndefined();
      expect(Array.from(x.row)).toEqual([2, 4, 5]);
    }
  });

  it("keeps the latest by time, a tie going to the last in the file, with that row's place and time", () => {
    const columns = { ...COLUMNS, timestamp: "t" };
    const timed = [["a", "x", "1", "30"], ["b", "x", "5", "10"], ["a", "x", "2", "20"], ["b", "x", "3", "10"]];
    const x = read(timed, {}, columns);
    expect(tuples(x)).toEqual([["a", "x", 1, 1], ["b", "x", 3, 4]]);
    expect(Array.from(x.time!)).toEqual([30, 10]);
    const mean = read(timed, { duplicates: "mean" }, columns);
    expect(tuples(mean)).toEqual([["a", "x", 1.5, 1], ["b", "x", 4, 4]]);
  });

  it("leaves a file without repeats as it is", () => {
    const x = read([["a", "x", "1"], ["a", "y", "2"], ["b", "x", "3"]], { duplicates: "mean" });
    expect(tuples(x)).toEqual([["a", "x", 1, 1], ["a", "y", 2, 2], ["b", "x", 3, 3]]);
  });
});

describe("interactionsFromArrays", () => {
  it("reads parallel arrays as a table of user, item and rating", () => {
    const x = interactionsFromArrays("arrays", ["u1", "u2", "u1"], ["i1", "i1", "i1"], [1, 2.5, 4]);
    expect(tuples(x)).toEqual([["u2", "i1", 2.5, 2], ["u1", "i1", 4, 3]]);
    expect(interactionsFromArrays("arrays", ["u1"], ["i1"]).rating).toBeUndefined();
    expect(() => interactionsFromArrays("arrays", ["u1", "u2"], ["i1"])).toThrow("interactionsFromArrays: 2 users, 1 items, no ratings");
    expect(() => interactionsFromArrays("arrays", ["u1"], ["i1"], [9], { scale: [1, 5] })).toThrow("arrays, row 1, column 'rating': the rating 9 is outside the scale [1, 5]");
  });

  it("a million rows: the ids interned, the duplicate pairs summed", () => {
    const n = 1_000_000;
    const users = Array.from({ length: n }, (_v, j) => `user-${j % 50_000}`);
    const items = Array.from({ length: n }, (_v, j) => `item-${(j * 7919) % 20_000}`);
    const x = interactionsFromArrays("big", users, items, undefined, { duplicates: "sum" });
    expect(x.users.length).toBe(50_000);
    expect(x.items.length).toBe(20_000);
    expect(x.rating!.reduce((a, b) => a + b, 0)).toBe(n);
  });
});
