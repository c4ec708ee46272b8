// The Open Inference Protocol v2 over a real socket: every endpoint and error case, in JSON and in the
// binary tensor data extension; every datatype through an echo model; PyTorch's exported models give
// PyTorch's outputs; tenants never see each other's models; dynamic batching answers each request
// with its own rows; and moving an alias under load fails no request.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../src/config.js";
import { Graph } from "../src/engine/graph.js";
import { encodeModel } from "../src/engine/onnx-codec.js";
import { add, expandLike, identity, matmul, mul, reduceMean, reduceSum } from "../src/engine/ops.js";
import type { DType } from "../src/runtime/tensor.js";
import type { Platform } from "../src/server/platform.js";
import { startPlatform } from "../src/server/platform.js";

const ADMIN = "v2-test-admin-key-0123456789abcdef";
const home = mkdtempSync(join(tmpdir(), "maas-v2-"));
const FIXTURES = join(import.meta.dirname, "fixtures", "pytorch");
let platform: Platform;
let url: string;

interface Reply {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- protocol bodies, checked field by field
}

async function call(method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } };
  if (body !== undefined) {
    if (typeof body === "string" || body instanceof Uint8Array) init.body = body;
    else {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
  }
  const res = await fetch(`${url}${path}`, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, bytes, json };
}

async function newKey(tenant: string, scopes: string[]): Promise<string> {
  const r = await call("POST", "/api/v1/keys", ADMIN, { name: `${tenant}-${scopes.join("-")}`, tenant, scopes });
  expect(r.status).toBe(201);
  return r.json.key as string;
}

async function importModel(key: string, name: string, bytes: Uint8Array): Promise<number> {
  const r = await call("POST", `/api/v1/models/import?name=${name}`, key, bytes, { "content-type": "application/octet-stream" });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json.version as number;
}

/** A model that returns each input unchanged: `in_<dtype>` [batch, 2] -> `out_<dtype>`. */
function echoModel(dtypes: readonly DType[]): Uint8Array {
  const g = new Graph("echo");
  for (const dtype of dtypes) g.output(identity(g.input(`in_${dtype}`, dtype, ["batch", 2])), `out_${dtype}`);
  return encodeModel(g);
}

/** y = x, after four [512, 512] matrix products that depend on x (so not folded away): milliseconds a run. */
function slowModel(): Uint8Array {
  const g = new Graph("slow");
  const x = g.input("x", "float32", ["batch", 1]);
  const w = g.constant({ dtype: "float32", dims: [512, 512], data: Float32Array.from({ length: 512 * 512 }, (_v, i) => ((i * 7919) % 101) / 5050 - 0.01) }, "w");
  let t = expandLike(reduceSum(x), w);
  for (let i = 0; i < 4; i++) t = matmul(t, w);
  g.output(add(x, mul(reduceMean(t), 0)), "y");
  return encodeModel(g);
}

/** The protocol's datatypes and the runtime's. */
const DATATYPE: Record<string, DType> = {
  BOOL: "bool",
  UINT8: "uint8",
  UINT16: "uint16",
  UINT32: "uint32",
  UINT64: "uint64",
  INT8: "int8",
  INT16: "int16",
  INT32: "int32",
  INT64: "int64",
  FP16: "float16",
  FP32: "float32",
  FP64: "float64",
  BYTES: "string",
};
/** Two rows of each datatype (FP16 values exact in half precision). */
const VALUES: Record<string, unknown[]> = {
  BOOL: [true, false, false, true],
  UINT8: [0, 255, 7, 1],
  UINT16: [0, 65535, 9, 2],
  UINT32: [0, 4294967295, 11, 3],
  UINT64: [0, 9007199254740991, 13, 4],
  INT8: [-128, 127, 0, -1],
  INT16: [-32768, 32767, 5, -5],
  INT32: [-2147483648, 2147483647, 6, -6],
  INT64: [-9007199254740991, 9007199254740991, 7, -7],
  FP16: [0.5, -2, 65504, 0.099975586],
  FP32: [0.1, -1.5, 3.25, 1e-7],
  FP64: [0.1, -1.5, 1e300, 2 ** -1074],
  BYTES: ["", "hé", "a b", "日本"],
};

