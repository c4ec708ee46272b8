// A version's model card: what it takes and gives, how its features are encoded, where it came from.
import { Fragment } from "preact";
import type { Version } from "../../api/schemas.js";
import type { ModelCard } from "../../models/card.js";
import { href } from "../router.js";
import { Empty, num } from "../components/feedback.js";
import { cardOf } from "./model-data.js";

/** The inputs the served model takes, in words. */
function inputsOf(card: ModelCard): string {
  if (card.image) return `an image, ${card.image.channels === 1 ? "grey" : "colour"}, ${card.image.width}×${card.image.height} pixels`;
  if (card.sequence) return `a sequence of ${card.sequence.steps} steps × ${card.sequence.features} features (${card.sequence.columns.join(", ")})`;
  if (card.text) return `a text (column '${card.text.column}'; ${card.text.tokenizer} tokens, up to ${card.text.maxTokens}; segmented with ${card.text.icu})`;
  const r = card.recommender;
  if (r) return `a user id (column '${r.columns.user}'; ${r.users.toLocaleString()} users known) and how many items`;
  return `${card.features.length} feature${card.features.length === 1 ? "" : "s"}`;
}

function outputsOf(card: ModelCard): string {
  const r = card.recommender;
  if (r) return `the best items of ${r.items.toLocaleString()} (column '${r.columns.item}') with their ${r.feedback === "explicit" ? "predicted ratings" : "scores"}; ${r.factors} factors`;
  return card.task === "classification" ? `a class of ${card.target} with its probabilities (${card.labels?.length ?? 0} classes)` : `a number: ${card.target}`;
}

export function ModelCardView({ version }: { version: Version }) {
  const card = cardOf(version);
  if (!card) return <Empty title="No model card">This version is an ONNX file imported without an OpenMaaS card; it is served over the /v2 protocol only.</Empty>;
  return (
    <>
      <dl class="model-facts">
        <dt>Task</dt>
        <dd>{card.task}</dd>
        <dt>Inputs</dt>
        <dd>{inputsOf(card)}</dd>
        <dt>Outputs</dt>
        <dd>{outputsOf(card)}</dd>
        <dt>Model</dt>
        <dd>
          <code>{card.spec.model.kind}</code>
        </dd>
        <dt>Dataset</dt>
        <dd>
          {version.dataset ? <a href={href("datasets", version.dataset)}>{card.dataset.source}</a> : card.dataset.source} — {card.dataset.rows} rows, {card.dataset.columns} columns (
          {card.dataset.trainRows} for training, {card.dataset.validationRows} for validation)
        </dd>
        <dt>Data fingerprint</dt>
        <dd>
          <code class="hash">{card.dataset.sha256}</code>
        </dd>
        <dt>Job</dt>
        <dd>{version.job ? <a href={href("jobs", version.job)}>{version.job}</a> : `none (${version.source})`}</dd>
        <dt>Training</dt>
        <dd>
          {card.training.epochs} epochs, kept epoch {card.training.bestEpoch}, {card.training.seconds.toFixed(1)} s
        </dd>
        <dt>Software</dt>
        <dd>OpenMaaS {card.version}</dd>
      </dl>
      {card.labels && (
        <p>
          <strong>Labels:</strong> {card.labels.join(", ")}
        </p>
      )}
      {card.features.length > 0 && <FeatureTable card={card} />}
      <h3>Metrics (kept epoch)</h3>
      <MetricList metrics={card.metrics} />
    </>
  );
}

function FeatureTable({ card }: { card: ModelCard }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Features and their encodings">
      <table>
        <caption class="visually-hidden">Features and their encodings</caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Kind</th>
            <th scope="col">Encoding</th>
          </tr>
        </thead>
        <tbody>
          {card.features.map((f) => (
            <tr key={f.name}>
              <td>{f.name}</td>
              <td>{f.type}</td>
              <td>
                {"standardize" in f.encoding
                  ? `standardised: (x − ${num(f.encoding.standardize.mean)}) / ${num(f.encoding.standardize.std)}`
                  : `one-hot over ${f.encoding.oneHot.categories.join(", ")} (+ unknown)`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function MetricList({ metrics }: { metrics: Record<string, number> }) {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return <p class="hint">No metrics recorded.</p>;
  return (
    <dl class="model-facts">
      {entries.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{num(v)}</dd>
        </Fragment>
      ))}
    </dl>
  );
}
