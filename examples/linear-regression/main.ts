// Runs the linear-regression example: prints the learnt line beside the closed-form one and writes
// the plot next to this file as fit.svg.
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { runExample } from "./example.js";

const result = await runExample();
const row = (name: string, w: number, b: number): string => `${name.padEnd(30)}${w.toFixed(4).padStart(8)}${b.toFixed(4).padStart(8)}`;
console.log(`${"".padEnd(30)}${"weight".padStart(8)}${"bias".padStart(8)}`);
console.log(row(`gradient descent (${result.epochs} epochs)`, result.weight, result.bias));
console.log(row("least squares (closed form)", result.exact.weight, result.exact.bias));
console.log(`mean squared error: ${result.loss.toFixed(4)}`);

// This file runs compiled, from examples/.out/examples/linear-regression/; the plot goes beside its source.
const svgPath = fileURLToPath(new URL("../../../linear-regression/fit.svg", import.meta.url));
writeFileSync(svgPath, result.svg);
console.log(`plot: ${relative(process.cwd(), svgPath)}`);