let keyA: string;
let readerA: string;
let predictA: string;
let keyB: string;

beforeAll(async () => {
  // Every model on the workers here (tests of batching need runs that overlap); the event-loop path has its own test.
  platform = await startPlatform(loadConfig({ port: 0, home, adminKey: ADMIN, logLevel: "silent", predictWorkers: 2, inlineMicros: 0 }));
  url = platform.url;
  keyA = await newKey("tenant-a", ["write", "predict"]);
  readerA = await newKey("tenant-a", ["read"]);
  predictA = await newKey("tenant-a", ["predict"]);
  keyB = await newKey("tenant-b", ["write", "predict"]);
  for (const name of ["mlp", "cnn", "lstm"]) await importModel(keyA, name, readFileSync(join(FIXTURES, `${name}.onnx`)));
  await importModel(keyA, "echo", echoModel(Object.values(DATATYPE)));
}, 60_000);

afterAll(async () => {
  await platform?.close();
  rmSync(home, { recursive: true, force: true });
});

const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as { input: { dims: number[]; data: number[] }; output: { dims: number[]; data: number[] } };

/** Flat row-major data as nested arrays of the shape. */
function nest(data: number[], dims: number[]): unknown[] {
  if (dims.length === 1) return data;
  const [n, ...rest] = dims;
  const size = data.length / n;
  return Array.from({ length: n }, (_v, i) => nest(data.slice(i * size, (i + 1) * size), rest));
}

function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  const off = got.filter((g, i) => !(Math.abs(g - want[i]) <= 1e-4 + 1e-4 * Math.abs(want[i])));
  expect(off).toEqual([]);
}

describe("server and model metadata, readiness", () => {
  test("GET /v2: name, version and extensions", async () => {
    const r = await call("GET", "/v2", keyA);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ name: "openmaas", version: expect.any(String), extensions: ["binary_tensor_data", "model_repository"] });
  });

  test("health probes answer without a key", async () => {
    expect((await call("GET", "/v2/health/live", undefined)).json).toEqual({ live: true });
    expect((await call("GET", "/v2/health/ready", undefined)).json).toEqual({ ready: true });
  });

  test("model metadata: platform, versions, inputs and outputs with -1 for variable dims", async () => {
    const r = await call("GET", "/v2/models/cnn", keyA);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      name: "cnn",
      versions: ["1"],
      platform: "onnx_onnxv1",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 1, 8, 8] }],
      outputs: [{ name: "output", datatype: "FP32", shape: [-1, 3] }],
    });
    expect((await call("GET", "/v2/models/cnn/versions/1", keyA)).json).toEqual(r.json);
    expect((await call("GET", "/v2/models/cnn/versions/latest", readerA)).json).toEqual(r.json);
  });

  test("readiness by name and by version; an unknown model or version is 404", async () => {
    expect((await call("GET", "/v2/models/mlp/ready", predictA)).json).toEqual({ name: "mlp", ready: true });
    expect((await call("GET", "/v2/models/mlp/versions/1/ready", keyA)).status).toBe(200);
    const missing = await call("GET", "/v2/models/nope/ready", keyA);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: "no model 'nope'" });
    expect((await call("GET", "/v2/models/mlp/versions/9/ready", keyA)).json).toEqual({ error: "model 'mlp' has no version 9" });
  });

  test("GET /v2/models lists the tenant's models", async () => {
    const r = await call("GET", "/v2/models", keyA);
    expect(r.json.models.sort()).toEqual(["cnn", "echo", "lstm", "mlp"]);
  });
});

