// Shared pieces of the benchmark programs: medians, the machine line, and docs/benchmarks.md sections.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One line describing where a benchmark ran. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const ort = (createRequire(import.meta.url)("onnxruntime-node/package.json") as { version: string }).version;
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${cpu}, ${os.cpus().length} cores, ${gib} GiB, ${os.platform()} ${os.release()}, Node.js ${process.version}, onnxruntime-node ${ort}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces (or appends) the section `id` of a Markdown file, atomically. */
export function replaceSection(path: string, id: string, title: string, body: string): void {
  const begin = `<!-- bench:${id} -->`;
  const end = `<!-- /bench:${id} -->`;
  const section = `${begin}\n## ${title}\n\n${body}\n${end}`;
  const old = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n\nEach section is written by the program it names; numbers are medians, peers run in the same process tree.\n";
  const i = old.indexOf(begin);
  const j = old.indexOf(end);
  const next = i >= 0 && j > i ? old.slice(0, i) + section + old.slice(j + end.length) : `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(`${path}.tmp`, next);
  renameSync(`${path}.tmp`, path);
}

const int = (x: number): string => Math.round(x).toLocaleString("en");

/**
 * Training samples/s of OpenMaaS and the peer at 1 and 2 threads, interleaved run by run so both
 * see the same machine load; medians, and a Markdown row per thread count.
 */
export async function compareSpeed(
  repeats: number,
  ours: (threads: number) => Promise<number>,
  peer: (threads: number) => { rate: number; torch: string },
): Promise<{ rows: string[]; ratios: number[]; torch: string }> {
  const rows: string[] = [];
  const ratios: number[] = [];
  let torch = "";
  for (const threads of [1, 2]) {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < repeats; r++) {
      a.push(await ours(threads));
      const t = peer(threads);
      b.push(t.rate);
      torch = t.torch;
      console.log(`  threads ${threads}, run ${r + 1}: OpenMaaS ${int(a[r])}, PyTorch ${int(t.rate)} samples/s`);
    }
    const [ma, mb] = [median(a), median(b)];
    ratios.push(ma / mb);
    const row = `| ${threads} | ${int(ma)} (${a.map(int).join(", ")}) | ${int(mb)} (${b.map(int).join(", ")}) | ${(ma / mb).toFixed(2)}x |`;
    rows.push(row);
    console.log(row);
  }
  return { rows, ratios, torch };
}
