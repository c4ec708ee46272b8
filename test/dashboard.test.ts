// The dashboard end to end: Debian's Chromium (driven by playwright-core) against a real server.
// A person signs in, uploads a CSV, trains an MLP and watches its curve grow, promotes the model,
// asks the playground, trains a regression on a sample and sees its fit; a revoked key is sent back
// to sign-in. Every page passes axe-core without serious or critical violations, no request leaves
// the server's origin, and each page is saved as a screenshot in .ci/out/screenshots/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadConfig } from "../src/config.js";
import { png } from "../src/data/image-fixtures.js";
import { Random } from "../src/engine/random.js";
import type { Platform } from "../src/server/platform.js";
import { startPlatform } from "../src/server/platform.js";
import { WEB_ROOT } from "../src/server/routes/dashboard.js";

const CHROMIUM = "/usr/bin/chromium";
const ADMIN = "dashboard-test-admin-key-0123456789";
const SHOTS = join(import.meta.dirname, "../.ci/out/screenshots");
const home = mkdtempSync(join(tmpdir(), "maas-dashboard-"));
let platform: Platform;
let browser: Browser;
let page: Page;
/** Requests to anywhere but the server, and errors the page logged. */
const foreign: string[] = [];
const pageErrors: string[] = [];

/** Two interleaved half circles, labelled by moon, with noise (3,000 rows: an epoch takes a while at batch 4). */
function moonsCsv(rows: number): string {
  const lines = ["x1,x2,moon"];
  for (let i = 0; i < rows; i++) {
    const t = Math.PI * ((i * 0.618034) % 1);
    const upper = i % 2 === 0;
    // Uniform in [-0.3, 0.3] from a hash of (i, k): enough overlap that the moons are not separable.
    const noise = (k: number) => 0.6 * ((Math.abs(Math.sin(i * 12.9898 + k * 78.233) * 43758.5453) % 1) - 0.5);
    const x = upper ? Math.cos(t) : 1 - Math.cos(t);
    const y = upper ? Math.sin(t) : 0.5 - Math.sin(t);
    lines.push(`${(x + noise(1)).toFixed(4)},${(y + noise(2)).toFixed(4)},${upper ? "upper" : "lower"}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A 12x12 grey image of horizontal or vertical stripes at a random phase, with noise. */
function stripes(vertical: boolean, rng: Random): Buffer {
  const phase = rng.int(3);
  const pixels = Array.from({ length: 144 }, (_v, i) => {
    const on = ((vertical ? i % 12 : Math.floor(i / 12)) + phase) % 3 === 0;
    return Math.max(0, Math.min(255, (on ? 200 : 40) + Math.round(30 * rng.normal())));
  });
  return png(12, 12, 1, pixels);
}

/** axe-core's serious and critical violations on the current page, as "rule: target" lines. */
async function accessibilityProblems(): Promise<string[]> {
  const source = readFileSync(join(import.meta.dirname, "../node_modules/axe-core/axe.min.js"), "utf8");
  // Evaluated through the debugging protocol, which the page's Content-Security-Policy does not govern.
  await page.evaluate(source);
  // A string, run in the page (whose globals this file's Node types do not know).
  const violations = (await page.evaluate(
    "axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) })))",
  )) as { id: string; impact: string; targets: string[] }[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.targets.join(", ")}`);
}

/** Checks the page with axe and saves its screenshot (the whole page) as NAME.png. */
async function visit(name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  expect(await accessibilityProblems(), `accessibility of ${name}`).toEqual([]);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(key: string): Promise<void> {
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

/** The number of points the chart captioned `title` shows (the rows of its text alternative). */
const points = (title: string | RegExp) => page.locator("figure.chart", { has: page.getByText(title, { exact: true }) }).locator(".visually-hidden tbody tr").count();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  if (!existsSync(join(WEB_ROOT, "index.html"))) throw new Error(`${WEB_ROOT} is missing: npm run build`);
  mkdirSync(SHOTS, { recursive: true });
  platform = await startPlatform(loadConfig({ port: 0, home, adminKey: ADMIN, logLevel: "silent", predictWorkers: 1 }));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const origin = new URL(platform.url).origin;
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.origin !== origin && url.protocol !== "data:" && url.protocol !== "blob:") foreign.push(r.url());
  });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    // A refused key is the revocation test's point; the browser logs its 401 as an error.
    if (m.type() === "error" && !/status of 401/.test(m.text())) pageErrors.push(m.text());
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
  rmSync(home, { recursive: true, force: true });
});

