// Two versions' training curves on one chart: the loss of every epoch, read back from the events of
// the jobs that trained them.
import { useState } from "preact/hooks";
import type { EpochEventData, Version } from "../../api/schemas.js";
import { useSession } from "../session.js";
import { useLoad } from "../components/async.js";
import { Chart } from "../components/chart.js";
import { Empty, ErrorMessage, Loading } from "../components/feedback.js";
import { epochsOf } from "./model-data.js";

interface Curve {
  version: number;
  epochs: EpochEventData[];
}

export function CompareCurves({ versions }: { versions: Version[] }) {
  const { client } = useSession();
  const trained = versions.filter((v) => v.job !== null);
  const [a, setA] = useState(trained[1]?.version ?? trained[0]?.version);
  const [b, setB] = useState(trained[0]?.version);
  const picked = [...new Set([a, b])].map((n) => trained.find((v) => v.version === n)).filter((v) => v !== undefined);
  const curves = useLoad<Curve[]>(() => Promise.all(picked.map(async (v) => ({ version: v.version, epochs: await epochsOf(client, v.job!) }))), [a, b]);

  if (trained.length === 0) return <Empty title="No trained versions">Imported versions have no training curves.</Empty>;
  const pick = (id: string, label: string, value: number | undefined, set: (v: number) => void) => (
    <div>
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => set(Number(e.currentTarget.value))}>
        {trained.map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <>
      <div class="row">
        {pick("compare-a", "First version", a, setA)}
        {pick("compare-b", "Second version", b, setB)}
      </div>
      <ErrorMessage error={curves.error} />
      {curves.data ? <CurveChart curves={curves.data} /> : curves.loading && <Loading what="training curves" />}
    </>
  );
}

/** Validation loss when every picked version has it, else training loss, against epoch. */
function CurveChart({ curves }: { curves: Curve[] }) {
  if (curves.every((c) => c.epochs.length === 0)) return <Empty title="No epochs recorded">The jobs left no epoch events.</Empty>;
  const validation = curves.every((c) => c.epochs.some((e) => e.validationLoss !== null && e.validationLoss !== undefined));
  const lossOf = (e: EpochEventData) => (validation ? e.validationLoss : e.trainLoss) ?? null;
  const x = [...new Set(curves.flatMap((c) => c.epochs.map((e) => e.epoch)))].sort((p, q) => p - q);
  const series = curves.map((c) => {
    const byEpoch = new Map(c.epochs.map((e) => [e.epoch, lossOf(e)]));
    return { label: `v${c.version}`, values: x.map((epoch) => byEpoch.get(epoch) ?? null) };
  });
  const what = validation ? "Validation loss" : "Training loss";
  return <Chart title={`${what} per epoch: ${series.map((s) => s.label).join(" and ")}`} x={x} xLabel="epoch" yLabel={what.toLowerCase()} series={series} logY />;
}
