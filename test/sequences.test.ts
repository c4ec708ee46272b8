// Recurrent models end to end through `maas`: windows of a series for forecasting, one sequence per
// row for classification and regression.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { Random } from "../src/engine/random.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "maas-seq-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function maas(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!);

describe("sequence models through the CLI", () => {
  test("an LSTM forecasts a noisy two-tone series from 12-step windows, better than the last value", () => {
    const rng = new Random(1);
    const n = 400;
    const y = Array.from({ length: n }, (_v, t) => Math.sin(t / 4) + 0.5 * Math.sin(t / 9) + 0.05 * rng.normal());
    writeFileSync(join(dir, "series.csv"), "y\n" + y.map((v) => v.toFixed(5)).join("\n") + "\n");
    const t = maas("train", "--data", "series.csv", "--target", "y", "--model", "lstm", "--hidden", "16", "--window", "12", "--horizon", "1", "--epochs", "30", "--seed", "2", "--out", "f.onnx", "--json");
    expect(t.code, t.stderr).toBe(0);
    const summary = lastJson(t.stdout);
    expect(summary).toMatchObject({ kind: "lstm", task: "regression", features: ["sequence 12x1"] });
    // The last-value forecast's R² on this series, for comparison.
    const mean = y.reduce((a, b) => a + b, 0) / n;
    const ssTot = y.slice(12).reduce((a, v) => a + (v - mean) ** 2, 0);
    const ssLast = y.slice(12).reduce((a, v, i) => a + (v - y[11 + i]) ** 2, 0);
    expect(summary.metrics.r2).toBeGreaterThan(1 - ssLast / ssTot);
    expect(summary.metrics.r2).toBeGreaterThan(0.9);

    const p = maas("predict", "--model", "f.onnx", "--data", "series.csv", "--json");
    expect(p.code, p.stderr).toBe(0);
    const rows = p.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(n - 12 + 1); // every window, the last one forecasting past the series
    expect(Math.abs(rows[100].prediction - y[112])).toBeLessThan(0.3);

    const e = maas("eval", "--model", "f.onnx", "--data", "series.csv", "--json");
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ task: "regression", rows: n - 12 });
    expect(JSON.parse(e.stdout).metrics.r2).toBeGreaterThan(0.9);
  }, 120_000);

  test("a GRU classifies rows as sequences, with shorter rows; predictions are the labels", () => {
    const rng = new Random(3);
    const steps = 8;
    const line = (up: boolean, length: number) => Array.from({ length: steps }, (_v, t) => (t < length ? ((up ? t : steps - t) + rng.normal() * 0.3).toFixed(3) : "")).join(",");
    let csv = Array.from({ length: steps }, (_v, t) => `t${t}`).join(",") + ",trend\n";
    for (let i = 0; i < 200; i++) csv += `${line(i % 2 === 0, i % 5 === 0 ? 5 : steps)},${i % 2 === 0 ? "up" : "down"}\n`;
    writeFileSync(join(dir, "trends.csv"), csv);
    const t = maas("train", "--data", "trends.csv", "--target", "trend", "--model", "gru", "--hidden", "8", "--epochs", "40", "--seed", "1", "--out", "g.onnx", "--json");
    expect(t.code, t.stderr).toBe(0);
    expect(lastJson(t.stdout).metrics.accuracy).toBeGreaterThan(0.95);
    writeFileSync(join(dir, "new.csv"), Array.from({ length: steps }, (_v, t) => `t${t}`).join(",") + "\n" + "0,1,2,3,4,5,6,7\n" + "8,7,6,5,4,,,\n");
    const p = maas("predict", "--model", "g.onnx", "--data", "new.csv", "--json");
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.trim().split("\n").map((l) => JSON.parse(l).prediction)).toEqual(["up", "down"]);
  }, 120_000);

  test("a vanilla RNN learns the sum of a row's steps", () => {
    const rng = new Random(5);
    let csv = "s0,s1,s2,s3,s4,total\n";
    for (let i = 0; i < 300; i++) {
      const steps = Array.from({ length: 5 }, () => rng.uniform());
      csv += `${steps.map((v) => v.toFixed(4)).join(",")},${steps.reduce((a, b) => a + b, 0).toFixed(4)}\n`;
    }
    writeFileSync(join(dir, "sums.csv"), csv);
    const t = maas("train", "--data", "sums.csv", "--target", "total", "--model", "rnn", "--hidden", "16", "--epochs", "60", "--seed", "1", "--out", "r.onnx", "--json");
    expect(t.code, t.stderr).toBe(0);
    expect(lastJson(t.stdout).metrics.r2).toBeGreaterThan(0.95);
    const p = maas("predict", "--model", "r.onnx", "--data", "sums.csv", "--json");
    const first = JSON.parse(p.stdout.trim().split("\n")[0]);
    const row = csv.split("\n")[1].split(",").map(Number);
    expect(Math.abs(first.prediction - row[5])).toBeLessThan(0.15);
  }, 120_000);

  test("bad input: a gap inside a row, a window longer than the series", () => {
    writeFileSync(join(dir, "gap.csv"), "a,b,c,y\n1,2,3,1\n1,,3,2\n1,2,3,3\n");
    const gap = maas("train", "--data", "gap.csv", "--target", "y", "--model", "rnn", "--out", "x.onnx");
    expect(gap.code).toBe(2);
    expect(gap.stderr).toMatch(/gap.csv, row 2, column 'b': missing step inside the sequence/);
    const long = maas("train", "--data", "series.csv", "--target", "y", "--model", "rnn", "--window", "500", "--out", "x.onnx");
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/series.csv: the series has 400 rows; --window 500 --horizon 1 needs at least 501/);
  });
});