test("sign in, upload, train with a live curve, promote, predict", async () => {
  await page.goto(platform.url);
  await page.getByRole("heading", { name: "Sign in to OpenMaaS" }).waitFor();
  await visit("01-sign-in");
  await signIn(ADMIN);
  await page.getByText("No datasets yet").waitFor();
  await visit("02-datasets-empty");

  // Upload: the file picker, then the name the file suggests.
  await page.getByLabel("Or choose a file").setInputFiles({ name: "moons.csv", mimeType: "text/csv", buffer: Buffer.from(moonsCsv(3000)) });
  await expect.poll(() => page.getByLabel("Dataset name").inputValue()).toBe("moons");
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("heading", { name: "moons", level: 1 }).waitFor();
  await expect.poll(() => page.locator("table").filter({ hasText: "upper" }).count()).toBeGreaterThan(0);
  await visit("03-dataset");

  // Train: an MLP slow enough (batch 4, 40 epochs) that its curve is seen growing.
  await page.getByLabel("Column to predict").selectOption("moon");
  await page.getByRole("button", { name: "Train a model…" }).click();
  await page.getByRole("heading", { name: "Train a model" }).waitFor();
  await page.getByLabel("Kind").selectOption("mlp");
  await page.getByLabel("Hidden layer widths").fill("64, 64");
  await page.getByLabel("Epochs", { exact: true }).fill("40");
  await page.getByLabel("Batch size").fill("4");
  await page.getByText("Advanced settings").click();
  await page.getByLabel("Early stopping").uncheck();
  await visit("04-train");
  await page.getByRole("button", { name: "Start training" }).click();
  await page.getByRole("heading", { name: "Training moons" }).waitFor();

  // The loss curve gains points while the job runs.
  await expect.poll(() => points("Loss per epoch"), { timeout: 60_000 }).toBeGreaterThan(0);
  const early = await points("Loss per epoch");
  await expect.poll(() => points("Loss per epoch"), { timeout: 60_000 }).toBeGreaterThan(early);
  expect(await page.getByText("running").count()).toBeGreaterThan(0);
  await page.screenshot({ path: join(SHOTS, "05-job-training.png"), fullPage: true });
  const done = page.getByRole("link", { name: "Open model moons v1" });
  await done.waitFor({ timeout: 120_000 });
  expect(await points("Loss per epoch")).toBe(40);
  await visit("05-job-done");

  await page.goto(`${platform.url}/#/jobs`);
  await page.getByRole("link", { name: "moons" }).first().waitFor();
  await visit("06-jobs");

  // Promote version 1 to production; the versions table then names the alias.
  await page.goto(`${platform.url}/#/models/moons`);
  await page.getByRole("button", { name: "Promote to production v1" }).click();
  await page.getByRole("button", { name: "Remove alias production from v1" }).waitFor();
  await page.locator("table", { hasText: "upper" }).first().waitFor(); // the confusion matrix
  await visit("07-model");

  // The playground answers a point deep in the upper moon.
  await page.goto(`${platform.url}/#/playground/moons`);
  await page.getByLabel(/^x1/).fill("0");
  await page.getByLabel(/^x2/).fill("0.9");
  await page.getByRole("button", { name: "Predict" }).click();
  await expect.poll(() => page.locator(".prediction-value").textContent()).toBe("upper");
  await page.getByText("Probability of each class").waitFor();
  await visit("08-playground");

  expect(foreign).toEqual([]);
  expect(pageErrors).toEqual([]);
}, 300_000);

test("a regression on a sample: the playground draws the data and the fitted line", async () => {
  await page.goto(`${platform.url}/#/datasets`);
  await page.getByRole("heading", { name: "Datasets", exact: true }).waitFor();
  // The samples are offered to a tenant with no datasets only: this one has moons, so upload the file.
  const sample = await (await fetch(`${platform.url}/samples/linear-regression.csv`)).text();
  expect(sample.split("\n")[0]).toBe("x,y");
  await page.getByLabel("Or choose a file").setInputFiles({ name: "line.csv", mimeType: "text/csv", buffer: Buffer.from(sample) });
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("heading", { name: "line", level: 1 }).waitFor();
  await page.getByLabel("Column to predict").selectOption("y");
  await page.getByRole("button", { name: "Train a model…" }).click();
  await page.getByLabel("Kind").selectOption("linear");
  await page.getByRole("button", { name: "Start training" }).click();
  await page.getByRole("link", { name: "Open model line v1" }).waitFor({ timeout: 60_000 });
  await page.goto(`${platform.url}/#/playground/line`);
  await expect.poll(() => points(/^y against x/)).toBeGreaterThan(100); // 100 rows and 50 points of the line
  await visit("09-playground-regression");
  expect(foreign).toEqual([]);
  expect(pageErrors).toEqual([]);
}, 120_000);

