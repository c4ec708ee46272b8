// #/datasets/<id>: one dataset's facts, columns, first rows, and the way on to training.
import { useState } from "preact/hooks";
import type { Dataset } from "../../api/schemas.js";
import { useSession } from "../session.js";
import { href, navigate } from "../router.js";
import { useLoad } from "../components/async.js";
import { Empty, ErrorMessage, Loading, size, when } from "../components/feedback.js";
import "./data.css";

const PREVIEW_ROWS = 20;

export function DatasetPage({ id }: { id: string }) {
  const { client, can } = useSession();
  const dataset = useLoad(() => client.datasets.get(id), [id]);
  const d = dataset.data;
  if (dataset.error) {
    return (
      <>
        <h1>Dataset</h1>
        <ErrorMessage error={dataset.error} />
        <a href={href("datasets")}>Back to the datasets</a>
      </>
    );
  }
  if (!d) return <Loading what="the dataset" />;
  return (
    <>
      <h1>{d.name}</h1>
      <section aria-label="About this dataset">
        <dl class="data-facts">
          <Fact term="Rows" value={d.rows.toLocaleString()} />
          <Fact term="Columns" value={String(d.columns.length)} />
          <Fact term="Format" value={d.format} />
          <Fact term="Size" value={size(d.bytes)} />
          <Fact term="Uploaded" value={when(d.createdAt)} />
          <Fact term="Id" value={d.id} />
        </dl>
      </section>
      {can("write") && <TrainAction dataset={d} />}
      <section aria-labelledby="columns-title">
        <h2 id="columns-title">Columns</h2>
        <p class="hint">Types as inferred from the values.</p>
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">Type</th>
              </tr>
            </thead>
            <tbody>
              {d.columns.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>{c.type}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <Preview dataset={d} />
      {can("write") && <Delete dataset={d} />}
    </>
  );
}

function Fact({ term, value }: { term: string; value: string }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** Picks the column to predict and opens the training form with it. */
function TrainAction({ dataset }: { dataset: Dataset }) {
  const images = dataset.format === "zip";
  const [target, setTarget] = useState(dataset.columns[dataset.columns.length - 1]?.name ?? "");
  const train = (e: Event) => {
    e.preventDefault();
    navigate(href("train", { dataset: dataset.id, target: images ? undefined : target }));
  };
  return (
    <section aria-labelledby="train-title">
      <h2 id="train-title">Train a model</h2>
      <form class="row data-train" onSubmit={train}>
        {images ? (
          <p>An image dataset: the model learns each image's label (its folder in the zip).</p>
        ) : (
          <div>
            <label for="train-target">Column to predict</label>
            <select id="train-target" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
              {dataset.columns.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name} ({c.type})
                </option>
              ))}
            </select>
          </div>
        )}
        <button type="submit">Train a model…</button>
      </form>
    </section>
  );
}

function Preview({ dataset }: { dataset: Dataset }) {
  const { client } = useSession();
  const images = dataset.format === "zip";
  const rows = useLoad(() => (images ? Promise.resolve(undefined) : client.datasets.rows(dataset.id, { limit: PREVIEW_ROWS })), [dataset.id]);
  const r = rows.data;
  return (
    <section aria-labelledby="preview-title">
      <h2 id="preview-title">First rows</h2>
      {images && <Empty title="An image dataset has no rows to show">Its images are grouped by their folder, which is the label.</Empty>}
      <ErrorMessage error={rows.error} />
      {!images && !r && !rows.error && <Loading what="rows" />}
      {r && r.rows.length === 0 && <Empty title="This table has no rows" />}
      {r && r.rows.length > 0 && (
        <>
          <p class="hint">
            {r.rows.length} of {r.total.toLocaleString()} rows, as written in the file.
          </p>
          <div class="table-scroll">
            <table class="data-preview">
              <thead>
                <tr>
                  {r.columns.map((c) => (
                    <th scope="col" key={c.name} class={c.type === "numeric" ? "num" : undefined}>
                      {c.name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {r.rows.map((row, i) => (
                  <tr key={i}>
                    {row.map((cell, j) => (
                      <td key={j} class={r.columns[j]?.type === "numeric" ? "num" : undefined}>
                        {cell ?? <span class="missing">missing</span>}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function Delete({ dataset }: { dataset: Dataset }) {
  const { client } = useSession();
  const [error, setError] = useState<unknown>();
  const remove = async () => {
    if (!confirm(`Delete dataset ${dataset.name}? This cannot be undone.`)) return;
    try {
      await client.datasets.delete(dataset.id);
      navigate(href("datasets"));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="delete-title">
      <h2 id="delete-title">Delete</h2>
      <ErrorMessage error={error} />
      <button type="button" class="danger" onClick={remove}>
        Delete this dataset
      </button>
    </section>
  );
}
