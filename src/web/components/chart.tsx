// Charts drawn by uPlot on a canvas, each with a text alternative for screen readers: a caption and,
// visually hidden, the data as a table.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface Series {
  label: string;
  values: (number | null)[];
  /** Draw points only (a scatter) instead of a line. */
  points?: boolean;
}

/** An axis value in at most 3 significant digits, in exponent form when tiny or huge (log axes reach 1e-5). */
const tick = (v: number): string => (v === 0 || (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5) ? String(Number(v.toPrecision(3))) : v.toExponential(0));

/** Colours that keep 3:1 contrast on white and stay apart for the common colour-vision deficiencies. */
const COLOURS = ["#1f77b4", "#d55e00", "#009e73", "#cc79a7", "#0072b2", "#e69f00"];

export interface ChartProps {
  /** What the chart shows, in words (its caption and accessible name). */
  title: string;
  x: number[];
  xLabel: string;
  yLabel: string;
  series: Series[];
  height?: number;
  /** A log-scaled y axis (losses spanning decades). */
  logY?: boolean;
}

/** A line (or scatter) chart that follows its container's width. */
export function Chart({ title, x, xLabel, yLabel, series, height = 260, logY = false }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${series.map((s) => `${s.label}:${s.points ? "p" : "l"}`).join("|")}|${logY}`;

  // A new plot when the series change in kind; new data only otherwise (no flicker while training).
  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height,
      scales: { x: { time: false }, y: logY ? { distr: 3 } : {} },
      axes: [{ label: xLabel }, { label: yLabel, values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? "" : tick(v))) }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: xLabel },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLOURS[i % COLOURS.length],
          width: s.points ? 0 : 2,
          points: { show: s.points ? true : undefined, size: s.points ? 5 : 6, fill: COLOURS[i % COLOURS.length] },
          paths: s.points ? () => null : undefined,
          spanGaps: true,
        })),
      ],
    };
    const u = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(240, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape, height, xLabel, yLabel]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [x, series]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${series.map((s) => s.label).join(", ")} against ${xLabel}`} />
      {/* Wrapped: a table does not shrink below its contents, so hiding the table itself would still widen the page. */}
      <div class="visually-hidden">
      <table>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{xLabel}</th>
            {series.map((s) => (
              <th scope="col" key={s.label}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {x.slice(0, 200).map((v, i) => (
            <tr key={i}>
              <td>{v}</td>
              {series.map((s) => (
                <td key={s.label}>{s.values[i] ?? ""}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </figure>
  );
}

/** Horizontal bars of values in [0, 1] (class probabilities), largest first; plain HTML, readable as a list. */
export function Bars({ title, values }: { title: string; values: Record<string, number> }) {
  const entries = Object.entries(values).sort((a, b) => b[1] - a[1]);
  return (
    <figure class="bars">
      <figcaption>{title}</figcaption>
      <ul>
        {entries.map(([label, p]) => (
          <li key={label}>
            <span class="bar-label">{label}</span>
            <span class="bar-track" aria-hidden="true">
              <span class="bar-fill" style={{ width: `${(100 * Math.max(0, Math.min(1, p))).toFixed(1)}%` }} />
            </span>
            <span class="bar-value">{(100 * p).toFixed(1)}%</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
