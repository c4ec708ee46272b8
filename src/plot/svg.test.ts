import { describe, expect, it } from "vitest";
import { MaasError } from "../errors.js";
import { MARGIN, escapeXml, scatterPlot } from "./svg.js";

/**
 * A minimal XML well-formedness check: one root, nested tags that close in order, quoted attributes,
 * and no raw `<` or unknown entity in text or attribute values. Returns the element names in order.
 */
function wellFormedElements(xml: string): string[] {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, "");
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const attributes = /^(?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*\s*$/;
  const stack: string[] = [];
  const names: string[] = [];
  let roots = 0;
  for (const [token] of body.matchAll(/<[^>]*>|[^<]+/g)) {
    if (!token.startsWith("<")) {
      if (stack.length === 0 && token.trim() !== "") throw new Error(`text outside the root: ${token}`);
      if (entity.test(token)) throw new Error(`bare & in text: ${token}`);
      continue;
    }
    const close = /^<\/([A-Za-z_][\w:.-]*)\s*>$/.exec(token);
    if (close) {
      if (stack.pop() !== close[1]) throw new Error(`</${close[1]}> closes nothing open`);
      continue;
    }
    const open = /^<([A-Za-z_][\w:.-]*)([^>]*?)(\/?)>$/.exec(token);
    if (!open) throw new Error(`not a tag: ${token}`);
    if (!attributes.test(open[2]) || entity.test(open[2])) throw new Error(`bad attributes: ${token}`);
    if (stack.length === 0 && ++roots > 1) throw new Error("more than one root element");
    names.push(open[1]);
    if (open[3] !== "/") stack.push(open[1]);
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(", ")}`);
  return names;
}

/** The attributes of every element with a class, as numbers. */
function shapes(svg: string, tag: string, cls: string): Record<string, number>[] {
  return [...svg.matchAll(new RegExp(`<${tag} class="${cls}"([^>]*)/>`, "g"))].map(
    ([, attrs]) => Object.fromEntries([...attrs.matchAll(/([\w-]+)="([-\d.]+)"/g)].map(([, k, v]) => [k, Number(v)])),
  );
}

const WIDTH = 640;
const HEIGHT = 480;
const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;

describe("scatterPlot", () => {
  const svg = scatterPlot({
    points: [
      { x: 0, y: 0 },
      { x: 5, y: 5 },
      { x: 10, y: 10 },
    ],
    lines: [{ from: { x: 0, y: 10 }, to: { x: 10, y: 0 }, label: "down" }],
    title: "t",
    xLabel: "x",
    yLabel: "y",
    width: WIDTH,
    height: HEIGHT,
  });

  it("is a well-formed standalone SVG document", () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const names = wellFormedElements(svg);
    expect(names[0]).toBe("svg");
    expect(names.filter((n) => n === "circle")).toHaveLength(3);
  });

  it("maps data to pixels: the domain [0, 10] spans the plot area, y upwards", () => {
    // Ticks of [0, 10] are 0, 2, ..., 10, so the domain is exactly [0, 10] on both axes.
    const left = MARGIN.left;
    const bottom = MARGIN.top + plotHeight;
    expect(shapes(svg, "circle", "point").map((c) => [c.cx, c.cy])).toEqual([
      [left, bottom],
      [left + plotWidth / 2, bottom - plotHeight / 2],
      [left + plotWidth, MARGIN.top],
    ]);
    expect(shapes(svg, "line", "series")).toEqual([{ x1: left, y1: MARGIN.top, x2: left + plotWidth, y2: bottom, "stroke-width": 2 }]);
  });

  it("labels the ticks of both axes", () => {
    const labels = [...svg.matchAll(/font-size="12">([^<]*)<\/text>/g)].map(([, t]) => t);
    expect(labels).toEqual(["0", "2", "4", "6", "8", "10", "0", "2", "4", "6", "8", "10", "down"]);
    expect(shapes(svg, "line", "tick")).toHaveLength(12);
  });

  it("escapes text", () => {
    const nasty = `a < b && "c" > 'd'`;
    const out = scatterPlot({ points: [{ x: 1, y: 2 }], lines: [{ from: { x: 0, y: 0 }, to: { x: 1, y: 1 }, label: nasty }], title: nasty, xLabel: nasty, yLabel: nasty });
    expect(() => wellFormedElements(out)).not.toThrow();
    expect(out).not.toContain(nasty);
    expect(out.split(escapeXml(nasty)).length - 1).toBe(4);
    expect(escapeXml(nasty)).toBe("a &lt; b &amp;&amp; &quot;c&quot; &gt; &apos;d&apos;");
  });

  it("the checker itself rejects malformed XML", () => {
    expect(() => wellFormedElements("<svg><g></svg>")).toThrow();
    expect(() => wellFormedElements("<svg><text>a < b</text></svg>")).toThrow();
    expect(() => wellFormedElements("<svg><text>a & b</text></svg>")).toThrow();
    expect(() => wellFormedElements('<svg x=1"></svg>')).toThrow();
    expect(() => wellFormedElements("<svg/><svg/>")).toThrow();
  });

  it("rejects non-finite points and a size with no room to plot", () => {
    const bad = () => scatterPlot({ points: [{ x: 1, y: Number.NaN }], title: "", xLabel: "", yLabel: "" });
    expect(bad).toThrow(MaasError);
    expect(bad).toThrow(/finite; got \(1, NaN\)/);
    expect(() => scatterPlot({ points: [], title: "", xLabel: "", yLabel: "", width: 50 })).toThrow(/no room/);
  });
});
