// #/jobs/<id>: one training job: status, progress, and its loss and metric curves, live while it trains.
import type { ComponentChild } from "preact";
import { useState } from "preact/hooks";
import { useSession } from "../session.js";
import { href } from "../router.js";
import { useLoad } from "../components/async.js";
import { ErrorMessage, Loading, duration, num, when } from "../components/feedback.js";
import { Chart } from "../components/chart.js";
import { ACTIVE, Status, epochOf, useTick } from "./job-progress.js";
import type { Curves } from "./job-events.js";
import { useJobCurves } from "./job-events.js";
import "./job.css";

export function JobPage({ id }: { id: string }) {
  const { client, can } = useSession();
  const job = useLoad(() => client.jobs.get(id), [id]);
  // Each status event changes what the job record says (start and finish times, error, model).
  const curves = useJobCurves(client, id, job.reload);
  const [cancelError, setCancelError] = useState<unknown>();
  const j = job.data;
  const status = curves.status ?? j?.status;
  const active = status !== undefined && ACTIVE.has(status);
  useTick(active);

  if (!j) {
    return (
      <>
        <h1>Job</h1>
        {job.error ? <ErrorMessage error={job.error} /> : <Loading what="the job" />}
      </>
    );
  }
  const progress = curves.last ?? epochOf(j.progress);
  const cancel = async () => {
    setCancelError(undefined);
    try {
      await client.jobs.cancel(id);
    } catch (e) {
      setCancelError(e);
    }
  };

  return (
    <>
      <h1>Training {j.name}</h1>
      <section aria-label="Job status">
        <div class="row job-head">
          <p>
            <span role="status">
              <Status status={status!} />
            </span>
            {progress && ` epoch ${progress.epoch} of ${progress.epochs}`}
          </p>
          {active && can("write") && (
            <button type="button" class="danger" onClick={cancel}>
              Cancel job
            </button>
          )}
          {j.model && status === "succeeded" && (
            <a class="button" href={href("models", j.model.name)}>
              Open model {j.model.name} v{j.model.version}
            </a>
          )}
        </div>
        {progress && <progress aria-label="Epochs done" max={progress.epochs} value={progress.epoch} />}
        <ErrorMessage error={cancelError} />
        {j.error && (
          <p class="error" role="alert">
            {j.error.message}
          </p>
        )}
        <dl class="job-facts">
          <Fact term="Job" value={j.id} />
          <Fact term="Dataset" value={<a href={href("datasets", j.dataset)}>{j.dataset}</a>} />
          <Fact term="Created" value={when(j.createdAt)} />
          <Fact term="Duration" value={duration(j.startedAt, j.finishedAt)} />
          {curves.last?.samplesPerSecond !== undefined && <Fact term="Samples per second" value={num(curves.last.samplesPerSecond)} />}
          {curves.last?.lr !== undefined && <Fact term="Learning rate" value={num(curves.last.lr)} />}
          {Object.entries(j.metrics ?? {}).map(([k, v]) => (
            <Fact key={k} term={k} value={num(v)} />
          ))}
        </dl>
      </section>
      <CurvesSection curves={curves} waiting={status === "queued"} />
    </>
  );
}

function Fact({ term, value }: { term: string; value: ComponentChild }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function CurvesSection({ curves, waiting }: { curves: Curves; waiting: boolean }) {
  const validation = curves.validationLoss.some((v) => v !== null);
  const loss = [{ label: "training loss", values: curves.trainLoss }, ...(validation ? [{ label: "validation loss", values: curves.validationLoss }] : [])];
  return (
    <section aria-labelledby="curves-title">
      <h2 id="curves-title">Learning curves</h2>
      <ErrorMessage error={curves.error} />
      {curves.epoch.length === 0 ? (
        <p class="hint">{waiting ? "The job waits for a free training slot; curves appear with its first epoch." : "No epoch reported yet."}</p>
      ) : (
        <div class="grid">
          <Chart title="Loss per epoch" x={curves.epoch} xLabel="epoch" yLabel="loss" series={loss} logY={curves.trainLoss.every((v) => v === null || v > 0)} />
          {curves.metric && (
            <Chart
              title={`${curves.metric.name} per epoch${validation ? " (validation)" : ""}`}
              x={curves.epoch}
              xLabel="epoch"
              yLabel={curves.metric.name}
              series={[{ label: curves.metric.name, values: curves.metric.values, points: curves.metric.values.filter((v) => v !== null).length < 3 }]}
            />
          )}
        </div>
      )}
    </section>
  );
}
