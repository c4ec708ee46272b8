// A form made from a tabular model's features: a number input for numeric ones, a choice of the known
// categories (or free text) for categorical ones; one prediction per submission.
import { useState } from "preact/hooks";
import type { PredictResponse } from "../../api/schemas.js";
import type { Feature, ModelCard } from "../../models/card.js";
import { useSession } from "../session.js";
import { ErrorMessage } from "../components/feedback.js";
import { PredictionView } from "./playground-result.js";

/** A feature's starting value: the training mean of a numeric one, the first known category otherwise. */
function initial(f: Feature): string {
  if ("standardize" in f.encoding) return String(Number(f.encoding.standardize.mean.toPrecision(4)));
  return f.encoding.oneHot.categories[0] ?? "";
}

/** The instance the API takes: numbers for numeric features, text otherwise, null for an empty field. */
function instanceOf(features: Feature[], values: Record<string, string>): Record<string, number | string | null> {
  return Object.fromEntries(
    features.map((f) => {
      const v = values[f.name].trim();
      return [f.name, v === "" ? null : f.type === "numeric" ? Number(v) : v];
    }),
  );
}

export function FeatureForm({ name, version, card }: { name: string; version: number; card: ModelCard }) {
  const { client } = useSession();
  const [values, setValues] = useState(() => Object.fromEntries(card.features.map((f) => [f.name, initial(f)])));
  const [result, setResult] = useState<PredictResponse | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setResult(await client.models.predict(name, { version, instances: [instanceOf(card.features, values)] }));
    } catch (err) {
      setError(err);
      setResult(undefined);
    } finally {
      setBusy(false);
    }
  };
  const set = (feature: string, value: string) => setValues((vs) => ({ ...vs, [feature]: value }));

  return (
    <div class="grid">
      <form onSubmit={submit} class="playground-form">
        {card.features.map((f) => (
          <div key={f.name}>
            <label for={`feature-${f.name}`}>
              {f.name} <span class="hint">({f.type})</span>
            </label>
            <FeatureInput feature={f} value={values[f.name]} onInput={(v) => set(f.name, v)} />
          </div>
        ))}
        <p class="hint">Leave a field empty to send it as missing.</p>
        <button type="submit" disabled={busy}>
          {busy ? "Predicting…" : "Predict"}
        </button>
      </form>
      <div>
        <ErrorMessage error={error} />
        {result ? <PredictionView response={result} target={card.target} /> : <p class="hint">Fill in the features and press Predict.</p>}
      </div>
    </div>
  );
}

function FeatureInput({ feature, value, onInput }: { feature: Feature; value: string; onInput: (v: string) => void }) {
  const id = `feature-${feature.name}`;
  if (feature.type === "numeric") return <input id={id} type="number" step="any" value={value} onInput={(e) => onInput(e.currentTarget.value)} />;
  const categories = "oneHot" in feature.encoding ? feature.encoding.oneHot.categories : [];
  if (categories.length === 0) return <input id={id} type="text" value={value} onInput={(e) => onInput(e.currentTarget.value)} />;
  return (
    <select id={id} value={value} onChange={(e) => onInput(e.currentTarget.value)}>
      {categories.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
      <option value="">(missing)</option>
    </select>
  );
}