test("an image model: a zip of class folders trains a cnn; the playground answers an uploaded image and a drawing", async () => {
  const rng = new Random(3);
  const entries: Record<string, Uint8Array> = {};
  for (let i = 0; i < 40; i++) {
    entries[`horizontal/${i}.png`] = stripes(false, rng);
    entries[`vertical/${i}.png`] = stripes(true, rng);
  }
  await page.goto(`${platform.url}/#/datasets`);
  await page.getByLabel("Or choose a file").setInputFiles({ name: "stripes.zip", mimeType: "application/zip", buffer: Buffer.from(zipSync(entries)) });
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("heading", { name: "stripes", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Train a model…" }).click();
  await expect.poll(() => page.getByLabel("Kind").inputValue()).toBe("cnn");
  await page.getByLabel("Epochs", { exact: true }).fill("8");
  await page.getByLabel("Batch size").fill("16");
  await page.getByRole("button", { name: "Start training" }).click();
  await page.getByRole("link", { name: "Open model stripes v1" }).waitFor({ timeout: 120_000 });

  await page.goto(`${platform.url}/#/playground/stripes`);
  await page.getByLabel("Upload a PNG or JPEG image").setInputFiles({ name: "v.png", mimeType: "image/png", buffer: stripes(true, rng) });
  await expect.poll(() => page.locator(".prediction-value").textContent()).toBe("vertical");
  await page.getByText("Probability of each class").waitFor();
  // A drawing, on a fresh page: one stroke down the pad, sent as a PNG; any class may come back, but one must.
  await page.reload();
  const pad = (await page.locator("canvas").boundingBox())!;
  await page.mouse.move(pad.x + pad.width / 2, pad.y + 10);
  await page.mouse.down();
  await page.mouse.move(pad.x + pad.width / 2, pad.y + pad.height - 10, { steps: 10 });
  await page.mouse.up();
  await page.getByRole("button", { name: /^Predict/ }).click();
  await expect.poll(() => page.locator(".prediction-value").textContent()).toMatch(/^(horizontal|vertical)$/);
  await visit("11-playground-image");
  expect(foreign).toEqual([]);
  expect(pageErrors).toEqual([]);
}, 180_000);

test("a recommender: train mf on ratings from the form, recommend in the playground", async () => {
  const lines = ["reader,book,stars"];
  for (let u = 0; u < 30; u++) for (let i = 0; i < 20; i++) if ((u + 2 * i) % 3 === 0) lines.push(`reader ${u},book ${i},${(1 + ((u * i) % 5)).toString()}`);
  await page.goto(`${platform.url}/#/datasets`);
  await page.getByLabel("Or choose a file").setInputFiles({ name: "books.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n") + "\n") });
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("heading", { name: "books", level: 1 }).waitFor();
  await page.goto(`${platform.url}/#/train?dataset=books`);
  await page.getByLabel("Kind").selectOption("mf");
  await page.getByLabel("User column").selectOption("reader");
  await page.getByLabel("Item column").selectOption("book");
  await page.getByLabel("Rating column").selectOption("stars");
  await page.getByLabel("Latent factors").fill("4");
  await visit("12-train-recommender");
  await page.getByRole("button", { name: "Start training" }).click();
  await page.getByRole("link", { name: "Open model books v1" }).waitFor({ timeout: 60_000 });

  await page.goto(`${platform.url}/#/playground/books`);
  await page.getByLabel("User", { exact: true }).fill("reader 4");
  await page.getByLabel("How many items").fill("3");
  await page.getByRole("button", { name: "Recommend" }).click();
  await expect.poll(() => page.locator(".prediction-value").count()).toBe(3);
  const read = lines.filter((l) => l.startsWith("reader 4,")).map((l) => l.split(",")[1]);
  for (const item of await page.locator(".prediction-value").allTextContents()) expect(read).not.toContain(item);
  await page.getByLabel("User", { exact: true }).fill("a stranger");
  await page.getByRole("button", { name: "Recommend" }).click();
  await page.getByText(/not in the training data/).waitFor();
  await visit("13-playground-recommender");
  expect(foreign).toEqual([]);
  expect(pageErrors).toEqual([]);
}, 120_000);