describe("sequence models over HTTP", () => {
  test("an imported GRU answers {sequence: [...]} as the CLI does; a too-long sequence is a 422", async () => {
    const { readFileSync } = await import("node:fs");
    const { loadConfig } = await import("../src/config.js");
    const { startPlatform } = await import("../src/server/platform.js");
    const admin = "sequences-admin-key-0123456789";
    const platform = await startPlatform(loadConfig({ port: 0, home: join(dir, "home"), adminKey: admin, logLevel: "silent", predictWorkers: 1 }));
    const call = async (path: string, body: unknown, type = "application/json") => {
      const res = await fetch(`${platform.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": type },
        body: body instanceof Uint8Array ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      expect((await call("/api/v1/models/import?name=trend", readFileSync(join(dir, "g.onnx")), "application/octet-stream")).status).toBe(201);
      const p = await call("/api/v1/models/trend/predict", { instances: [{ sequence: [0, 1, 2, 3, 4, 5, 6, 7] }, { sequence: [8, 7, 6, 5, 4] }] });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
      const cli = maas("predict", "--model", "g.onnx", "--data", "new.csv", "--json").stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(p.body.predictions).toEqual(cli);
      const long = await call("/api/v1/models/trend/predict", { instances: [{ sequence: Array.from({ length: 9 }, () => 1) }] });
      expect(long.status).toBe(422);

      // A training job on an uploaded series, cut into windows.
      const up = await call("/api/v1/datasets?name=series", readFileSync(join(dir, "series.csv")), "text/csv");
      expect(up.status).toBe(201);
      const job = await call("/api/v1/jobs", { dataset: "series", target: "y", name: "forecast", model: { kind: "gru", hidden: [8] }, windows: { window: 12 }, training: { epochs: 10 } });
      expect(job.status, JSON.stringify(job.body)).toBe(202);
      let status = "";
      for (let i = 0; i < 300 && !["succeeded", "failed"].includes(status); i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = ((await (await fetch(`${platform.url}/api/v1/jobs/${job.body.id}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { status: string }).status;
      }
      expect(status).toBe("succeeded");
      const f = await call("/api/v1/models/forecast/predict", { instances: [{ sequence: Array.from({ length: 12 }, (_v, t) => Math.sin(t / 4)) }] });
      expect(f.status, JSON.stringify(f.body)).toBe(200);
      expect(typeof (f.body.predictions as { prediction: unknown }[])[0].prediction).toBe("number");
      const ev = await call("/api/v1/models/forecast/evaluate", { dataset: "series" });
      expect(ev.status, JSON.stringify(ev.body)).toBe(200);
      expect((ev.body.metrics as { r2: number }).r2).toBeGreaterThan(0.5);
    } finally {
      await platform.close();
    }
  }, 60_000);
});