describe("infer", () => {
  test.each(["mlp", "cnn", "lstm"])("the PyTorch %s answers PyTorch's outputs (1e-4), nested or flat data, id echoed", async (name) => {
    const f = fixture(name);
    const flat = await call("POST", `/v2/models/${name}/infer`, predictA, { id: "req-1", inputs: [{ name: "input", shape: f.input.dims, datatype: "FP32", data: f.input.data }] });
    expect(flat.status, JSON.stringify(flat.json)).toBe(200);
    expect(flat.json.model_name).toBe(name);
    expect(flat.json.model_version).toBe("1");
    expect(flat.json.id).toBe("req-1");
    expect(flat.json.outputs[0]).toMatchObject({ name: "output", datatype: "FP32", shape: f.output.dims });
    expectClose(flat.json.outputs[0].data, f.output.data);
    // the same data nested row-major
    const nested = nest(f.input.data, f.input.dims);
    const body = { inputs: [{ name: "input", shape: f.input.dims, datatype: "FP32", data: nested }] };
    expectClose((await call("POST", `/v2/models/${name}/versions/1/infer`, predictA, body)).json.outputs[0].data, f.output.data);
  });

  test("a small model moves to the event loop after its first runs, and answers the same", async () => {
    const inlineHome = mkdtempSync(join(tmpdir(), "maas-v2-inline-"));
    // A generous threshold: the rule itself is unit-tested (src/serving/inference.test.ts), and a
    // worker's run time on a loaded machine can exceed the default 100 µs.
    const inline = await startPlatform(loadConfig({ port: 0, home: inlineHome, adminKey: ADMIN, logLevel: "silent", predictWorkers: 1, inlineMicros: 20_000 }));
    try {
      const at = (path: string, init: RequestInit) => fetch(`${inline.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...init.headers } });
      const imported = await at("/api/v1/models/import?name=mlp", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: readFileSync(join(FIXTURES, "mlp.onnx")) });
      expect(imported.status).toBe(201);
      const f = fixture("mlp");
      const body = JSON.stringify({ inputs: [{ name: "input", shape: f.input.dims, datatype: "FP32", data: f.input.data }] });
      for (let i = 0; i < 20; i++) {
        const r = await at("/v2/models/mlp/infer", { method: "POST", headers: { "content-type": "application/json" }, body });
        expectClose(((await r.json()) as { outputs: { data: number[] }[] }).outputs[0].data, f.output.data);
      }
      expect(await (await at("/metrics", {})).text()).toMatch(/^maas_event_loop_models 1$/m);
    } finally {
      await inline.close();
      rmSync(inlineHome, { recursive: true, force: true });
    }
  });

  test("every datatype round-trips through the echo model in JSON", async () => {
    const inputs = Object.entries(VALUES).map(([datatype, data]) => ({ name: `in_${DATATYPE[datatype]}`, shape: [2, 2], datatype, data }));
    const r = await call("POST", "/v2/models/echo/infer", predictA, { inputs });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    for (const [datatype, data] of Object.entries(VALUES)) {
      const out = r.json.outputs.find((o: { name: string }) => o.name === `out_${DATATYPE[datatype]}`);
      expect(out, datatype).toMatchObject({ datatype, shape: [2, 2] });
      if (datatype === "FP32") expect(out.data).toEqual(data);
      else if (datatype === "FP16") expect(out.data.map((v: number) => Number(v.toPrecision(8)))).toEqual([0.5, -2, 65504, 0.099975586]);
      else expect(out.data, datatype).toEqual(data);
    }
  });

  test("requested outputs only, and binary outputs (Inference-Header-Content-Length)", async () => {
    const r = await call("POST", "/v2/models/echo/infer", predictA, {
      inputs: Object.entries(VALUES).map(([datatype, data]) => ({ name: `in_${DATATYPE[datatype]}`, shape: [2, 2], datatype, data })),
      outputs: [{ name: "out_int32", parameters: { binary_data: true } }, { name: "out_string" }],
    });
    expect(r.status).toBe(200);
    const headerLength = Number(r.headers.get("inference-header-content-length"));
    const header = JSON.parse(r.bytes.subarray(0, headerLength).toString("utf8"));
    expect(header.outputs.map((o: { name: string }) => o.name)).toEqual(["out_int32", "out_string"]);
    expect(header.outputs[0].parameters).toEqual({ binary_data_size: 16 });
    const ints = r.bytes.subarray(headerLength);
    expect(Array.from({ length: 4 }, (_v, i) => ints.readInt32LE(4 * i))).toEqual(VALUES.INT32);
    expect(header.outputs[1].data).toEqual(VALUES.BYTES);
  });

  test("binary inputs: a JSON header, then the raw tensors", async () => {
    const f = fixture("mlp");
    const raw = Buffer.from(Float32Array.from(f.input.data).buffer);
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: "input", shape: f.input.dims, datatype: "FP32", parameters: { binary_data_size: raw.length } }] }));
    const r = await call("POST", "/v2/models/mlp/infer", predictA, Buffer.concat([header, raw]), {
      "content-type": "application/octet-stream",
      "inference-header-content-length": String(header.length),
    });
    expect(r.status, r.bytes.toString()).toBe(200);
    expectClose(r.json.outputs[0].data, f.output.data);
  });

  test("an OpenMaaS tabular model takes its columns as [N, 1] tensors (BYTES for categories) and answers labels", async () => {
    const csv = "x,colour,label\n" + Array.from({ length: 80 }, (_v, i) => `${i % 10},${i % 2 ? "red" : "blue"},${i % 2 ? "odd" : "even"}`).join("\n");
    const up = await call("POST", "/api/v1/datasets?name=colours", keyA, csv, { "content-type": "text/csv" });
    const job = await call("POST", "/api/v1/jobs", keyA, { dataset: up.json.id, target: "label", name: "colours", model: { kind: "logistic" } });
    for (let i = 0; i < 400 && (await call("GET", `/api/v1/jobs/${job.json.id}`, keyA)).json.status !== "succeeded"; i++) await new Promise((r) => setTimeout(r, 50));
    const meta = await call("GET", "/v2/models/colours", keyA);
    expect(meta.json.inputs).toEqual([
      { name: "x", datatype: "FP32", shape: [-1, 1] },
      { name: "colour", datatype: "BYTES", shape: [-1, 1] },
    ]);
    const r = await call("POST", "/v2/models/colours/infer", predictA, {
      inputs: [
        { name: "x", shape: [2, 1], datatype: "FP32", data: [3, 4] },
        { name: "colour", shape: [2, 1], datatype: "BYTES", data: ["red", "blue"] },
      ],
      outputs: [{ name: "prediction" }],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.outputs).toEqual([{ name: "prediction", datatype: "BYTES", shape: [2], data: ["odd", "even"] }]);
  });
});

describe("errors: {error} with the protocol's status", () => {
  const input = (over: Record<string, unknown> = {}) => ({ inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4], ...over }] });
  const cases: [string, unknown, RegExp][] = [
    ["data length against the shape", input({ data: [1, 2, 3] }), /input 'input': shape \[1, 4\] needs 4 values; got 3/],
    ["a wrong datatype", input({ datatype: "INT64" }), /input 'input': datatype INT64 does not match the model's FP32/],
    ["an unknown input", { inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] }, /'x'/],
    ["an unknown output", { ...input(), outputs: [{ name: "nope" }] }, /output 'nope' is not an output of the model/],
    ["a static dim that does not match", input({ shape: [2, 2] }), /axis 1/],
    ["no inputs field", { id: "x" }, /inputs/],
  ];
  test.each(cases)("400 for %s", async (_what, body, message) => {
    const r = await call("POST", "/v2/models/mlp/infer", predictA, body);
    expect(r.status).toBe(400);
    expect(Object.keys(r.json)).toEqual(["error"]);
    expect(r.json.error).toMatch(message);
  });

  test("400 for a body that is not JSON, and for binary sizes that do not add up", async () => {
    const bad = await call("POST", "/v2/models/mlp/infer", predictA, "{not json", { "content-type": "application/json" });
    expect(bad.status).toBe(400);
    expect(typeof bad.json.error).toBe("string");
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", parameters: { binary_data_size: 16 } }] }));
    const short = await call("POST", "/v2/models/mlp/infer", predictA, Buffer.concat([header, Buffer.alloc(8)]), { "inference-header-content-length": String(header.length) });
    expect(short.status).toBe(400);
    expect(short.json.error).toMatch(/8 bytes after the JSON header/);
    const long = await call("POST", "/v2/models/mlp/infer", predictA, header, { "inference-header-content-length": "9999" });
    expect(long.status).toBe(400);
    expect(long.json.error).toMatch(/Inference-Header-Content-Length/);
  });

  test("401 without a key, 403 without the scope, 404 for a model of another tenant", async () => {
    const f = fixture("mlp");
    const body = { inputs: [{ name: "input", shape: f.input.dims, datatype: "FP32", data: f.input.data }] };
    const none = await call("POST", "/v2/models/mlp/infer", undefined, body);
    expect(none.status).toBe(401);
    expect(Object.keys(none.json)).toEqual(["error"]);
    expect((await call("POST", "/v2/models/mlp/infer", readerA, body)).status).toBe(403);
    expect((await call("POST", "/v2/repository/models/mlp/load", predictA)).status).toBe(403);
    expect((await call("GET", "/v2/nowhere", keyA)).json).toEqual({ error: "no route GET /v2/nowhere" });
  });

  test("503 with Retry-After when a request waits longer than its model's batching timeout; the others are answered", async () => {
    // A model that runs for milliseconds, so that requests arrive while its batch runs.
    await importModel(keyA, "slow", slowModel());
    const set = await call("PUT", "/api/v1/models/slow/serving", keyA, { batching: { maxBatchSize: 64, maxQueueDelayMs: 200, timeoutMs: 1 } });
    expect(set.status).toBe(200);
    const body = { inputs: [{ name: "x", shape: [1, 1], datatype: "FP32", data: [0.5] }] };
    // A request that arrives while a batch runs waits for company (200 ms), past its 1 ms timeout.
    let late: Reply | undefined;
    for (let attempt = 0; attempt < 10 && !late; attempt++) {
      const replies = await Promise.all(Array.from({ length: 8 }, () => call("POST", "/v2/models/slow/infer", predictA, body)));
      expect(replies.every((r) => r.status === 200 || r.status === 503)).toBe(true);
      late = replies.find((r) => r.status === 503);
    }
    expect(late!.headers.get("retry-after")).toBe("1");
    expect(late!.json.error).toMatch(/waited 1 ms for its batch/);
    expect((await call("DELETE", "/api/v1/models/slow", keyA)).status).toBe(204);
  });
});

describe("tenant isolation on /v2", () => {
  test("another tenant's model does not exist for the caller, by any endpoint", async () => {
    const f = fixture("mlp");
    const body = { inputs: [{ name: "input", shape: f.input.dims, datatype: "FP32", data: f.input.data }] };
    for (const [method, path, payload] of [
      ["GET", "/v2/models/mlp", undefined],
      ["GET", "/v2/models/mlp/ready", undefined],
      ["GET", "/v2/models/mlp/versions/1", undefined],
      ["POST", "/v2/models/mlp/infer", body],
      ["POST", "/v2/repository/models/mlp/load", undefined],
      ["POST", "/v2/repository/models/mlp/unload", undefined],
    ] as const) {
      const r = await call(method, path, keyB, payload);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.json).toEqual({ error: "no model 'mlp'" });
    }
    expect((await call("GET", "/v2/models", keyB)).json).toEqual({ models: [] });
    expect(await (await call("POST", "/v2/repository/index", keyB)).json).toEqual([]);
  });
});

describe("the model repository extension", () => {
  test("load, index, unload", async () => {
    expect((await call("POST", "/v2/repository/models/cnn/load", keyA)).status).toBe(200);
    const index = (await call("POST", "/v2/repository/index", keyA)).json as { name: string; version: string; state: string }[];
    expect(index.find((m) => m.name === "cnn")).toMatchObject({ version: "1", state: "READY" });
    expect((await call("POST", "/v2/repository/models/cnn/unload", keyA)).status).toBe(200);
    let state = "READY";
    for (let i = 0; i < 100 && state === "READY"; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = ((await call("POST", "/v2/repository/index", keyA)).json as { name: string; state: string }[]).find((m) => m.name === "cnn")!.state;
    }
    expect(state).toBe("UNAVAILABLE");
  });
});

describe("dynamic batching", () => {
  test("concurrent single-row requests are batched and each gets its own answer", async () => {
    expect((await call("PUT", "/api/v1/models/mlp/serving", keyA, { batching: { maxBatchSize: 16, maxQueueDelayMs: 20 } })).status).toBe(200);
    const batchCount = async () => Number((await call("GET", "/metrics", ADMIN)).bytes.toString().match(/^maas_batch_rows_count (\d+)/m)?.[1] ?? 0);
    const before = await batchCount();
    const f = fixture("mlp");
    const rows = f.input.dims[0];
    const width = f.input.data.length / rows;
    const results = await Promise.all(
      Array.from({ length: 24 }, (_v, i) => {
        const r = i % rows;
        return call("POST", "/v2/models/mlp/infer", predictA, { inputs: [{ name: "input", shape: [1, width], datatype: "FP32", data: f.input.data.slice(r * width, (r + 1) * width) }] });
      }),
    );
    const out = f.output.data.length / rows;
    results.forEach((res, i) => {
      expect(res.status).toBe(200);
      const r = i % rows;
      expectClose(res.json.outputs[0].data, f.output.data.slice(r * out, (r + 1) * out));
    });
    expect((await batchCount()) - before).toBeLessThan(24); // some requests shared a batch
    const text = (await call("GET", "/metrics", ADMIN)).bytes.toString();
    for (const line of [/^maas_loaded_models [1-9]/m, /^maas_loaded_model_bytes [1-9]/m, /^maas_jobs\{status="succeeded"\} [1-9]/m, /^maas_prediction_queue_depth 0/m, /^maas_batch_queue_depth 0/m]) {
      expect(text).toMatch(line);
    }
    expect(text).not.toMatch(/tenant-a|"mlp"/); // no tenant or model names in labels
    expect((await call("PUT", "/api/v1/models/mlp/serving", keyA, {})).status).toBe(200);
  });
});

describe("swapping versions under load", () => {
  test("moving the production alias and adding versions while requests run fails none", async () => {
    const f = fixture("mlp");
    const body = { inputs: [{ name: "input", shape: f.input.dims, datatype: "FP32", data: f.input.data }] };
    await importModel(keyA, "swap", readFileSync(join(FIXTURES, "mlp.onnx")));
    await importModel(keyA, "swap", readFileSync(join(FIXTURES, "mlp.onnx")));
    let stop = false;
    const seen = new Set<string>();
    const failures: string[] = [];
    const load = async () => {
      while (!stop) {
        const r = await call("POST", "/v2/models/swap/infer", predictA, body);
        if (r.status !== 200) failures.push(`${r.status} ${r.bytes.toString()}`);
        else seen.add(r.json.model_version as string);
      }
    };
    const clients = Array.from({ length: 6 }, load);
    for (let i = 0; i < 8; i++) {
      expect((await call("PUT", "/api/v1/models/swap/aliases/production", keyA, { version: (i % 2) + 1 })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 40));
      if (i === 4) await importModel(keyA, "swap", readFileSync(join(FIXTURES, "mlp.onnx")));
    }
    await call("DELETE", "/api/v1/models/swap/aliases/production", keyA);
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect([...seen].sort()).toEqual(["1", "2", "3"]);
  }, 30_000);
});