test("a text classifier: train fasttext on a text column from the form, classify a text in the playground", async () => {
  const lines = ["message,kind"];
  const filler = ["see", "you", "at", "the", "meeting", "report", "会议"];
  for (let i = 0; i < 200; i++) {
    const words = Array.from({ length: 4 }, (_v, j) => filler[(i * 3 + j * 5) % filler.length]);
    const spam = i % 2 === 0;
    words.splice(i % 4, 0, spam ? ["free", "winner", "免费"][i % 3] : "thanks");
    lines.push(`"${words.join(" ")}",${spam ? "spam" : "ham"}`);
  }
  await page.goto(`${platform.url}/#/datasets`);
  await page.getByLabel("Or choose a file").setInputFiles({ name: "mail.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n") + "\n") });
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("heading", { name: "mail", level: 1 }).waitFor();
  await page.goto(`${platform.url}/#/train?dataset=mail&target=kind`);
  await page.getByLabel("Kind").selectOption("fasttext");
  await page.getByLabel("Text column").selectOption("message");
  await page.getByLabel("Column to predict").selectOption("kind");
  await page.getByRole("button", { name: "Start training" }).click();
  await page.getByRole("link", { name: "Open model mail v1" }).waitFor({ timeout: 60_000 });
  await page.goto(`${platform.url}/#/playground/mail`);
  await page.getByLabel("message").fill("you are a winner, claim your free prize");
  await page.getByRole("button", { name: "Predict" }).click();
  await expect.poll(() => page.locator(".prediction-value").textContent()).toBe("spam");
  await visit("14-playground-text");
  expect(foreign).toEqual([]);
  expect(pageErrors).toEqual([]);
}, 120_000);

test("a running job is cancelled from its page", async () => {
  await page.goto(`${platform.url}/#/train?dataset=moons&target=moon`);
  await page.getByLabel("Kind").selectOption("mlp");
  await page.getByLabel("Model name").fill("endless");
  await page.getByLabel("Epochs", { exact: true }).fill("10000");
  await page.getByLabel("Batch size").fill("1");
  await page.getByRole("button", { name: "Start training" }).click();
  await page.getByRole("heading", { name: "Training endless" }).waitFor();
  await page.getByRole("button", { name: "Cancel job" }).click();
  await page.getByText("cancelled", { exact: true }).waitFor({ timeout: 30_000 });
  expect(await page.getByRole("button", { name: "Cancel job" }).count()).toBe(0);
  expect(pageErrors).toEqual([]);
}, 60_000);

test("API keys: create one (shown once); once revoked, its holder is sent back to sign-in", async () => {
  await page.goto(`${platform.url}/#/keys`);
  await page.getByLabel("Name").fill("viewer");
  await page.getByLabel(/^read/).check();
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.locator(".keys-value").textContent())!;
  expect(secret).toMatch(/^maas_/);
  await page.getByRole("cell", { name: "viewer", exact: true }).waitFor();
  await visit("10-keys");

  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(secret);
  await page.getByRole("link", { name: "moons" }).waitFor();
  expect(await page.getByRole("link", { name: "API keys" }).count()).toBe(0); // not an admin

  // The administrator revokes the key; the next request the page makes is refused.
  const keys = (await (await fetch(`${platform.url}/api/v1/keys`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { items: { id: string; name: string }[] };
  const id = keys.items.find((k) => k.name === "viewer")!.id;
  expect((await fetch(`${platform.url}/api/v1/keys/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(204);
  await page.getByRole("link", { name: "Models" }).click();
  await page.getByRole("heading", { name: "Sign in to OpenMaaS" }).waitFor();
  await page.getByText(/You were signed out: this API key was revoked/).waitFor();
  expect(await page.evaluate("sessionStorage.length")).toBe(0);
  expect(foreign).toEqual([]);
  expect(pageErrors).toEqual([]);
}, 120_000);
