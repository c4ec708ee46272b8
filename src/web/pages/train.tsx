// #/train?dataset=&target=: the training form, generated from the model and training schemas; launching
// it submits a job and opens the job's page.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { Dataset } from "../../api/schemas.js";
import { useSession } from "../session.js";
import { href, navigate } from "../router.js";
import { all, useLoad } from "../components/async.js";
import { Empty, ErrorMessage, Loading } from "../components/feedback.js";
import type { Kind, Raw } from "./train-schema.js";
import { KINDS, MAIN_TRAINING, RATED, RECOMMENDERS, TEXT_KINDS, MODEL_PROPS, TRAINING_PROPS, modelFields, modelRaw, toValues, trainingApplies, trainingRaw } from "./train-schema.js";
import { Field } from "./train-fields.js";
import { NAME_PATTERN, nameFromFile } from "./data-upload.js";
import "./train.css";

const KIND_HELP: Record<Kind, string> = {
  linear: "least squares (regression)",
  logistic: "softmax regression (classification)",
  mlp: "dense layers, for tables",
  cnn: "convolutional network, for images",
  rnn: "recurrent network, for sequences",
  lstm: "LSTM, for sequences",
  gru: "GRU, for sequences",
  fasttext: "mean of word and n-gram embeddings, for text",
  lexicon: "sum of AFINN word valences (sentiment baseline)",
  transformer: "language model of a text column (generation)",
  "lstm-lm": "LSTM language model of a text column (generation)",
  mf: "matrix factorisation of ratings (recommender)",
  svdpp: "SVD++ of ratings (recommender)",
  bpr: "ranking from clicks or purchases (recommender)",
  als: "weighted least squares on clicks (recommender)",
  popularity: "most popular items (recommender baseline)",
};

export function TrainPage({ dataset, target }: { dataset?: string; target?: string }) {
  const { client, can } = useSession();
  const datasets = useLoad(() => all(client.datasets.all()), []);
  if (datasets.error) return <Titled><ErrorMessage error={datasets.error} /></Titled>;
  if (!datasets.data) return <Titled><Loading what="datasets" /></Titled>;
  if (datasets.data.length === 0) {
    return (
      <Titled>
        <Empty title="Nothing to train on yet">
          <a href={href("datasets")}>Upload a dataset first</a>
        </Empty>
      </Titled>
    );
  }
  if (!can("write")) return <Titled><p class="notice">This key may not start training: that takes the write scope.</p></Titled>;
  return <TrainForm datasets={datasets.data} initialDataset={dataset} initialTarget={target} />;
}

function Titled({ children }: { children: ComponentChildren }) {
  return (
    <>
      <h1>Train a model</h1>
      {children}
    </>
  );
}

function defaultKind(d: Dataset): Kind {
  return d.format === "zip" ? "cnn" : "mlp";
}

