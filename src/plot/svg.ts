// Standalone SVG charts as strings: no DOM, no dependencies, usable from examples, the CLI and the
// dashboard alike.
import { MaasError } from "../errors.js";
import type { NiceScale } from "./ticks.js";
import { niceScale } from "./ticks.js";

export interface Point {
  x: number;
  y: number;
}

/** A straight segment drawn over the points, named in the legend. */
export interface Segment {
  from: Point;
  to: Point;
  label: string;
}

export interface ScatterPlot {
  points: readonly Point[];
  lines?: readonly Segment[];
  title: string;
  xLabel: string;
  yLabel: string;
  /** Pixels; default 640. */
  width?: number;
  /** Pixels; default 480. */
  height?: number;
}

/** Space around the plot area, in pixels, for the title, tick labels and axis labels. */
export const MARGIN = { top: 40, right: 20, bottom: 50, left: 60 } as const;

const POINT_COLOUR = "#4c72b0";
const LINE_COLOURS = ["#dd5a2b", "#2a9d5c", "#8e44ad", "#c59a00"];
const FONT = 'font-family="sans-serif"';

/** Text made safe for SVG element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** A coordinate with at most two decimals, as SVG attributes take it. */
const px = (v: number): string => String(Math.round(v * 100) / 100);

/** The [min, max] of some values, or [0, 1] for none. */
function extent(values: number[]): [number, number] {
  return values.length === 0 ? [0, 1] : [Math.min(...values), Math.max(...values)];
}

/**
 * A scatter plot of `points` with `lines` over them, as a standalone SVG document. Both axes span
 * every point and line end, widened to nice ticks.
 * @example writeFileSync("fit.svg", scatterPlot({ points, lines: [{ from, to, label: "fit" }], title: "Fit", xLabel: "x", yLabel: "y" }));
 */
export function scatterPlot(plot: ScatterPlot): string {
  const width = plot.width ?? 640;
  const height = plot.height ?? 480;
  const lines = plot.lines ?? [];
  const all = [...plot.points, ...lines.flatMap((l) => [l.from, l.to])];
  const bad = all.find((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y));
  if (bad) throw new MaasError("bad_input", `a plotted point must be finite; got (${bad.x}, ${bad.y})`);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  if (plotWidth <= 0 || plotHeight <= 0) throw new MaasError("bad_input", `a plot of ${width}x${height} px leaves no room inside its margins`);

  const xs = niceScale(...extent(all.map((p) => p.x)));
  const ys = niceScale(...extent(all.map((p) => p.y)));
  // Data to pixels: x grows rightwards from the left margin, y upwards from the bottom margin.
  const toX = (x: number): number => MARGIN.left + ((x - xs.min) / (xs.max - xs.min)) * plotWidth;
  const toY = (y: number): number => MARGIN.top + plotHeight - ((y - ys.min) / (ys.max - ys.min)) * plotHeight;
  const bottom = MARGIN.top + plotHeight;
  const right = MARGIN.left + plotWidth;

  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${px(width / 2)}" y="${px(MARGIN.top / 2 + 6)}" text-anchor="middle" ${FONT} font-size="16">${escapeXml(plot.title)}</text>`,
  ];

  // ---- axes: grid, ticks, tick labels, axis labels ----
  const axis = (scale: NiceScale, horizontal: boolean): void => {
    scale.ticks.forEach((t, i) => {
      const label = escapeXml(scale.labels[i]);
      if (horizontal) {
        const x = px(toX(t));
        out.push(`<line class="grid" x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${bottom}" stroke="#e5e5e5"/>`);
        out.push(`<line class="tick" x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="black"/>`);
        out.push(`<text x="${x}" y="${bottom + 18}" text-anchor="middle" ${FONT} font-size="12">${label}</text>`);
      } else {
        const y = px(toY(t));
        out.push(`<line class="grid" x1="${MARGIN.left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`);
        out.push(`<line class="tick" x1="${MARGIN.left - 5}" y1="${y}" x2="${MARGIN.left}" y2="${y}" stroke="black"/>`);
        out.push(`<text x="${MARGIN.left - 8}" y="${px(toY(t) + 4)}" text-anchor="end" ${FONT} font-size="12">${label}</text>`);
      }
    });
  };
  axis(xs, true);
  axis(ys, false);
  out.push(`<line class="axis" x1="${MARGIN.left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="black"/>`);
  out.push(`<line class="axis" x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}" stroke="black"/>`);
  out.push(`<text x="${px(MARGIN.left + plotWidth / 2)}" y="${height - 10}" text-anchor="middle" ${FONT} font-size="13">${escapeXml(plot.xLabel)}</text>`);
  const yLabelY = px(MARGIN.top + plotHeight / 2);
  out.push(`<text x="16" y="${yLabelY}" text-anchor="middle" transform="rotate(-90 16 ${yLabelY})" ${FONT} font-size="13">${escapeXml(plot.yLabel)}</text>`);

  // ---- data: points, then lines over them, then the legend ----
  for (const p of plot.points) {
    out.push(`<circle class="point" cx="${px(toX(p.x))}" cy="${px(toY(p.y))}" r="3" fill="${POINT_COLOUR}" fill-opacity="0.7"/>`);
  }
  lines.forEach((l, i) => {
    const colour = LINE_COLOURS[i % LINE_COLOURS.length];
    out.push(
      `<line class="series" x1="${px(toX(l.from.x))}" y1="${px(toY(l.from.y))}" x2="${px(toX(l.to.x))}" y2="${px(toY(l.to.y))}" stroke="${colour}" stroke-width="2"/>`,
    );
    const y = MARGIN.top + 16 + 18 * i;
    out.push(`<line class="legend" x1="${MARGIN.left + 12}" y1="${y}" x2="${MARGIN.left + 36}" y2="${y}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${MARGIN.left + 42}" y="${y + 4}" ${FONT} font-size="12">${escapeXml(l.label)}</text>`);
  });
  out.push(`</svg>`, "");
  return out.join("\n");
}
