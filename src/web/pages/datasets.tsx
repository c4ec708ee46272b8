// #/datasets: the tenant's datasets, an upload form, and sample datasets for a first visit.
import { useState } from "preact/hooks";
import { useSession } from "../session.js";
import { href, navigate } from "../router.js";
import { all, useLoad } from "../components/async.js";
import { Empty, ErrorMessage, Loading, size, when } from "../components/feedback.js";
import type { Upload } from "./data-upload.js";
import { useUpload } from "./data-upload.js";
import { Dropzone } from "./data-dropzone.js";
import "./data.css";

/** Tables shipped in public/samples (how they were made: public/samples/README.md). */
const SAMPLES = [
  {
    file: "linear-regression.csv",
    name: "linear-regression",
    title: "A straight line",
    about: "100 points y = 3x + 2 + noise: the linear-regression example's data. Predict y with a linear model.",
  },
  {
    file: "moons.csv",
    name: "moons",
    title: "Two moons",
    about: "240 points on two interleaved half circles, labelled upper or lower. Predict moon with an MLP.",
  },
];

export function DatasetsPage() {
  const { client, key, can } = useSession();
  const datasets = useLoad(() => all(client.datasets.all()), []);
  const upload = useUpload(key);
  const opened = (id: string) => navigate(href("datasets", id));
  const list = datasets.data ? [...datasets.data].reverse() : undefined;

  return (
    <>
      <h1>Datasets</h1>
      {can("write") ? (
        <section aria-labelledby="upload-title">
          <h2 id="upload-title">Upload a dataset</h2>
          <Dropzone upload={upload} onUploaded={opened} />
        </section>
      ) : (
        <p class="notice">This key may read datasets but not upload them.</p>
      )}
      <section aria-labelledby="list-title">
        <h2 id="list-title">Your datasets</h2>
        <ErrorMessage error={datasets.error} />
        {!list && !datasets.error && <Loading what="datasets" />}
        {list && list.length === 0 && (
          <Empty title="No datasets yet">
            <p>Upload a table above{can("write") ? ", or start with one of these samples:" : "."}</p>
            {can("write") && <Samples upload={upload} onUploaded={opened} />}
          </Empty>
        )}
        {list && list.length > 0 && (
          <div class="table-scroll">
            <table>
              <caption class="visually-hidden">Datasets, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Format</th>
                  <th scope="col" class="num">
                    Rows
                  </th>
                  <th scope="col" class="num">
                    Columns
                  </th>
                  <th scope="col" class="num">
                    Size
                  </th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {list.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <a href={href("datasets", d.id)}>{d.name}</a>
                    </td>
                    <td>{d.format}</td>
                    <td class="num">{d.rows.toLocaleString()}</td>
                    <td class="num">{d.columns.length}</td>
                    <td class="num">{size(d.bytes)}</td>
                    <td>{when(d.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

/** The sample tables, each uploaded through the same path as a user's file. */
function Samples({ upload, onUploaded }: { upload: Upload; onUploaded: (id: string) => void }) {
  const [error, setError] = useState<unknown>();
  const use = async (file: string, name: string) => {
    setError(undefined);
    const response = await fetch(`/samples/${file}`);
    if (!response.ok) return setError(new Error(`the sample ${file} could not be loaded (HTTP ${response.status})`));
    const dataset = await upload.start(name, await response.blob(), "text/csv");
    if (dataset) onUploaded(dataset.id);
  };
  return (
    <>
    <ErrorMessage error={error} />
    <ul class="data-samples">
      {SAMPLES.map((s) => (
        <li key={s.file} class="card">
          <p class="empty-title">{s.title}</p>
          <p>{s.about}</p>
          <button type="button" disabled={upload.progress !== undefined} onClick={() => use(s.file, s.name)}>
            Use this sample <span class="visually-hidden">({s.title})</span>
          </button>
        </li>
      ))}
    </ul>
    </>
  );
}