function TrainForm({ datasets, initialDataset, initialTarget }: { datasets: Dataset[]; initialDataset?: string; initialTarget?: string }) {
  const { client } = useSession();
  const newest = datasets[datasets.length - 1];
  const [datasetId, setDatasetId] = useState((datasets.find((d) => d.id === initialDataset || d.name === initialDataset) ?? newest).id);
  const d = datasets.find((x) => x.id === datasetId) ?? newest;
  const images = d.format === "zip";
  const [target, setTarget] = useState(initialTarget);
  const column = d.columns.some((c) => c.name === target) ? target! : d.columns[d.columns.length - 1]?.name;
  const [name, setName] = useState<string | undefined>();
  const modelName = name ?? nameFromFile(d.name);
  const [kind, setKind] = useState<Kind>(defaultKind(d));
  const [model, setModel] = useState<Raw>(() => modelRaw(kind));
  const [training, setTraining] = useState<Raw>(() => trainingRaw(kind));
  const [windows, setWindows] = useState({ window: "", horizon: "1" });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const recurrent = kind === "rnn" || kind === "lstm" || kind === "gru";
  const recommender = RECOMMENDERS.includes(kind);
  const named = (n: string, fallback: number) => (d.columns.some((c) => c.name === n) ? n : (d.columns[fallback]?.name ?? n));
  const [roles, setRoles] = useState<{ user?: string; item?: string; text?: string }>({});
  const textual = TEXT_KINDS.includes(kind);
  const textColumn = roles.text ?? named("text", 0);
  const userColumn = roles.user ?? named("user", 0);
  const itemColumn = roles.item ?? named("item", 1);

  const chooseKind = (k: Kind) => {
    setKind(k);
    setModel(modelRaw(k));
    setTraining(trainingRaw(k));
  };
  const chooseDataset = (id: string) => {
    setDatasetId(id);
    setTarget(undefined);
    const next = datasets.find((x) => x.id === id)!;
    if (defaultKind(next) !== defaultKind(d)) chooseKind(defaultKind(next));
  };
  const applies = (names: string[]) => names.filter((n) => trainingApplies(n, kind, training));

  const launch = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const job = await client.jobs.create({
        dataset: d.id,
        name: modelName,
        target: images || (recommender && !RATED.includes(kind)) ? undefined : column,
        ...(recommender ? { interactions: { user: userColumn, item: itemColumn } } : {}),
        ...(textual ? { text: { column: textColumn } } : {}),
        model: { kind, ...toValues(MODEL_PROPS, modelFields(kind), model) } as { kind: Kind },
        training: toValues(TRAINING_PROPS, applies(Object.keys(TRAINING_PROPS)), training),
        windows: recurrent && windows.window ? { window: Number(windows.window), horizon: Number(windows.horizon || 1) } : undefined,
      });
      navigate(href("jobs", job.id));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const fields = (names: string[]) =>
    applies(names).map((n) => <Field key={`${kind}-${n}`} prop={TRAINING_PROPS[n]} path={n} raw={training} set={(p, t) => setTraining((r) => ({ ...r, [p]: t }))} />);

  return (
    <form onSubmit={launch} class="train-form">
      <h1>Train a model</h1>
      <section aria-labelledby="train-data">
        <h2 id="train-data">Data</h2>
        <div class="train-grid">
          <div class="train-field">
            <label for="train-dataset">Dataset</label>
            <select id="train-dataset" value={d.id} onChange={(e) => chooseDataset(e.currentTarget.value)}>
              {[...datasets].reverse().map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name} ({x.rows.toLocaleString()} rows, {x.format})
                </option>
              ))}
            </select>
          </div>
          {textual && <ColumnSelect id="train-text" label="Text column" columns={d.columns} value={textColumn} onChange={(v) => setRoles((r) => ({ ...r, text: v }))} />}
          {recommender && (
            <>
              <ColumnSelect id="train-user" label="User column" columns={d.columns} value={userColumn} onChange={(v) => setRoles((r) => ({ ...r, user: v }))} />
              <ColumnSelect id="train-item" label="Item column" columns={d.columns} value={itemColumn} onChange={(v) => setRoles((r) => ({ ...r, item: v }))} />
            </>
          )}
          {images ? (
            <p class="hint">Images: the model predicts each image's label.</p>
          ) : recommender && !RATED.includes(kind) ? (
            <p class="hint">Implicit feedback: every (user, item) row counts as an interaction.</p>
          ) : (
            <div class="train-field">
              <label for="train-target">{recommender ? "Rating column" : "Column to predict"}</label>
              <select id="train-target" value={column} onChange={(e) => setTarget(e.currentTarget.value)}>
                {d.columns.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name} ({c.type})
                  </option>
                ))}
              </select>
            </div>
          )}
          <div class="train-field">
            <label for="train-name">Model name</label>
            <input id="train-name" required value={modelName} aria-describedby="train-name-help" onInput={(e) => setName(e.currentTarget.value)} />
            <p id="train-name-help" class="field-help">
              {NAME_PATTERN.test(modelName) ? "A model of this name gets a new version." : "Letters, digits, '.', '_' or '-', starting with a letter or digit."}
            </p>
          </div>
        </div>
      </section>
      <section aria-labelledby="train-model">
        <h2 id="train-model">Model</h2>
        <div class="train-grid">
          <div class="train-field">
            <label for="train-kind">Kind</label>
            <select id="train-kind" value={kind} aria-describedby="train-kind-help" onChange={(e) => chooseKind(e.currentTarget.value as Kind)}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}: {KIND_HELP[k]}
                </option>
              ))}
            </select>
            <p id="train-kind-help" class="field-help">
              {kind === "cnn" ? "Layers: a default that fits the image size." : "Changing the kind resets the settings below to its defaults."}
            </p>
          </div>
          {modelFields(kind).map((n) => (
            <Field key={`${kind}-${n}`} prop={MODEL_PROPS[n]} path={n} raw={model} set={(p, t) => setModel((r) => ({ ...r, [p]: t }))} />
          ))}
          {recurrent && <Windows windows={windows} setWindows={setWindows} />}
        </div>
      </section>
      <section aria-labelledby="train-training">
        <h2 id="train-training">Training</h2>
        <div class="train-grid">{fields(MAIN_TRAINING)}</div>
        <details>
          <summary>Advanced settings</summary>
          <div class="train-grid">{fields(Object.keys(TRAINING_PROPS).filter((n) => !MAIN_TRAINING.includes(n)))}</div>
        </details>
      </section>
      <ErrorMessage error={error} />
      <button type="submit" disabled={busy || !NAME_PATTERN.test(modelName)}>
        {busy ? "Starting…" : "Start training"}
      </button>
    </form>
  );
}

/** Sequence models on one series: cut it into windows (left empty: one sequence per row). */
function Windows({ windows, setWindows }: { windows: { window: string; horizon: string }; setWindows: (w: { window: string; horizon: string }) => void }) {
  return (
    <>
      <div class="train-field">
        <label for="train-window">Window (rows)</label>
        <input id="train-window" type="number" min={1} step={1} value={windows.window} aria-describedby="train-window-help" onInput={(e) => setWindows({ ...windows, window: e.currentTarget.value })} />
        <p id="train-window-help" class="field-help">
          Cut the target series into windows of this many rows; empty: one sequence per row.
        </p>
      </div>
      <div class="train-field">
        <label for="train-horizon">Horizon (rows ahead)</label>
        <input id="train-horizon" type="number" min={1} step={1} value={windows.horizon} disabled={!windows.window} onInput={(e) => setWindows({ ...windows, horizon: e.currentTarget.value })} />
      </div>
    </>
  );
}

function ColumnSelect({ id, label, columns, value, onChange }: { id: string; label: string; columns: Dataset["columns"]; value: string; onChange: (v: string) => void }) {
  return (
    <div class="train-field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {columns.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name} ({c.type})
          </option>
        ))}
      </select>
    </div>
  );
}
