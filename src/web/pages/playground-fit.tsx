// A regression on one numeric feature drawn over its training data: the rows as points, the model's
// predictions across the data's range as a line.
import type { Version } from "../../api/schemas.js";
import type { ModelCard } from "../../models/card.js";
import type { MaasClient } from "../../client/client.js";
import { useSession } from "../session.js";
import { useLoad } from "../components/async.js";
import { Chart } from "../components/chart.js";
import { Empty, ErrorMessage, Loading } from "../components/feedback.js";

/** Points of the model's line across the data. */
const STEPS = 50;

interface Fit {
  /** Every x, ascending (uPlot needs one sorted x array); each series is null where it has no value. */
  x: number[];
  data: (number | null)[];
  model: (number | null)[];
  rows: number;
}

async function loadFit(client: MaasClient, name: string, version: Version, card: ModelCard): Promise<Fit> {
  const feature = card.features[0].name;
  const table = await client.datasets.rows(version.dataset!, { limit: 1000 });
  const [xi, yi] = [feature, card.target].map((c) => table.columns.findIndex((col) => col.name === c));
  if (xi < 0 || yi < 0) throw new Error(`the dataset has no column '${xi < 0 ? feature : card.target}'`);
  const points = table.rows.map((r) => [Number(r[xi]), Number(r[yi])] as const).filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
  if (points.length === 0) return { x: [], data: [], model: [], rows: 0 };
  const xs = points.map(([px]) => px);
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  const grid = Array.from({ length: STEPS }, (_v, i) => lo + ((hi - lo) * i) / (STEPS - 1));
  const { predictions } = await client.models.predict(name, { version: version.version, instances: grid.map((g) => ({ [feature]: g })) });
  const merged = [...points.map(([px, py]) => ({ x: px, data: py, model: null })), ...grid.map((g, i) => ({ x: g, data: null, model: Number(predictions[i].prediction) }))].sort(
    (a, b) => a.x - b.x,
  );
  return { x: merged.map((m) => m.x), data: merged.map((m) => m.data), model: merged.map((m) => m.model), rows: points.length };
}

export function FitPlot({ name, version, card }: { name: string; version: Version; card: ModelCard }) {
  const { client } = useSession();
  const fit = useLoad(() => loadFit(client, name, version, card), [name, version.version]);
  const feature = card.features[0].name;
  if (fit.error) return <ErrorMessage error={fit.error} />;
  if (!fit.data) return fit.loading ? <Loading what="the training data" /> : null;
  if (fit.data.rows === 0) return <Empty title="No numeric rows to plot">The dataset has no rows with numbers in both {feature} and {card.target}.</Empty>;
  return (
    <>
      <Chart
        title={`${card.target} against ${feature}: training data and v${version.version}'s predictions`}
        x={fit.data.x}
        xLabel={feature}
        yLabel={card.target}
        series={[
          { label: "training data", values: fit.data.data, points: true },
          { label: `model v${version.version}`, values: fit.data.model },
        ]}
        height={320}
      />
      <p class="hint">The first {fit.data.rows} rows of the dataset v{version.version} was trained on.</p>
    </>
  );
}
