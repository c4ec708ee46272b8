// A text model's playground: a text in, the predicted class and its probabilities out.
import { useState } from "preact/hooks";
import type { PredictResponse } from "../../api/schemas.js";
import type { ModelCard } from "../../models/card.js";
import { useSession } from "../session.js";
import { ErrorMessage } from "../components/feedback.js";
import { PredictionView } from "./playground-result.js";

export function TextPlayground({ name, version, card }: { name: string; version: number; card: ModelCard }) {
  const { client } = useSession();
  const [text, setText] = useState("");
  const [result, setResult] = useState<PredictResponse | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const t = card.text!;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setResult(await client.models.predict(name, { version, instances: [{ text }] }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="grid">
      <form onSubmit={submit}>
        <label for="text-input">{t.column}</label>
        <textarea id="text-input" rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} aria-describedby="text-help" />
        <p id="text-help" class="hint">
          {t.tokenizer} tokens{t.lowercase ? ", lower-cased" : ""}; the first {t.maxTokens.toLocaleString()} are read.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? "Predicting…" : "Predict"}
        </button>
      </form>
      <div>
        <ErrorMessage error={error} />
        {result ? <PredictionView response={result} target={card.target} /> : <p class="hint">Write a text and press Predict.</p>}
      </div>
    </div>
  );
}
